"""How responsive the GUI thread stays while a training run streams into the panel.

A 5 ms QTimer ticks on the GUI thread during a real run (design trained on the bundled
sample); the longest gap between ticks, minus the interval, is the longest stall of the event
loop (goal: under 50 ms). Also prints the plot redraw rate (goal: 20-30 per second) and how
many progress signals arrived.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_responsiveness.py \
        [--preset resnet20] [--seconds 20] [--replay RUN.jsonl]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="resnet20")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured streaming time")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--replay", metavar="RUN.jsonl",
                        help="instead of training, feed this run log's steps at 5 batches a "
                        "second: the GUI's own cost without TensorFlow competing for the CPU")
    args = parser.parse_args()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from cnn_explorer.model.presets import build_preset
    from cnn_explorer.ui.training.panel import TrainingPanel

    app = QApplication([])
    design = build_preset(args.preset, classes=10)
    panel = TrainingPanel(lambda: design.snapshot())
    panel.session.runs_dir = __import__("pathlib").Path("/tmp/cnn_explorer_bench_runs")
    panel.resize(1600, 800)
    panel.show()
    panel.form.replace(epochs=1000, batch_size=args.batch_size, validation_split=0.1)

    gaps: list[float] = []
    batches = {"count": 0, "first": None}
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        if batches["first"] is not None:
            gaps.append(now - last[0])
        last[0] = now

    def on_colouring(colouring) -> None:
        if colouring is not None and batches["first"] is None:  # steps stream: measure
            batches["first"] = time.perf_counter()
            panel.redraws = 0
            QTimer.singleShot(int(args.seconds * 1000), app.quit)
        batches["count"] += 1

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    panel.session.colouring.connect(on_colouring)
    QTimer.singleShot(300_000, app.quit)  # never hang if the run does not start
    if args.replay:
        replay(panel, args.replay)  # its timer is parented to the panel
    else:
        panel.start_training()
    app.exec()
    elapsed = time.perf_counter() - (batches["first"] or time.perf_counter())
    history = panel.session.history
    steps = len(history.steps) if history else 0
    panel.stop_and_join(10.0)
    stall_ms = (max(gaps) if gaps else float("nan")) * 1000 - TICK_MS
    worst = sorted(gaps)[-5:]
    print(f"{args.preset}, batch {args.batch_size}: streamed {elapsed:.1f} s, {steps} steps, "
          f"{batches['count']} canvas colourings ({batches['count'] / max(elapsed, 1e-9):.1f}/s)")
    print(f"longest GUI stall: {stall_ms:.1f} ms (goal < 50; 5 worst gaps "
          f"{[round(g * 1000, 1) for g in worst]} ms)")
    print(f"plot redraws: {panel.redraws / max(elapsed, 1e-9):.1f} per second "
          f"(timer target {1000 / 40:.0f})")


def replay(panel, path: str):
    """Feed a recorded run into the panel as the worker would: batches of steps, 5 a second."""
    import json

    from PySide6.QtCore import QTimer

    from cnn_explorer.training.history import RunHistory
    from cnn_explorer.training.records import RunInfo, StepRecord

    records = [json.loads(line) for line in open(path, encoding="utf-8")]
    start = {k: v for k, v in records[0].items() if k not in ("type", "version")}
    steps = [StepRecord(**{k: v for k, v in r.items() if k != "type"})
             for r in records if r["type"] == "step"]
    session = panel.session
    session.histories = [RunHistory()]
    session.history = session.histories[0]
    session.histories_reset.emit(session.histories)
    session._on_run_info(0, RunInfo(**start))
    position = {"i": 0}

    def feed() -> None:
        i = position["i"] % len(steps)
        batch = steps[i:i + 20]
        base = position["i"] - i
        session._on_steps(0, [StepRecord(**{**s.__dict__, "step": s.step + base}) for s in batch])
        position["i"] += len(batch)

    timer = QTimer(panel)
    timer.setInterval(200)
    timer.timeout.connect(feed)
    timer.start()
    return timer


if __name__ == "__main__":
    main()
