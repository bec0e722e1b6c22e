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


def test_panel_trains_colours_blocks_and_keeps_the_last_colours(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design()
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)
    session = panel.session
    session.runs_dir = tmp_path
    panel.form.replace(epochs=2)
    colourings: list = []
    session.colouring.connect(colourings.append)
    with qtbot.waitSignal(session.run_finished, timeout=120_000) as finished:
        assert panel.start_training()
    assert finished.args == ["finished", ""]
    panel.stop_and_join()
    conv = design.graph.find("conv1").id
    last = colourings[-1]  # the finished run's colours stay, labelled with the run and step
    assert last is not None and last.norms[conv] > 0
    assert (last.run, last.step) == ("tiny", 8) and last.design is design
    assert panel.legend.caption() == "tiny, step 8"
    panel.plots.redraw_all()
    xs, ys = panel.plots.train_loss.getData()
    assert len(xs) == 8 and np.isfinite(ys).all()
    assert len(panel.plots.depth_curve.getData()[0]) == 2
    assert panel.confusion.matrix is not None and panel.confusion.matrix.sum() == 32
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()
    session.export_csv(tmp_path / "m.csv")
    panel.export_png(tmp_path / "p.png")
    assert len((tmp_path / "m.csv").read_text().splitlines()) == 9
    assert (tmp_path / "p.png").stat().st_size > 1000
    log = next(tmp_path.glob("*/run.jsonl"))
    reopened = session.open_run_log(log)
    assert len(reopened.steps) == 8 and panel.plots.history is reopened
    assert reopened.info.dataset == reopened.info.dataset_asked == "sample"


def test_a_design_that_will_not_build_cannot_start_and_says_why(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design(broken=True)
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)
    panel.session.runs_dir = tmp_path
    assert not panel.train_button.isEnabled()
    assert "dangling_add" in panel.train_button.toolTip()
    assert not panel.start_training() and panel.session.worker is None
    assert "dangling_add" in panel.status.toolTip()
    assert len(design.graph) == 5  # the design is untouched
    assert not list(tmp_path.iterdir())


def test_a_run_that_fails_in_the_worker_ends_with_a_message(qtbot, tiny_design, tmp_path):
    """Should a design get past the checks and still not build, the worker says so."""
    from cnn_explorer.ui.training.worker import TrainJob, TrainWorker

    design = tiny_design(broken=True)
    worker = TrainWorker([TrainJob(design, design.settings, tmp_path / "r.jsonl")])
    with qtbot.waitSignal(worker.all_ended, timeout=60_000) as ended:
        worker.start()
    worker.wait(5000)
    assert ended.args[0] == "error" and "does not build" in ended.args[1]
    assert "Traceback" not in ended.args[1]


def test_closing_during_a_run_stops_and_joins(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design()
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)
    panel.session.runs_dir = tmp_path
    panel.form.replace(epochs=200)
    with qtbot.waitSignal(panel.session.colouring, timeout=120_000,  # steps are flowing
                          check_params_cb=lambda colouring: colouring is not None):
        panel.start_training()
    assert panel.stop_and_join(5.0)
    assert not panel.session.worker.isRunning()
    assert panel.session.histories[0].steps[-1] < 200 * 4


def test_plain_vs_residual_trains_both_and_overlays_them(qtbot, tiny_design, tmp_path):
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design()
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)
    panel.session.runs_dir = tmp_path
    panel.depth.setValue(8)
    panel.form.replace(subset=96, epochs=1, batch_size=128)  # the experiment's own recipe wins
    panel.session.experiment_steps = 2  # a test keeps the experiment short
    with qtbot.waitSignal(panel.session.run_finished, timeout=180_000) as finished:
        panel.degradation_button.click()
    panel.stop_and_join()
    assert finished.args == ["finished", ""]
    histories = panel.session.histories
    assert [h.info.label for h in histories] == ["plain-8", "residual-8"]
    assert [h.status for h in histories] == ["finished", "finished"]
    assert [h.info.batch_size for h in histories] == [32, 32]
    assert "estimated" in panel.status.toolTip() and "step 2:" in panel.status.toolTip()
    # the colours are residual-8's (the last net trained), and the legend says whose
    assert panel.session.last_colouring.run == "residual-8"
    assert panel.legend.caption().startswith("residual-8, step")
    panel.degradation.redraw()
    for error_curve, profile_curve in panel.degradation._curves:
        assert len(error_curve.getData()[0]) == 2  # two steps each, batches of 32
        assert len(profile_curve.getData()[0]) >= 8  # one point per conv/dense layer
    assert len(list(tmp_path.glob("*/run.jsonl"))) == 2


def test_the_experiment_says_beforehand_how_long_it_will_take(qtbot, tiny_design):
    import re

    from cnn_explorer.training.experiment import Throughput
    from cnn_explorer.ui.training.panel import TrainingPanel

    design = tiny_design()
    panel = TrainingPanel(lambda: design)
    qtbot.addWidget(panel)

    def seconds() -> int:
        found = re.search(r"~(\d+) s", panel.degradation_button.text())
        assert found, panel.degradation_button.text()
        return int(found.group(1))

    panel.depth.setValue(20)
    at_20 = seconds()
    assert "first guess" in panel.degradation_button.toolTip()
    panel.depth.setValue(56)
    assert seconds() > at_20  # a deeper pair takes longer
    panel.depth.setValue(21)  # not 6n+2: no estimate, and the reason
    assert "Cannot run the experiment" in panel.degradation_button.toolTip()
    panel.depth.setValue(20)
    panel.session.speed = Throughput(Throughput().flop_rate * 10, 1.0, measured=True)
    panel.session.run_finished.emit("finished", "")  # a run measured this machine's speed
    assert seconds() < at_20 and "this machine" in panel.degradation_button.toolTip()
