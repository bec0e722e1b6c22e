"""Train the compound-scaled variants of a design (EfficientNet's phi) for one fixed budget
each, and report accuracy against FLOPs: does scaling this design up pay for itself?

A variant with a larger input (gamma^phi) is trained on the same images resized to its input
size (bilinear), as EfficientNet trains its larger models on larger images.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from cnn_explorer.model.files import Design
from cnn_explorer.model.scaling import ALPHA, BETA, GAMMA, Scaling, scale_design
from cnn_explorer.model.settings import RunSettings

from .data import DataArrays, load_dataset
from .records import RunControl, RunListener

if TYPE_CHECKING:  # pragma: no cover
    import argparse

VARIANT_PHIS = (0.0, 0.5, 1.0)


def resized(data: DataArrays, height: int, width: int) -> DataArrays:
    """The same dataset at another image size (uint8 kept)."""
    if data.x_train.shape[1:3] == (height, width):
        return data
    import tensorflow as tf

    def resize(x: np.ndarray) -> np.ndarray:
        out = tf.image.resize(x, (height, width), method="bilinear")
        return np.clip(np.round(out.numpy()), 0, 255).astype(x.dtype)

    return dataclasses.replace(data, x_train=resize(data.x_train), x_test=resize(data.x_test))


def input_size(design: Design) -> tuple[int, int]:
    for block in design.graph.blocks():
        if block.kind == "input":
            return int(block.params["height"]), int(block.params["width"])
    raise ValueError("the design has no Input block")


def train_variants(design: Design, settings: RunSettings, phis: Sequence[float] = VARIANT_PHIS, *,
                   alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA,
                   control: RunControl | None = None, data: DataArrays | None = None,
                   on_variant: Callable[[dict], None] | None = None,
                   listener: RunListener | None = None) -> list[dict]:
    """Each phi's variant trained with `settings` (the same budget for all): a list of
    {phi, params, flops, accuracy, seconds, status}, in the order of `phis`.

    `on_variant(row)` is called after each one (the dialog's live plot). Stop ends the
    running variant within one step and skips the rest.
    """
    from .run import train_design

    control = control or RunControl()
    if data is None:
        data = load_dataset(settings.dataset)
    rows: list[dict] = []
    for phi in phis:
        if control.stopped:
            break
        scaled = scale_design(design, Scaling(float(phi), alpha, beta, gamma))
        report = scaled.graph.report()
        t0 = time.perf_counter()
        result = train_design(scaled, settings, control=control, listener=listener,
                              data=resized(data, *input_size(scaled)))
        row = {"phi": float(phi), "params": report.total_params, "flops": report.flops,
               "accuracy": result.best_val_accuracy, "status": result.status,
               "seconds": round(time.perf_counter() - t0, 3)}
        rows.append(row)
        if on_variant is not None:
            on_variant(row)
    return rows


def register(subparsers: argparse._SubParsersAction) -> None:
    """`cnn-explorer train-variants`: the scaled variants' accuracy against FLOPs."""
    from cnn_explorer.model.cli import add_design_arguments

    p = subparsers.add_parser("train-variants", help="train a design's compound-scaled "
                              "variants (phi) for one budget each; accuracy against FLOPs")
    add_design_arguments(p)
    p.add_argument("--phis", default="0,0.5,1", help="comma-separated phi values")
    p.add_argument("--alpha", type=float, default=ALPHA)
    p.add_argument("--beta", type=float, default=BETA)
    p.add_argument("--gamma", type=float, default=GAMMA)
    p.add_argument("--dataset", default="sample")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--subset", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", help="the rows as JSON lines")
    p.set_defaults(func=run_variants_cli)


def run_variants_cli(args: argparse.Namespace) -> int:
    import json
    import sys

    from cnn_explorer.model.cli import design_from_args
    from cnn_explorer.model.errors import DesignError

    from .data import DataUnavailableError
    from .records import TrainingError

    try:
        design = design_from_args(args)
        phis = [float(x) for x in args.phis.split(",") if x.strip()]
        for phi in phis:
            Scaling(phi, args.alpha, args.beta, args.gamma)  # refuses a bad phi or base
        settings = RunSettings(dataset=args.dataset, epochs=args.epochs, subset=args.subset,
                               batch_size=args.batch_size, seed=args.seed,
                               validation_split=0.25, grad_norm_every=1000)
        data = load_dataset(settings.dataset)
    except (DesignError, ValueError, DataUnavailableError) as exc:
        print(f"cnn-explorer train-variants: {exc}", file=sys.stderr)
        return 2

    def show(row: dict) -> None:
        acc = "n/a" if row["accuracy"] is None else f"{row['accuracy']:.4f}"
        print(f"phi {row['phi']:g}: accuracy {acc}, {row['flops']:,} FLOPs, "
              f"{row['params']:,} params, {row['seconds']:.1f}s", flush=True)

    try:
        rows = train_variants(design, settings, phis, alpha=args.alpha, beta=args.beta,
                              gamma=args.gamma, data=data, on_variant=show)
    except TrainingError as exc:
        print(f"cnn-explorer train-variants: {exc}", file=sys.stderr)
        return 1
    if args.output:
        from pathlib import Path

        Path(args.output).write_text("".join(json.dumps(r) + "\n" for r in rows),
                                     encoding="utf-8")
        print(f"wrote {args.output}")
    return 0
