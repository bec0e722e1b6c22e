"""`cnn-explorer search`: architecture search without a window.

Writes OUT/study.db (the Optuna study; or the study at --storage), OUT/candidates.jsonl (one
record per candidate: choices, design, params, FLOPs, accuracy, seconds) and OUT/best.json (the
most accurate design, a design file `summary` and `train` accept). Run it again on the same
folder to resume. With --workers N, N processes share the study and each takes candidates.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .search import SearchSettings


def _ints(text: str) -> tuple:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas: {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("search", help="architecture search (random or evolution) over "
                              "cells or blocks; writes the study and the best design",
                              description=__doc__.splitlines()[0])
    p.add_argument("--space", choices=("cells", "blocks"), default="blocks")
    p.add_argument("--strategy", choices=("random", "evolution"), default="random")
    p.add_argument("--budget-s", type=float, required=True,
                   help="wall-clock seconds; no candidate starts after it")
    p.add_argument("--trials", type=int, default=0, help="stop when the study has scored this "
                   "many distinct candidates (0 = until the budget)")
    p.add_argument("--dataset", default="sample", help="sample, cifar10, cifar100 or a path")
    p.add_argument("--out", type=Path, required=True, help="output folder (resumed if it has "
                   "a study)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="processes sharing the study")
    p.add_argument("--storage", default="", help="a database URL shared by several machines "
                   "(default sqlite:///OUT/study.db)")
    p.add_argument("--epochs", type=int, default=1, help="proxy epochs per candidate")
    p.add_argument("--subset", type=int, default=512, help="proxy training images")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--population", type=int, default=8, help="NSGA-II generation size")
    p.add_argument("--cell-blocks", type=int, default=3, help="cells: blocks per cell (B)")
    p.add_argument("--cells-per-stage", type=int, default=1, help="cells: normal cells (N)")
    p.add_argument("--filters", type=int, default=8, help="cells: filters of the first stage")
    p.add_argument("--kinds", help="blocks: block kinds to choose from, comma-separated")
    p.add_argument("--widths", type=_ints, help="blocks: widths, e.g. 16,32")
    p.add_argument("--depths", type=_ints, help="blocks: depths, e.g. 1,2")
    p.add_argument("--worker-index", type=int, default=-1, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> SearchSettings:
    from .search import SearchSettings

    if args.space == "cells":
        options = {"blocks": args.cell_blocks, "cells_per_stage": args.cells_per_stage,
                   "filters": args.filters}
    else:
        options = {k: v for k, v in (("kinds", tuple(args.kinds.split(",")) if args.kinds
                                      else None), ("widths", args.widths),
                                     ("depths", args.depths)) if v}
    return SearchSettings(space=args.space, strategy=args.strategy, budget_s=args.budget_s,
                          trials=args.trials, seed=args.seed, dataset=args.dataset,
                          epochs=args.epochs, subset=args.subset, batch_size=args.batch_size,
                          population=args.population, storage=args.storage,
                          space_options=options)


def run(args: argparse.Namespace) -> int:
    """0 when it ran, 1 when no candidate could be scored, 2 for bad input."""
    from cnn_explorer.model.errors import DesignError

    from .search import SearchError

    try:
        settings = settings_from_args(args)
        if args.workers < 1:
            raise SearchError("--workers must be at least 1")
        if args.worker_index < 0 and args.workers > 1:
            return _run_workers(args, settings)
        return _run_one(args, settings, max(0, args.worker_index))
    except (SearchError, DesignError) as exc:
        print(f"cnn-explorer search: {exc}", file=sys.stderr)
        return 2


def _run_one(args, settings, worker: int) -> int:
    from .data import DataUnavailableError, load_dataset
    from .search import CandidatePrinter, fail_leftovers, open_study, run_search

    if args.worker_index < 0 and not settings.storage:
        fail_leftovers(open_study(settings, args.out))  # nothing else uses a local study now
    try:
        data = load_dataset(settings.dataset)
    except DataUnavailableError as exc:
        print(f"cnn-explorer search: {exc}", file=sys.stderr)
        return 2
    try:
        summary = run_search(settings, args.out, data=data, worker=worker,
                             listener=CandidatePrinter(worker if args.workers > 1 else None))
    except KeyboardInterrupt:
        print("\ninterrupted: the study keeps every finished candidate; run again to resume",
              file=sys.stderr)
        return 130
    return _finish(args.out, summary.records)


def _run_workers(args, settings) -> int:
    """Start N worker processes on the same study and wait for all of them."""
    from .search import fail_leftovers, open_study, read_records

    if not settings.storage:
        fail_leftovers(open_study(settings, args.out))
    base = [sys.executable, "-m", "cnn_explorer"] + worker_argv(args)
    procs = [subprocess.Popen(base + ["--worker-index", str(i)]) for i in range(args.workers)]
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        return 130
    if any(c == 2 for c in codes):
        return 2
    return _finish(args.out, read_records(args.out))


def worker_argv(args: argparse.Namespace) -> list[str]:
    """The command line of one worker: the same search, every option spelled out."""
    argv = ["search", "--workers", str(args.workers)]
    for flag in ("space", "strategy", "budget_s", "trials", "dataset", "out", "seed", "storage",
                 "epochs", "subset", "batch_size", "population", "cell_blocks",
                 "cells_per_stage", "filters", "kinds"):
        value = getattr(args, flag)
        if value not in (None, ""):
            argv += ["--" + flag.replace("_", "-"), str(value)]
    for flag in ("widths", "depths"):
        if getattr(args, flag):
            argv += ["--" + flag, ",".join(map(str, getattr(args, flag)))]
    return argv


def _finish(out: Path, records: list[dict]) -> int:
    from .search import BEST_FILE, best_record, pareto_front

    best = best_record(records)
    if best is None:
        print("no candidate was scored", file=sys.stderr)
        return 1
    front = pareto_front(records)
    print(f"{len(records)} candidates; best accuracy {best['accuracy']:.4f} (candidate "
          f"{best['number']}, {best['flops']:,} FLOPs); Pareto front of {len(front)}\n"
          f"best design: {Path(out) / BEST_FILE}")
    return 0
