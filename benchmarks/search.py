"""Random search against evolution (NSGA-II) at the same budget on the bundled sample.

For each seed, both strategies score the same number of distinct candidates (or run for the
same wall-clock budget) with the same proxy run; printed per run: the best validation
accuracy, the Pareto front's size (accuracy against FLOPs) and the candidates trained; then
the means and evolution's mean best accuracy as a ratio of random's (the baseline of the same
run). Small proxies are noisy: read it as what this budget shows, not as a verdict.

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/search.py [--space blocks] [--trials 8]
        [--budget-s 600] [--seeds 0,1,2] [--subset 256] [--population 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", choices=("blocks", "cells"), default="blocks")
    parser.add_argument("--trials", type=int, default=8, help="distinct candidates per run")
    parser.add_argument("--budget-s", type=float, default=600.0, help="wall clock per run")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--subset", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--population", type=int, default=4)
    args = parser.parse_args()

    from cnn_explorer.training.data import load_sample
    from cnn_explorer.training.search import SearchSettings, pareto_front, run_search

    data = load_sample()
    seeds = [int(s) for s in args.seeds.split(",")]
    results: dict[str, list[tuple[float, int, int]]] = {"random": [], "evolution": []}
    with tempfile.TemporaryDirectory() as tmp:
        print(f"space {args.space}, {args.trials} candidates or {args.budget_s:g}s per run, "
              f"proxy: {args.epochs} epoch(s) on {args.subset} sample images")
        print(f"{'seed':>4} {'strategy':>10} {'best acc':>9} {'front':>6} {'trained':>8} "
              f"{'seconds':>8}")
        for seed in seeds:
            for strategy in ("random", "evolution"):
                settings = SearchSettings(space=args.space, strategy=strategy,
                                          budget_s=args.budget_s, trials=args.trials,
                                          seed=seed, subset=args.subset, epochs=args.epochs,
                                          population=args.population)
                t0 = time.perf_counter()
                summary = run_search(settings, Path(tmp) / f"{strategy}-{seed}", data=data)
                scored = [r for r in summary.records if r["accuracy"] is not None]
                best = max((r["accuracy"] for r in scored), default=0.0)
                front = len(pareto_front(summary.records))
                results[strategy].append((best, front, summary.trained))
                print(f"{seed:>4} {strategy:>10} {best:>9.4f} {front:>6} {summary.trained:>8} "
                      f"{time.perf_counter() - t0:>8.1f}", flush=True)
    means = {k: (statistics.mean(b for b, _, _ in v), statistics.mean(f for _, f, _ in v))
             for k, v in results.items()}
    for strategy, (best, front) in means.items():
        print(f"mean {strategy:>10}: best accuracy {best:.4f}, front size {front:.1f}")
    base = means["random"][0]
    ratio = means["evolution"][0] / base if base else float("nan")
    print(f"evolution / random, mean best accuracy: {ratio:.3f} "
          f"({'evolution' if ratio > 1 else 'random' if ratio < 1 else 'neither'} ahead)")


if __name__ == "__main__":
    main()
