"""Opening a big design in the real window, and editing it: time per phase and per block.

Opens, in the real MainWindow (offscreen), DenseNet-121 imported from keras.applications
(429 blocks; made once with `cnn-explorer`'s importer and cached under /tmp) and synthetic
DenseNet-like designs of about 1k/2k/4k/8k blocks (saved without positions, so the open lays
them out, as an import does). Each open is timed from the File > Open call until the event
loop is idle and the canvas is painted (a grab of the view), broken down into:

    file    read and check the design file (load_design)
    layout  auto-layout of blocks without positions
    infer   shape/param/FLOP inference (graph.report)
    scene   cards and edges (the scene's graph-event and report slots, fit to view)
    inspect the inspector's totals, problems and layer table
    events  everything else until the event loop is idle (title, undo stack, recovery ...)
    paint   the first paint of the canvas (cards and edges, in the event loop)
    grab    then a QWidget.grab() of the view (a second paint, into a pixmap): shown apart

Baselines from the same run: json.load of the same file (open / json ratio) and the per-block
CPU time of the 1k design (ratio per block: flat, about 1.0, means linear). Then the time of
an edit on DenseNet-121 (change a parameter, add a block, undo) from the controller call until
the model, the views and the repaint are done, with the number of cards repainted.

    python benchmarks/open_large.py [--sizes 1000 2000 4000 8000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
CACHE = Path(tempfile.gettempdir()) / "cnn_explorer_bench"
DENSENET = CACHE / "densenet121.json"
PHASES = ("file", "layout", "infer", "scene", "inspect", "events", "paint")


def densenet_file() -> Path:
    """DenseNet-121 (32x32x3, no weights) through the importer, once; cached under /tmp."""
    if not DENSENET.exists():
        import keras

        from cnn_explorer.keras.importer import import_keras_model
        from cnn_explorer.model.files import save_design

        CACHE.mkdir(parents=True, exist_ok=True)
        model = keras.applications.DenseNet121(weights=None, input_shape=(32, 32, 3))
        save_design(import_keras_model(model), DENSENET)
    return DENSENET


def dense_design(n: int) -> dict:
    """About `n` blocks shaped like DenseNet: units of BN-ReLU-conv1x1-BN-ReLU-conv3x3 whose
    output is concatenated with their input, a 1x1 transition every 12 units; no positions."""
    blocks, conns = [], []

    def add(kind: str, params: dict, *inputs: str) -> str:
        bid = f"b{len(blocks) + 1}"
        blocks.append({"id": bid, "kind": kind, "name": f"{kind}_{len(blocks) + 1}",
                       "params": params})
        conns.extend({"src": s, "dst": bid, "port": p} for p, s in enumerate(inputs))
        return bid

    x = add("input", {"height": 32, "width": 32, "channels": 3})
    x = add("conv2d", {"filters": 64, "kernel": 3}, x)
    unit = 0
    while len(blocks) < n - 10:
        y = add("batch_norm", {}, x)
        y = add("activation", {"activation": "relu"}, y)
        y = add("conv2d", {"filters": 128, "kernel": 1, "activation": "linear"}, y)
        y = add("batch_norm", {}, y)
        y = add("activation", {"activation": "relu"}, y)
        y = add("conv2d", {"filters": 32, "kernel": 3, "activation": "linear"}, y)
        x = add("concatenate", {}, x, y)
        unit += 1
        if unit % 12 == 0:
            x = add("conv2d", {"filters": 128, "kernel": 1}, add("batch_norm", {}, x))
    x = add("global_avg_pool", {}, x)
    add("dense", {"units": 10, "activation": "softmax"}, x)
    return {"schema_version": 1, "title": f"dense{n}", "blocks": blocks, "connections": conns}


class Phases:
    """CPU time spent inside wrapped functions, by phase; a phase called from inside another
    (inference from the scene's rebuild) is taken out of the outer one's time."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._inner: list[float] = []  # per open call: time spent in phases nested in it

    def wrap(self, owner: object, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            self.calls[phase] += 1
            self._inner.append(0.0)
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.process_time() - start
                self.cpu[phase] += spent - self._inner.pop()
                if self._inner:
                    self._inner[-1] += spent

        setattr(owner, name, timed)

    def reset(self) -> None:
        self.cpu.clear()
        self.calls.clear()


def instrument() -> Phases:
    """Wrap the open path's stages (before the window connects its slots to them)."""
    from cnn_explorer.model import inference
    from cnn_explorer.ui.canvas import scene, view
    from cnn_explorer.ui.canvas.items import BlockCard, EdgeItem
    from cnn_explorer.ui.files import actions
    from cnn_explorer.ui.inspector import inspector

    phases = Phases()
    phases.wrap(actions, "load_design", "file")
    phases.wrap(actions, "lay_out", "layout")
    phases.wrap(inference, "infer", "infer")
    for name in ("on_graph_event", "on_report", "rebuild"):
        phases.wrap(scene.CanvasScene, name, "scene")
    phases.wrap(view.CanvasView, "fit_all", "scene")
    phases.wrap(inspector.Inspector, "on_report", "inspect")
    phases.wrap(BlockCard, "paint", "paint")  # by the event loop or by grab()
    phases.wrap(EdgeItem, "paint", "edge paint")
    return phases


def settle(app) -> None:
    for _ in range(3):
        app.processEvents()


def open_once(window, app, phases: Phases, path: Path) -> dict[str, float]:
    """CPU seconds by phase from File > Open until the event loop is idle (the window has
    painted the canvas by then: `paint` is the items' paint in that loop); `grab` then paints
    the view once more into a pixmap, the proof it is on screen, timed apart."""
    phases.reset()
    wall, cpu = time.perf_counter(), time.process_time()
    assert window.files.open(path), getattr(window.files, "last_error", "")
    settle(app)
    idle, idle_wall = time.process_time(), time.perf_counter()
    out = {k: phases.cpu.get(k, 0.0) for k in PHASES}
    out["paint"] = phases.cpu["paint"] + phases.cpu["edge paint"]
    out["events"] = idle - cpu - sum(out[k] for k in PHASES if k != "events")
    out["cpu"], out["wall"] = idle - cpu, idle_wall - wall
    window.view.grab()
    out["grab"] = time.process_time() - idle
    return out


def median_open(window, app, phases: Phases, path: Path, runs: int) -> dict[str, float]:
    results = [open_once(window, app, phases, path) for _ in range(runs)]
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def json_load_cpu(path: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        json.loads(path.read_text())
        times.append(time.process_time() - start)
    return statistics.median(times)


def edit_latencies(window, app, phases: Phases, runs: int) -> list[tuple]:
    """(edit, model ms, views ms, +paint ms, cards painted) for edits on the open design, in
    CPU time (what a busy machine does not inflate; one frame is 16 ms).

    model: the controller call and the new report (graph.report()); views: the report
    delivered to the canvas, the inspector and the training panel (document.flush());
    +paint: then until the event loop is idle, the canvas repainted where it changed.
    """
    doc, ctl, graph = window.document, window.controller, window.document.graph
    stack = doc.undo_stack
    convs = [b for b in graph.blocks() if b.kind == "conv2d"]
    middle, stem = convs[len(convs) // 2], convs[0]
    x, y = ctl.free_spot(None)

    def flip(block, name: str, a, b):
        return lambda: ctl.set_param(block.id, name,
                                     b if graph.block(block.id).params[name] == a else a)

    edits = [
        ("set param (one 1x1 conv's filters)", flip(middle, "filters", 128, 96)),
        ("set param (stem filters: all shapes)", flip(stem, "filters", 64, 48)),
        ("add block", lambda: ctl.add_block("activation", (x, y))),
        ("undo (the add)", stack.undo),
        ("redo", stack.redo),
    ]
    settle(app)
    rows = []
    for label, edit in edits:
        times: list[tuple[float, float, float]] = []
        painted = []
        for _ in range(runs):
            phases.reset()
            start = time.process_time()
            edit()
            graph.report()
            model = time.process_time()
            doc.flush()
            views = time.process_time()
            settle(app)  # the view repaints what changed (offscreen, too)
            done = time.process_time()
            times.append((model - start, views - model, done - start))
            painted.append(phases.calls["paint"])
            if label.startswith(("add", "redo")):
                stack.undo()
            elif label.startswith("undo"):
                stack.redo()
            doc.flush()
            settle(app)
        rows.append((label, *(1e3 * statistics.median(t[i] for t in times) for i in range(3)),
                     int(statistics.median(painted))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 2000, 4000, 8000],
                        help="synthetic designs to open (none: DenseNet-121 and the edits only)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    dense_path = densenet_file()
    state = tempfile.TemporaryDirectory()
    os.environ["CNN_EXPLORER_STATE_DIR"] = state.name

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    phases = instrument()
    from cnn_explorer.ui.main_window import MainWindow

    window = MainWindow(offer_recovery=False)
    window.resize(1600, 1000)
    window.show()
    for _ in range(20):  # the training panel builds just after the first show
        settle(app)
        time.sleep(0.02)
    folder = Path(state.name)
    files = [("densenet121", dense_path)]
    for n in args.sizes:
        path = folder / f"dense{n}.json"
        path.write_text(json.dumps(dense_design(n)))
        files.append((f"synthetic {n}", path))

    print("Open in the real window, CPU ms per phase (median of", args.runs, "runs)")
    head = "".join(f"{p:>8}" for p in PHASES)
    print(f"{'design':>16} {'blocks':>6}{head} {'total':>8} {'wall':>8} {'grab':>6} {'json':>6} "
          f"{'/json':>6} {'us/blk':>7} {'ratio':>6}")
    base = None
    for label, path in files:
        result = median_open(window, app, phases, path, args.runs)
        blocks = len(window.document.graph)
        per_block = result["cpu"] / blocks
        if label.startswith("synthetic"):
            base = base or per_block
        raw = json_load_cpu(path, args.runs)
        cols = "".join(f"{1e3 * result[p]:>8.1f}" for p in PHASES)
        ratio = f"{per_block / base:>6.2f}" if base else f"{'-':>6}"
        print(f"{label:>16} {blocks:>6}{cols} {1e3 * result['cpu']:>8.1f} "
              f"{1e3 * result['wall']:>8.1f} {1e3 * result['grab']:>6.1f} {1e3 * raw:>6.1f} "
              f"{result['cpu'] / raw:>6.1f} "
              f"{1e6 * per_block:>7.1f} {ratio}")
        print(f"{'':>23} calls: infer {phases.calls['infer']}, "
              f"scene slots {phases.calls['scene']}, inspector {phases.calls['inspect']}")

    window.files.open(dense_path)
    settle(app)
    print(f"\nEdits on densenet121 ({len(window.document.graph)} blocks), CPU ms, median of "
          f"{max(args.runs, 5)}: model = controller call + report; views = canvas, inspector, "
          "training panel; total = until repainted")
    print(f"{'edit':>38} {'model':>7} {'views':>7} {'total':>7} {'cards painted':>14}")
    for label, model, views, full, painted in edit_latencies(window, app, phases,
                                                             max(args.runs, 5)):
        print(f"{label:>38} {model:>7.1f} {views:>7.1f} {full:>7.1f} {painted:>14}")
    window.document.undo_stack.setClean()
    window.close()
    state.cleanup()


if __name__ == "__main__":
    main()
