"""Start-up time: process start to main window shown, beside `python -c "import tensorflow"`.

The window must appear before TensorFlow is imported, so its start-up should be a fraction of
TensorFlow's import time. Runs each a few times and prints the medians and their ratio.
Uses QT_QPA_PLATFORM=offscreen when there is no display (set DISPLAY to time a real window).

    python benchmarks/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

APP = ("import sys; from cnn_explorer.ui.app import run_app; sys.exit(run_app(None))")


def time_window(env: dict) -> tuple[float, float, str]:
    """Seconds from spawning the process to the app's lines: window shown, then the training
    panel (pyqtgraph) built just after the first paint."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", APP], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    shown = time.perf_counter() - start
    panel_line = proc.stdout.readline()
    panel = time.perf_counter() - start
    proc.wait(timeout=60)
    if "window shown" not in line or "panel ready" not in panel_line:
        raise SystemExit(f"the app did not report a shown window: {line!r} {panel_line!r}")
    return shown, panel, line.strip()


def time_tensorflow(env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, CNN_EXPLORER_EXIT_WHEN_SHOWN="1",
               CNN_EXPLORER_STATE_DIR=tempfile.mkdtemp(prefix="cnn-explorer-bench-"),
               TF_CPP_MIN_LOG_LEVEL="3")
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    time_window(env)  # warm the file cache once, as a second launch would be
    window, panels, lines = [], [], []
    for _ in range(args.runs):
        seconds, panel, line = time_window(env)
        window.append(seconds)
        panels.append(panel)
        lines.append(line)
    tf = [time_tensorflow(env) for _ in range(args.runs)]
    w, t = statistics.median(window), statistics.median(tf)
    platform = env.get("QT_QPA_PLATFORM") or f"default (display {env.get('DISPLAY', '')})"
    print(f"platform: {platform}")
    print(f"app says: {lines[-1]}")
    print(f"process start -> window shown : {w:.2f} s (median of {args.runs}: "
          + ", ".join(f"{s:.2f}" for s in window) + ")")
    print(f"process start -> training panel: {statistics.median(panels):.2f} s (built just after "
          "the window shows)")
    print(f"python -c 'import tensorflow' : {t:.2f} s (median of {args.runs}: "
          + ", ".join(f"{s:.2f}" for s in tf) + ")")
    print(f"ratio window / tensorflow     : {w / t:.2f}")


if __name__ == "__main__":
    main()
