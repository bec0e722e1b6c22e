"""Load + inference time of a design file against its size: it must grow linearly.

Writes chains of 1,000 / 2,000 / 4,000 / 8,000 blocks (an Input, then Activation blocks) as
design files, then times `load_design` + `graph.report()` for each (median of a few runs) and
prints wall-clock and CPU time, the CPU time per block and its ratio to the 1,000-block
chain's: flat (about 1.0) means
linear. Goal (issue 10): the 8,000-block chain in under 1 s.

    python benchmarks/load_scaling.py [--runs 3] [--sizes 1000 2000 4000 8000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from cnn_explorer.model.files import load_design


def chain(n: int) -> dict:
    blocks = [{"id": "b1", "kind": "input", "name": "image",
               "params": {"height": 32, "width": 32, "channels": 3}}]
    blocks += [{"id": f"b{i}", "kind": "activation", "name": f"act{i}",
                "params": {"activation": "relu"}} for i in range(2, n + 1)]
    connections = [{"src": f"b{i - 1}", "dst": f"b{i}", "port": 0} for i in range(2, n + 1)]
    positions = {f"b{i}": [0, 80 * i] for i in range(1, n + 1)}
    return {"schema_version": 1, "title": f"chain{n}", "blocks": blocks,
            "connections": connections, "positions": positions}


def time_load(path: Path, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time is what a busy machine does not inflate)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        report = load_design(path).graph.report()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert not report.problems
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    args = parser.parse_args()
    print(f"{'blocks':>7} {'load+infer':>11} {'cpu':>8} {'cpu/block':>10} {'ratio':>6}")
    base = None
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            path = Path(folder) / f"chain{n}.json"
            path.write_text(json.dumps(chain(n)))
            seconds, cpu = time_load(path, args.runs)
            per_block = cpu / n
            base = base or per_block
            print(f"{n:>7} {seconds:>10.3f}s {cpu:>7.3f}s {1e6 * per_block:>8.1f}us "
                  f"{per_block / base:>6.2f}")


if __name__ == "__main__":
    main()
