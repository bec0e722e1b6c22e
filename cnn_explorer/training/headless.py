"""`cnn-explorer train`: train a design without a window, with a progress bar and per-epoch lines.

TensorFlow is imported inside `run`, so registering the sub-command costs nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cnn_explorer.model.settings import PRECISIONS, SCHEDULES

from .records import EpochRecord, FanOut, ProgressTracker, RunInfo, RunListener, StepRecord

if TYPE_CHECKING:  # pragma: no cover
    from cnn_explorer.model.files import Design
    from cnn_explorer.model.settings import RunSettings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a design headless; writes a run log and "
                              "the best checkpoint",
                              description=__doc__.splitlines()[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("design", nargs="?", help="a design .json file, or a checkpoint .keras "
                     "the app saved (training continues from its weights)")
    src.add_argument("--preset", help="a preset name, e.g. plain-cnn, resnet20, plain-deep")
    p.add_argument("--depth", type=int, help="depth for plain-deep / residual-deep / resnet")
    p.add_argument("--classes", type=int, help="classes of the preset's classifier")
    p.add_argument("--width", type=int, help="first block's channels for fast-cifar")
    p.add_argument("--dataset", help="cifar10, cifar100, sample or a path (.npz / archive)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--subset", type=int, help="train on this many images (0 = all)")
    p.add_argument("--validation-split", type=float)
    p.add_argument("--optimizer", choices=("adam", "sgd"))
    p.add_argument("--lr", type=float, dest="learning_rate")
    p.add_argument("--momentum", type=float)
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--weight-decay", type=float, help="decoupled weight decay (0 off)")
    p.add_argument("--warmup", type=float, help="fraction of the run spent warming up the rate")
    p.add_argument("--label-smoothing", type=float)
    p.add_argument("--test-flip", action=argparse.BooleanOptionalAction, default=None,
                   help="validate on each image and its mirror, averaged")
    p.add_argument("--precision", choices=PRECISIONS,
                   help="mixed_float16: float16 maths with loss scaling (auto: on a GPU)")
    p.add_argument("--seconds", type=float, dest="time_budget_s", metavar="S",
                   help="train for S seconds of wall time, the learning-rate schedule fitted "
                        "to them (epochs become a maximum; default then 1000)")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--seed", type=int)
    p.add_argument("--init", dest="initializer_override", help="weight-initialiser override")
    p.add_argument("--activation", dest="activation_override", help="activation override")
    p.add_argument("--grad-norm-every", type=int)
    p.add_argument("--clip-norm", type=float, help="clip gradients to this global norm (0 off)")
    p.add_argument("--tensorboard", type=Path, default=None, metavar="DIR",
                   help="also write TensorBoard event files here (tensorboard --logdir DIR)")
    p.add_argument("--log", type=Path, default=None, help="run log (.jsonl); default runs/<time>")
    p.add_argument("--checkpoint", type=Path, default=None,
                   help="best model (.keras); default beside the log")
    p.set_defaults(func=run)


SETTING_FLAGS = ("dataset", "epochs", "batch_size", "subset", "validation_split", "optimizer",
                 "learning_rate", "momentum", "schedule", "augment", "seed",
                 "initializer_override", "activation_override", "grad_norm_every", "clip_norm",
                 "nesterov", "weight_decay", "warmup", "label_smoothing", "test_flip",
                 "precision", "time_budget_s")
BUDGET_EPOCHS = 1000  # with --seconds and no --epochs: the clock, not the epochs, ends the run


def load_run_design(args: argparse.Namespace) -> tuple[Design, RunSettings]:
    """The design from a file or a preset, with command-line flags overriding its settings."""
    from cnn_explorer.model.errors import DesignError
    from cnn_explorer.model.files import load_design
    from cnn_explorer.model.presets import build_preset

    if args.preset:
        params = {k: getattr(args, k) for k in ("depth", "classes", "width")
                  if getattr(args, k)}
        design = build_preset(args.preset, **params)
    elif str(args.design).endswith(".keras"):  # a checkpoint: its design and its weights
        from cnn_explorer.keras.weights import checkpoint_design

        design = checkpoint_design(args.design)
    else:
        design = load_design(args.design)
    changes = {k: getattr(args, k) for k in SETTING_FLAGS if getattr(args, k) is not None}
    if changes.get("time_budget_s") and args.epochs is None:
        changes["epochs"] = max(design.settings.epochs, BUDGET_EPOCHS)
    try:
        return design, dataclasses.replace(design.settings, **changes)
    except (TypeError, ValueError) as exc:  # ParameterError is a DesignError: raised as is
        if isinstance(exc, DesignError):
            raise
        raise DesignError(f"run settings: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Exit code 0 on success, 1 when training failed, 2 when the inputs were unusable.

    Every input (design, settings, dataset, where the log and checkpoint go) is checked before
    training starts, so a bad one leaves no file behind.
    """
    from cnn_explorer.model.cli import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_PROBLEMS
    from cnn_explorer.model.errors import DesignError

    from .data import DataUnavailableError, load_dataset
    from .records import TrainingError
    from .runlog import RunLogWriter

    try:
        design, settings = load_run_design(args)
    except DesignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    log = args.log or Path("runs") / time.strftime("%Y%m%d-%H%M%S") / "run.jsonl"
    checkpoint = args.checkpoint or Path(log).with_suffix(".keras")
    problem = output_path_problem(Path(log), "--log") or output_path_problem(
        Path(checkpoint), "--checkpoint")
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    printer = ProgressPrinter()
    try:
        printer.on_status(f"Loading dataset {settings.dataset}...")
        data = load_dataset(settings.dataset, status=printer.on_status)
    except DataUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        writer = RunLogWriter(Path(log))
    except OSError as exc:
        print(f"error: cannot write the log {log}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    from .run import train_design  # imports TensorFlow

    board = None
    if args.tensorboard is not None:
        from .tensorboard import TensorBoardWriter

        try:
            board = TensorBoardWriter(args.tensorboard)
        except Exception as exc:  # a folder that cannot be made: say so, train nothing
            writer.on_end("error", f"cannot write TensorBoard events: {exc}")
            print(f"error: cannot write TensorBoard events to {args.tensorboard}: {exc}",
                  file=sys.stderr)
            return EXIT_INVALID
    listener = FanOut(writer, printer, board)

    try:
        result = train_design(design, settings, listener=listener, checkpoint=checkpoint,
                              data=data)
    except (TrainingError, DataUnavailableError) as exc:
        listener.on_end("error", str(exc))
        print(f"\nerror: {exc}", file=sys.stderr)
        return EXIT_INVALID if isinstance(exc, DataUnavailableError) else EXIT_PROBLEMS
    except KeyboardInterrupt:
        listener.on_end("stopped", "interrupted")
        return EXIT_INTERRUPTED
    listener.on_end(result.status, "")
    best = "n/a" if result.best_val_accuracy is None else f"{result.best_val_accuracy:.4f}"
    print(f"\n{result.status}: {result.epochs_done} epochs, best val accuracy {best}\n"
          f"log: {log}\ncheckpoint: {result.checkpoint}")
    return 0


def output_path_problem(path: Path, option: str) -> str | None:
    """Why a file cannot be written at `path` (None if it can), found by trying: the missing
    folders are made and a probe file is written and removed; nothing is left on failure."""
    if path.exists() and not path.is_file():
        return f"{option} {path} exists and is not a regular file"
    folder = path.parent
    made = []
    try:
        while not folder.exists():
            made.append(folder)
            folder = folder.parent
        if not folder.is_dir():
            return f"{option} {path}: {folder} is a file, not a folder"
        for new in reversed(made):
            new.mkdir()
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        for new in made:  # innermost first
            try:
                new.rmdir()
            except OSError:
                pass
        return f"{option} {path} cannot be written: {exc.strerror or exc}"
    return None


class ProgressPrinter(RunListener):
    """A one-line progress bar (redrawn in place) and one line per epoch, on stdout."""

    def __init__(self, stream=None, width: int = 24) -> None:
        self.stream = stream or sys.stdout
        self.width = width
        self.info: RunInfo | None = None

    def on_status(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def on_start(self, info: RunInfo) -> None:
        self.info = info
        self.tracker = ProgressTracker(info)
        budget = info.settings.get("time_budget_s", 0)
        limit = (f"{budget:g} s (at most {info.epochs} epochs) x" if budget else
                 f"{info.epochs} epochs x")
        print(f"training {info.design_name or 'design'} on {info.dataset}: "
              f"{info.train_images} train / {info.val_images} validation images, "
              f"{len(info.layers)} trainable layers, {limit} "
              f"{info.steps_per_epoch} steps", file=self.stream, flush=True)

    def on_steps(self, steps: list[StepRecord]) -> None:
        if not steps or self.info is None:
            return
        s = steps[-1]
        p = self.tracker.update(s)
        filled = int(self.width * p.step_in_epoch / p.steps_per_epoch)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {p.text()} - loss {s.loss:.4f} acc {s.accuracy:.3f} ")
        self.stream.flush()

    def on_epoch(self, e: EpochRecord) -> None:
        val = ("" if e.val_accuracy is None else
               f" val_loss {e.val_loss:.4f} val_acc {e.val_accuracy:.4f}")
        print(f"\nepoch {e.epoch}: loss {e.loss:.4f} acc {e.accuracy:.4f}{val} "
              f"({e.seconds:.1f}s)", file=self.stream, flush=True)
