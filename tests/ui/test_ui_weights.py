"""Fine-tuning in the window: a block's trainable switch (undoable, a lock on its card), a
checkpoint reopened with its weights, and the gradient plot naming frozen blocks."""

from __future__ import annotations

from cnn_explorer.model.files import load_design, save_design
from cnn_explorer.model.presets import build_preset
from cnn_explorer.training.history import RunHistory
from cnn_explorer.training.records import RunInfo
from cnn_explorer.ui.canvas.items import FROZEN_BADGE
from cnn_explorer.ui.training.plots import TrainingPlots


def test_the_trainable_switch_freezes_a_block_shows_a_lock_and_undoes(window, tmp_path):
    graph = window.document.graph
    bid = graph.find("conv1").id
    window.scene.select_block(bid)
    switch = window.inspector.form.trainable
    assert switch.isChecked() and not window.scene.cards[bid].frozen
    switch.setChecked(False)
    assert not graph.block(bid).trainable and window.scene.cards[bid].frozen
    assert window.undo_action.text() == "&Undo Freeze conv1"
    assert FROZEN_BADGE.endswith("frozen")
    window.files.save_to(tmp_path / "frozen.json")
    assert not load_design(tmp_path / "frozen.json").graph.find("conv1").trainable
    window.document.undo_stack.undo()
    assert graph.block(bid).trainable and not window.scene.cards[bid].frozen
    assert switch.isChecked()  # the switch follows the model


def test_open_checkpoint_names_its_weights_and_training_gets_them(window, qtbot, tmp_path):
    design = build_preset("resnet20")
    save_design(design, tmp_path / "run.design.json")
    (tmp_path / "run.keras").write_bytes(b"weights of a trained run")  # read at train time
    with qtbot.waitSignal(window.keras.imported, timeout=10000):
        assert window.keras.open_checkpoint(str(tmp_path / "run.keras"))
    weights = window.document.snapshot().weights  # what a training run is handed
    assert weights is not None and weights.file == str(tmp_path / "run.keras")
    assert set(weights.blocks) == set(window.document.graph.block_ids())
    assert window.undo_action.text() == "&Undo Open checkpoint run.keras"
    window.document.undo_stack.undo()
    assert window.document.design.weights is None
    with qtbot.waitSignal(window.keras.failed, timeout=10000) as failed:
        window.keras.open_checkpoint(str(tmp_path / "missing.keras"))
    assert "missing.keras does not exist or is not a file" in failed.args[0]


def test_the_gradient_plot_names_frozen_blocks(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    history = RunHistory()
    history.on_start(RunInfo(layers=[{"name": "fc", "kind": "Dense", "depth": 0,
                                      "block": "b2"}], epochs=1, steps_per_epoch=1,
                             batch_size=8, class_names=["a", "b"], settings={},
                             frozen=["conv1", "bn1"]))
    plots.set_history(history)
    assert plots.time_plot.note == "2 frozen"
    assert "conv1, bn1" in plots.time_plot.toolTip()


def test_an_edit_of_the_whole_design_keeps_its_weights_and_a_new_design_drops_them(window,
                                                                                   tmp_path):
    from cnn_explorer.model.files import design_from_dict, design_to_dict
    from cnn_explorer.model.weights_ref import WeightsRef

    named = WeightsRef(str(tmp_path / "w.weights.h5"), "0" * 64, {})
    window.document.design.weights = named
    edited = design_from_dict(design_to_dict(window.document.design))
    edited.weights = None  # a fix or a scaling builds its design without them
    window.controller.edit_design(edited, "Fix")
    assert window.document.design.weights == named  # unchanged blocks keep theirs
    window.controller.load_design(build_preset("resnet20"), "Load preset")
    assert window.document.design.weights is None
    window.document.undo_stack.undo()
    assert window.document.design.weights == named
