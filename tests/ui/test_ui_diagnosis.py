"""Gradient health in the app (issue 13, part 3): the Diagnosis list, live and reopened; a
finding's blocks on the canvas; each fix one undo step; train again and compare; TensorBoard."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from cnn_explorer.model.files import design_to_dict
from cnn_explorer.model.fixes import apply_fix
from cnn_explorer.training.diagnosis import FIXES
from cnn_explorer.training.history import RunHistory
from cnn_explorer.training.records import RunInfo, StepRecord
from cnn_explorer.training.runlog import RunLogWriter
from cnn_explorer.ui.training.diagnosis_view import HEALTHY
from cnn_explorer.ui.training.worker import TrainJob

RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def panel(window, qtbot, tmp_path):
    qtbot.waitUntil(lambda: window.training_panel is not None, timeout=10_000)
    p = window.training_panel
    p.session.runs_dir = tmp_path / "runs"
    return p


def rows(panel) -> list[str]:
    view = panel.diagnosis.list
    return [view.item(i).text() for i in range(view.count())]


def finding(blocks, fixes, code="vanishing") -> dict:
    return {"code": code, "title": "Vanishing gradients", "message": "The gradient vanishes "
            "after block 3: this is why residual connections exist.", "blocks": blocks,
            "evidence": {"first_to_last_ratio": 1e-6}, "fixes": fixes, "severity": "error"}


def as_if_trained(window, panel, findings: list[dict]) -> RunHistory:
    """The session as after a run of the open design that reported these findings."""
    session, history = panel.session, RunHistory()
    history.on_start(RunInfo(layers=[], epochs=1, steps_per_epoch=2, batch_size=32,
                             class_names=[], settings={}))
    history.on_steps([StepRecord(step=s, epoch=1, loss=2.5 - s / 10, accuracy=0.1, seconds=s)
                      for s in (1, 2, 3)])
    session.jobs = [TrainJob(window.document.snapshot(), window.document.design.settings)]
    session.histories, session.history = [history], history
    session.history_shown.emit(history)
    session._on_findings(0, findings)  # what the worker's `findings` signal calls
    return history


def fix_button(panel, text: str):
    """The button of the fix whose whole name (diagnosis.FIXES, the undo text) is `text`."""
    return next(b for b in panel.diagnosis.fix_buttons if FIXES[b.code] == text)


def test_a_real_run_lists_vanishing_selects_its_blocks_and_writes_tensorboard(
        window, panel, qtbot):
    window.controller.load_preset("plain-deep", depth=20, batch_norm=False)
    panel.form.replace(activation_override="sigmoid", epochs=1, subset=576, batch_size=32,
                       validation_split=0.1)
    panel.tensorboard_action.setChecked(True)
    assert panel.diagnosis.list.count() == 1 and not rows(panel)[0].startswith("\u2716")
    with qtbot.waitSignal(panel.session.run_finished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    codes = [f["code"] for f in panel.diagnosis.findings]
    assert "vanishing" in codes and panel.session.history.findings == panel.diagnosis.findings
    assert panel.tabs.tabText(panel.tabs.indexOf(panel.diagnosis)) == f"Diagnosis ({len(codes)})"
    row = codes.index("vanishing")
    assert "Vanishing" in rows(panel)[row] or "vanish" in rows(panel)[row].lower()
    panel.diagnosis.list.setCurrentRow(row)
    blocks = panel.diagnosis.findings[row]["blocks"]
    assert blocks and sorted(window.scene.selected_block_ids()) == sorted(blocks)
    names = [window.document.graph.block(b).name for b in blocks]
    assert names[0] == "stem"  # the input side first
    layers = panel.session.history.info.layers  # its layers' curves stand out in the plot
    lines = panel.plots.layer_lines[panel.plots.time_plot]
    widths = {layers[col].get("block") in blocks: pen.width() for pen, col in
              zip(lines.pens, [i for i, x in enumerate(layers)
                               if x["kind"] != "BatchNormalization"])}
    assert widths == {True: 3, False: 1}
    events = list(panel.session.runs_dir.glob("*/tensorboard/events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 0


def test_no_tensorboard_folder_unless_asked(window, panel, qtbot):
    panel.form.replace(epochs=1, subset=64, batch_size=32, validation_split=0.25)
    with qtbot.waitSignal(panel.session.run_finished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    assert list(panel.session.runs_dir.glob("*/run.jsonl"))
    assert not list(panel.session.runs_dir.glob("*/tensorboard"))
    assert rows(panel) == [HEALTHY] or panel.diagnosis.findings  # a short run may find some


def test_each_fix_is_one_undo_step_that_keeps_the_file(window, panel, tmp_path):
    window.controller.load_preset("plain-deep", depth=8, batch_norm=False)
    assert window.files.save_to(tmp_path / "mine.json")
    convs = [b.id for b in window.document.graph.blocks() if b.kind == "conv2d"][:4]
    as_if_trained(window, panel, [finding(convs, ["residual", "lr_down", "clip"])])
    assert rows(panel) == ["\u2716 error: Vanishing gradients"]
    panel.diagnosis.list.setCurrentRow(0)
    assert sorted(window.scene.selected_block_ids()) == sorted(convs)
    assert "first_to_last_ratio: 1e-06" in panel.diagnosis.detail.toPlainText()
    assert not panel.diagnosis.again_button.isEnabled()
    stack = window.document.undo_stack
    whole = apply_fix(window.document.snapshot(), "residual")
    shortcuts = sum(b.kind == "add" for b in whole.graph.blocks())
    assert shortcuts > 2  # more than the finding's 4 blocks would get
    for text, changed in (
            ("Wrap the blocks in residual blocks (identity shortcuts)",  # the whole path
             lambda d: sum(b.kind == "add" for b in d.graph.blocks()) == shortcuts),
            ("Divide the learning rate by 10",
             lambda d: d.settings.learning_rate == pytest.approx(1e-4)),
            ("Clip gradients (global norm 1.0)", lambda d: d.settings.clip_norm == 1.0)):
        before, depth = design_to_dict(window.document.design), stack.count()
        settings = window.document.design.settings
        fix_button(panel, text).click()
        assert changed(window.document.design), text
        assert stack.count() == depth + 1 and window.undo_action.text() == f"&Undo Fix: {text}"
        assert window.document.path == tmp_path / "mine.json"
        assert panel.diagnosis.again_button.isEnabled()
        if text.startswith("Divide"):
            assert panel.form.settings().learning_rate == pytest.approx(1e-4)  # the form shows it
        window.undo_action.trigger()
        after = design_to_dict(window.document.design)
        assert {k: v for k, v in after.items() if k != "positions"} == \
            {k: v for k, v in before.items() if k != "positions"}
        assert window.document.design.settings == settings
        fix_button(panel, text).click()  # and again, for the next fix to build on
    assert dataclasses.asdict(window.document.design.settings)["clip_norm"] == 1.0


def test_a_finding_about_another_network_selects_nothing(window, panel):
    window.controller.load_preset("plain-deep", depth=8, batch_norm=False)
    convs = [b.id for b in window.document.graph.blocks() if b.kind == "conv2d"][:2]
    as_if_trained(window, panel, [finding(convs, ["relu"])])
    window.controller.set_param(convs[0], "filters", 7)  # edited since the run
    window.document.flush()
    window.scene.clearSelection()
    panel.diagnosis.list.setCurrentRow(0)
    assert window.scene.selected_block_ids() == []
    assert "another network" in window.statusBar().currentMessage()


def test_findings_reopen_with_the_run_log(window, panel, tmp_path):
    log = tmp_path / "run.jsonl"
    writer = RunLogWriter(log)
    writer.on_start(RunInfo(layers=[], epochs=1, steps_per_epoch=1, batch_size=8,
                            class_names=[], settings={}))
    writer.on_findings([finding(["b9"], ["relu"], code="saturated")])
    writer.on_end("finished", "")
    panel.session.reset()
    assert rows(panel)[0].startswith("Train the design")
    panel.session.open_run_log(log)
    assert [f["code"] for f in panel.diagnosis.findings] == ["saturated"]
    assert panel.diagnosis.list.item(0).toolTip().startswith("The gradient vanishes")


def test_train_again_overlays_the_earlier_run_until_cleared(window, panel, qtbot):
    panel.form.replace(epochs=1, subset=64, batch_size=32, validation_split=0.25)
    earlier = as_if_trained(window, panel, [finding([], ["lr_down"])])
    panel.diagnosis.list.setCurrentRow(0)
    fix_button(panel, "Divide the learning rate by 10").click()
    with qtbot.waitSignal(panel.session.run_finished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.diagnosis.again_button, Qt.LeftButton)
    assert panel.session.history is not earlier
    assert panel.session.history.info.settings["learning_rate"] == pytest.approx(1e-4)
    xs, ys = panel.plots.ref_loss.getData()
    assert list(xs) == [1, 2, 3] and list(ys) == pytest.approx([2.4, 2.3, 2.2])
    assert panel.diagnosis.clear_button.isVisibleTo(panel.diagnosis)
    assert not panel.diagnosis.again_button.isEnabled()  # until the next fix
    panel.diagnosis.clear_button.click()
    xs, _ = panel.plots.ref_loss.getData()
    assert xs is None or len(xs) == 0


def test_feature_maps_of_the_selected_block_after_a_run(window, panel, qtbot):
    panel.form.replace(epochs=1, subset=64, batch_size=32, validation_split=0.25)
    panel.feature_maps_requested.emit()  # nothing trained yet: says what is needed
    assert "finished run" in window.statusBar().currentMessage()
    with qtbot.waitSignal(panel.session.run_finished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    window.scene.clearSelection()
    panel.feature_maps_requested.emit()
    assert "Select one block" in window.statusBar().currentMessage()
    conv = next(b for b in window.document.graph.blocks() if b.kind == "conv2d")
    window.scene.select_block(conv.id)
    panel.feature_maps_requested.emit()
    dialog = window.run_link.feature_maps
    assert isinstance(dialog, QDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=60_000)
    h, w, filters = window.document.graph.report().blocks[conv.id].output_shape
    assert filters == conv.params["filters"]
    assert dialog.result.maps.shape == (h, w, filters) and dialog.tile_count() == filters
    assert dialog.windowTitle() == f"Feature maps of {conv.name}"
    assert f"{filters} channels of {h}x{w}" in dialog.caption.text()
    assert dialog.activity.points() >= 1  # the run's probe at step 1, over time
    assert conv.name in dialog.activity.plotItem.titleLabel.text
    first = dialog.result
    dialog.index.setValue(5)  # another test image: other maps
    qtbot.waitUntil(lambda: dialog.result is not first, timeout=60_000)
    assert not (dialog.result.image == first.image).all()
    dialog.close()
