"""`cnn-explorer diagnose`: train a few steps and say what is wrong with the gradients.

Exit codes: 0 healthy, 1 findings, 2 unusable input (as the other sub-commands).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .records import EpochRecord, RunInfo, RunListener, StepRecord

if TYPE_CHECKING:  # pragma: no cover
    from cnn_explorer.model.files import Design
    from cnn_explorer.model.settings import RunSettings

    from .diagnosis import Finding


def register(subparsers: argparse._SubParsersAction) -> None:
    from cnn_explorer.model.cli import add_design_arguments

    p = subparsers.add_parser("diagnose", help="train N steps and report gradient-health "
                              "findings (vanishing, exploding, dead ReLUs, ...)",
                              description=__doc__.splitlines()[0])
    add_design_arguments(p)
    p.add_argument("--dataset", default="sample", help="sample (default), cifar10, cifar100 or "
                   "a path (.npz / archive)")
    p.add_argument("--steps", type=int, default=60, help="optimisation steps (default 60)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, dest="learning_rate", help="learning rate override")
    p.add_argument("--optimizer", choices=("adam", "sgd"))
    p.add_argument("--activation", dest="activation_override", help="activation override")
    p.add_argument("--init", dest="initializer_override", help="initialiser override")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--tensorboard", type=Path, help="also write TensorBoard event files here")
    p.set_defaults(func=run)


class Collector(RunListener):
    """Keeps a run's records as dicts, the form the diagnosis reads."""

    def __init__(self) -> None:
        self.info: dict = {}
        self.steps: list[dict] = []
        self.epochs: list[dict] = []

    def on_start(self, info: RunInfo) -> None:
        self.info = info.to_dict()

    def on_steps(self, steps: list[StepRecord]) -> None:
        self.steps += [s.to_dict() for s in steps]

    def on_epoch(self, epoch: EpochRecord) -> None:
        self.epochs.append(epoch.to_dict())


def diagnose_design(design: Design, settings: RunSettings, steps: int,
                    listener: RunListener | None = None) -> tuple[list[Finding], Collector]:
    """Train `steps` steps of `design` and return (findings, collector)."""
    from .data import load_dataset
    from .diagnosis import diagnose, from_records
    from .records import FanOut, TrainingDiverged
    from .run import train_design

    data = load_dataset(settings.dataset)
    images = max(1, round(len(data.x_train) * (1 - settings.validation_split)))
    per_epoch = max(1, math.ceil(min(images, steps * settings.batch_size) / settings.batch_size))
    settings = dataclasses.replace(
        settings, epochs=max(1, math.ceil(steps / per_epoch)), grad_norm_every=1,
        subset=min(len(data.x_train), round(per_epoch * settings.batch_size /
                                            max(1e-9, 1 - settings.validation_split))))
    collector = Collector()
    diverged = ""
    try:
        train_design(design, settings, listener=FanOut(collector, listener), data=data)
    except TrainingDiverged as exc:
        diverged = str(exc)
    names = {b.id: b.name for b in design.graph.blocks()}
    signals = from_records(collector.info, collector.steps, collector.epochs, names, diverged)
    return diagnose(signals), collector


def run(args: argparse.Namespace) -> int:
    from cnn_explorer.model.cli import design_from_args
    from cnn_explorer.model.errors import DesignError

    from .data import DataUnavailableError
    from .records import TrainingError

    try:
        design = design_from_args(args)
        changes = {k: getattr(args, k) for k in ("learning_rate", "optimizer", "seed",
                                                 "activation_override", "initializer_override",
                                                 "batch_size", "dataset")
                   if getattr(args, k, None) is not None}
        settings = dataclasses.replace(design.settings, **changes)
        if args.steps < 1:
            raise DesignError("--steps must be at least 1")
    except (DesignError, TypeError, ValueError) as exc:
        print(f"cnn-explorer diagnose: {exc}", file=sys.stderr)
        return 2
    listener = None
    if args.tensorboard:
        from .tensorboard import TensorBoardWriter

        listener = TensorBoardWriter(args.tensorboard)
    try:
        findings, _ = diagnose_design(design, settings, args.steps, listener)
    except DataUnavailableError as exc:
        print(f"cnn-explorer diagnose: {exc}", file=sys.stderr)
        return 2
    except TrainingError as exc:
        print(f"cnn-explorer diagnose: {exc}", file=sys.stderr)
        return 1
    finally:
        if listener is not None:
            listener.on_end("finished", "")
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=1))
    elif not findings:
        print("Healthy: no findings.")
    else:
        from .diagnosis import FIXES

        names = {b.id: b.name for b in design.graph.blocks()}
        for f in findings:
            print(f"[{f.severity}] {f.title}: {f.message}")
            if f.blocks:
                print(f"  blocks: {', '.join(names.get(b, b) for b in f.blocks)}")
            print(f"  try: {'; '.join(FIXES[x] for x in f.fixes)}")
    return 1 if findings else 0
