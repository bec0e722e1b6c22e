"""Run handling as a user meets it (issue 9, parts 3, 4 and 7): the dataset you pick is the one
that trains, Train only what can train, and gradient colours and plots that belong to a run."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from cnn_explorer.model.settings import RunSettings
from cnn_explorer.training import availability
from cnn_explorer.ui.palette.preset_dialog import PresetDialog

RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def panel(window, qtbot, tmp_path):
    qtbot.waitUntil(lambda: window.training_panel is not None, timeout=10_000)
    p = window.training_panel
    p.session.runs_dir = tmp_path / "runs"
    return p


def small(panel, **changes) -> None:
    """Settings for a run of seconds: 48 training images, batches of 32, one epoch."""
    panel.form.replace(**{"epochs": 1, "subset": 64, "batch_size": 32,
                          "validation_split": 0.25, **changes})


def classifier(window):
    graph = window.document.graph
    return graph.block(graph.report().output_ids[0])


def coloured(window) -> list[str]:
    return [bid for bid, card in window.scene.cards.items() if card.gradient is not None]


def points(curve) -> int:
    xs, _ = curve.getData()
    return 0 if xs is None else len(xs)


def answer_dialog(monkeypatch, pick) -> list[str]:
    """Answer the next message boxes run with exec() by clicking `pick(box)`; returns texts."""
    shown: list[str] = []

    def exec_(box):
        shown.append(box.text())
        pick(box).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return shown


def button(text: str):
    return lambda box: next(b for b in box.buttons() if b.text() == text)


# --- part 3: the dataset you pick is the dataset that trains ----------------------------------
def test_the_starter_design_fits_the_default_dataset(window, panel):
    default = RunSettings().dataset
    assert panel.form.settings().dataset == default
    assert classifier(window).params["classes"] == availability.dataset_classes(default)
    assert panel.train_button.isEnabled() and panel.hurdle is None


def test_a_class_count_that_does_not_fit_is_flagged_and_fixed_in_one_click(window, panel, qtbot):
    panel.form.replace(dataset="cifar100")  # as a user picks it: an undoable settings edit
    assert not panel.train_button.isEnabled()  # 10 outputs cannot learn 100 classes
    assert "10 classes but cifar100 has 100" in panel.train_button.toolTip()
    assert panel.fix_button.isVisibleTo(panel) and panel.fix_button.text() == "Set classes to 100"
    qtbot.mouseClick(panel.fix_button, Qt.LeftButton)
    window.document.flush()
    assert classifier(window).params["classes"] == 100
    assert panel.train_button.isEnabled() and not panel.fix_button.isVisibleTo(panel)
    window.undo_action.trigger()  # the fix is an ordinary, undoable edit
    window.document.flush()
    assert classifier(window).params["classes"] == 10 and not panel.train_button.isEnabled()


def test_an_unavailable_dataset_asks_first_and_never_trains_another(window, panel, qtbot,
                                                                     monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-cache"))  # nothing cached
    monkeypatch.setattr(availability, "host_reachable", lambda url, timeout_s=1.5: False)
    window.controller.set_param(classifier(window).id, "classes", 100)
    window.document.flush()
    small(panel, dataset="cifar100")
    assert panel.train_button.isEnabled()

    shown = answer_dialog(monkeypatch, lambda box: box.button(QMessageBox.No))
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    assert len(shown) == 1 and "cifar100 cannot be loaded" in shown[0] and "sample" in shown[0]
    assert panel.session.worker is None  # No cancels: nothing trains
    assert panel.form.settings().dataset == "cifar100"

    shown = answer_dialog(monkeypatch, button("Use the sample"))
    with qtbot.waitSignal(panel.session.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
        assert panel.form.settings().dataset == "sample"  # the form shows what trains
    assert finished.args == ["finished", ""] and len(shown) == 1
    log = next((tmp_path / "runs").glob("*/run.jsonl"))
    start = json.loads(log.read_text().splitlines()[0])
    assert (start["dataset_asked"], start["dataset"], start["settings"]["dataset"]) == \
        ("cifar100", "sample", "sample")


# --- part 4: Train only what can train -------------------------------------------------------
def test_train_is_disabled_while_the_design_has_a_problem(window, panel, qtbot):
    bid = window.view.drop_block("add", QPointF(900, 40))  # dropped, not wired: two problems
    window.document.flush()
    name = window.document.graph.block(bid).name
    assert not panel.train_button.isEnabled()
    assert name in panel.train_button.toolTip() and name in panel.status.toolTip()
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    assert panel.session.worker is None
    window.scene.clearSelection()
    qtbot.mouseClick(panel.show_block_button, Qt.LeftButton)  # one click from the block
    assert window.scene.selected_block_ids() == [bid]
    window.undo_action.trigger()
    window.document.flush()
    assert panel.train_button.isEnabled() and not panel.show_block_button.isVisibleTo(panel)


# --- part 7: gradient colours and plots belong to a run --------------------------------------
def test_a_finished_run_keeps_its_colours_until_the_design_is_edited(window, panel, qtbot):
    small(panel)
    with qtbot.waitSignal(panel.session.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    assert finished.args == ["finished", ""]
    last_step = int(panel.session.history.steps[-1])
    assert coloured(window)  # still coloured after Finish
    assert window.view.legend.caption() == f"plain-cnn, step {last_step}"
    assert window.view.legend.isVisibleTo(window.view)
    assert window.statusBar().currentMessage() == "Training finished"
    window.controller.set_param(classifier(window).id, "classes", 12)  # an edit
    window.document.flush()
    assert coloured(window) == [] and not window.view.legend.isVisibleTo(window.view)


def test_stop_reads_stopped_and_another_design_starts_with_empty_plots(window, panel, qtbot,
                                                                      monkeypatch):
    small(panel, epochs=500)
    with qtbot.waitSignal(panel.session.colouring, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda colouring: colouring is not None):
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    with qtbot.waitSignal(panel.session.run_finished, timeout=60_000) as finished:
        qtbot.mouseClick(panel.stop_button, Qt.LeftButton)
    assert finished.args[0] == "stopped"
    assert panel.status.text().startswith("Stopped") and panel.progress.format() == "Stopped"
    assert window.statusBar().currentMessage() == "Stopped"
    assert coloured(window)  # a stopped run can be inspected too
    panel.plots.redraw_all()
    assert points(panel.plots.train_loss) > 0

    monkeypatch.setattr(PresetDialog, "exec", lambda dialog: PresetDialog.Accepted)
    window.choose_preset("resnet20")
    panel.plots.redraw_all()
    assert points(panel.plots.train_loss) == 0  # the new design's plots start empty
    assert coloured(window) == [] and panel.legend.caption() == ""


def test_the_experiment_colours_are_labelled_and_never_painted_on_another_design(
        window, panel, qtbot):
    panel.depth.setValue(8)
    panel.session.experiment_steps = 2  # the experiment sizes itself; a test keeps it short
    seen: list = []
    panel.session.colouring.connect(lambda c: seen.append(window.view.legend.isVisible()))
    with qtbot.waitSignal(panel.session.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(panel.degradation_button, Qt.LeftButton)
    assert finished.args == ["finished", ""]
    assert coloured(window) == [] and not any(seen)  # plain-8 is not the design on the canvas
    assert panel.legend.caption().startswith("residual-8, step")
