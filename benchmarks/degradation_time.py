"""How soon the plain-vs-residual experiment shows the degradation problem (issue 14, part 2).

Runs the training panel's experiment headlessly, through the app's own path (the
TrainingSession, its worker thread, the instrumented `fit`), for a wall-clock budget (60 s by
default), and prints the estimate the app showed beforehand beside the time it took, both
smoothed training-error curves' final values, the gap, and when (step and wall-clock second
since Start) the gap first exceeded the diagnosis's DEGRADATION_GAP. The baseline in the same
run is the app's estimate; the ratio says how honest it was.

    nice -n 15 python benchmarks/degradation_time.py --seeds 0,1,2 [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_once(app, depth: int, width: int, seed: int, seconds: float, speed=None) -> dict:
    from PySide6.QtCore import QTimer

    from cnn_explorer.model.settings import RunSettings
    from cnn_explorer.training.diagnosis import DEGRADATION_GAP
    from cnn_explorer.training.experiment import gap_curve, gap_opened_at, smoothed_error
    from cnn_explorer.ui.training.session import TrainingSession

    session = TrainingSession()
    session.runs_dir = __import__("pathlib").Path("/tmp/degradation_time_runs")
    if speed is not None:
        session.speed = speed
    settings = RunSettings(dataset="sample", seed=seed)
    plan = session.plan_experiment(settings, depth, True, width)
    opened: dict = {}
    start = time.monotonic()

    def watch(*_args) -> None:
        if "opened_s" in opened or len(session.histories) < 2:
            return
        gap = gap_curve(session.histories[0].accuracy, session.histories[1].accuracy)
        step = gap_opened_at(gap, DEGRADATION_GAP)
        if step is not None:
            opened.update(step=step, opened_s=time.monotonic() - start)

    ended: list[str] = []
    session.progress.connect(watch)
    session.run_finished.connect(lambda status, message: ended.append(status))
    if not session.start_experiment(settings, depth, True, width):
        raise SystemExit("the experiment did not start")
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(session.stop)
    deadline.start(int(seconds * 1000))
    while not ended:
        app.processEvents()
        time.sleep(0.02)
    wall = time.monotonic() - start
    session.stop_and_join()
    plain, residual = (h.accuracy for h in session.histories)
    gap = gap_curve(plain, residual)
    n = len(gap)
    return {"seed": seed, "estimate": plan.seconds, "wall": wall, "status": ended[0],
            "steps": (len(plain), len(residual)),
            "plain": float(smoothed_error(plain)[-1]) if len(plain) else float("nan"),
            "residual": float(smoothed_error(residual)[-1]) if len(residual) else float("nan"),
            "gap": float(gap[-1]) if n else float("nan"), **opened,
            "speed": session.speed, "describe": plan.describe()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--width", type=int, default=None, help="default: the app's")
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    from PySide6.QtWidgets import QApplication

    from cnn_explorer.training.diagnosis import DEGRADATION_GAP
    from cnn_explorer.training.experiment import WIDTH

    app = QApplication.instance() or QApplication([])
    width = args.width or WIDTH
    print(f"plain-{args.depth} vs residual-{args.depth}, width {width}, budget "
          f"{args.seconds:.0f} s, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"gap threshold {DEGRADATION_GAP:.0%}")
    speed = None
    for seed in (int(s) for s in args.seeds.split(",")):
        r = run_once(app, args.depth, width, seed, args.seconds, speed)
        speed = r["speed"]  # the next estimate rests on this run, as in the app
        opened = (f"step {r['step']} at {r['opened_s']:.1f} s" if "step" in r else "never")
        print(f"seed {seed}: {r['describe']}")
        print(f"  took {r['wall']:.1f} s ({r['status']}; estimate {r['estimate']:.0f} s, ratio "
              f"{r['wall'] / r['estimate']:.2f}), steps {r['steps'][0]}+{r['steps'][1]}; "
              f"final smoothed training error plain {r['plain']:.3f}, residual "
              f"{r['residual']:.3f} (each at its last step), gap at the last common step "
              f"{r['gap']:.3f}; gap > {DEGRADATION_GAP} first: {opened}"
              f"; measured {speed.flop_rate / 1e9:.2f} GFLOP/s, start-up {speed.startup_s:.1f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
