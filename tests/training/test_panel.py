"""The worker thread and the training panel, driven through their signals (offscreen)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def test_panel_import_does_not_import_tensorflow():
    code = ("import sys; import cnn_explorer.ui.training.panel, cnn_explorer.ui.training.plots; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_worker_signals_reach_the_gui_thread(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.worker import TrainJob, TrainWorker

    design = tiny_design()
    job = TrainJob(design, design.settings, tmp_path / "r.jsonl", tmp_path / "r.keras", "tiny")
    worker = TrainWorker([job])
    got = {"info": [], "steps": [], "epochs": [], "data": []}
    worker.run_info.connect(lambda i, info: got["info"].append(info))
    worker.steps.connect(lambda i, steps: got["steps"].extend(steps))
    worker.epoch.connect(lambda i, e: got["epochs"].append(e))
    worker.data_ready.connect(got["data"].append)
    with qtbot.waitSignal(worker.all_ended, timeout=120_000) as ended:
        worker.start()
    assert ended.args == ["finished", ""]
    worker.wait(5000)
    assert got["info"][0].label == "tiny" and got["data"][0].name == "sample"
    assert [s.step for s in got["steps"]] == list(range(1, 5))  # 128 images / 32
    assert all(len(s.grad_norms) == 2 for s in got["steps"])  # conv1, predictions
    assert len(got["epochs"]) == 1 and (tmp_path / "r.keras").exists()


def test_panel_trains_colours_blocks_and_clears_them(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design()
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)
    panel.runs_dir = tmp_path
    panel.form.replace(epochs=2)
    colourings: list[dict] = []
    panel.block_gradient_norms.connect(colourings.append)
    with qtbot.waitSignal(panel.run_finished, timeout=120_000) as finished:
        assert panel.start_training()
    assert finished.args == [""]
    panel.stop_and_join()
    conv = design.graph.find("conv1").id
    assert colourings[-1] == {}  # the canvas clears its colours when the run ends
    assert any(conv in c and c[conv] > 0 for c in colourings[:-1])
    panel.plots.redraw_all()
    xs, ys = panel.plots.train_loss.getData()
    assert len(xs) == 8 and np.isfinite(ys).all()
    assert len(panel.plots.depth_curve.getData()[0]) == 2
    assert panel.confusion.matrix is not None and panel.confusion.matrix.sum() == 32
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()
    panel.export_csv(tmp_path / "m.csv")
    panel.export_png(tmp_path / "p.png")
    assert len((tmp_path / "m.csv").read_text().splitlines()) == 9
    assert (tmp_path / "p.png").stat().st_size > 1000
    log = next(tmp_path.glob("*/run.jsonl"))
    reopened = panel.open_run_log(log)
    assert len(reopened.steps) == 8 and panel.plots.history is reopened


def test_a_design_that_will_not_build_ends_with_a_message(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design(broken=True)
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)
    panel.runs_dir = tmp_path
    with qtbot.waitSignal(panel.run_finished, timeout=60_000) as finished:
        panel.start_training()
    panel.stop_and_join()
    assert "does not build" in finished.args[0]
    assert "does not build" in panel.status.toolTip() and panel.train_button.isEnabled()
    assert len(design.graph) == 5  # the design is untouched


def test_closing_during_a_run_stops_and_joins(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design()
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)
    panel.runs_dir = tmp_path
    panel.form.replace(epochs=200)
    with qtbot.waitSignal(panel.block_gradient_norms, timeout=120_000):  # steps are flowing
        panel.start_training()
    assert panel.stop_and_join(5.0)
    assert not panel.worker.isRunning()
    assert panel.histories[0].steps[-1] < 200 * 4


def test_plain_vs_residual_trains_both_and_overlays_them(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design()
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)
    panel.runs_dir = tmp_path
    panel.depth.setValue(8)
    panel.form.replace(subset=96, validation_split=0.33, batch_size=32, epochs=1)
    with qtbot.waitSignal(panel.run_finished, timeout=180_000) as finished:
        assert panel.start_degradation()
    panel.stop_and_join()
    assert finished.args == [""]
    assert [h.info.label for h in panel.histories] == ["plain-8", "residual-8"]
    assert [h.status for h in panel.histories] == ["finished", "finished"]
    panel.degradation.redraw()
    for error_curve, profile_curve in panel.degradation._curves:
        assert len(error_curve.getData()[0]) == 2  # 64 images / 32: two steps each
        assert len(profile_curve.getData()[0]) >= 8  # one point per conv/dense layer
    assert len(list(tmp_path.glob("*/run.jsonl"))) == 2
