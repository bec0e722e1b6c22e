"""Inspector: typed editors with ranges, edits through undo, totals and the layer table."""

from PySide6.QtWidgets import QComboBox, QSpinBox

from cnn_explorer.model.spec import PADDINGS
from cnn_explorer.ui.param_editors import ParamEditor

from .helpers import model_state


def _select(window, name):
    bid = window.document.graph.find(name).id
    window.scene.select_block(bid)
    return bid


def test_editors_are_typed_with_the_valid_range(window):
    _select(window, "conv1")
    form = window.inspector.form
    filters = form.editors["filters"].widget
    assert isinstance(filters, QSpinBox)
    assert (filters.minimum(), filters.maximum()) == (1, 8192)
    padding = form.editors["padding"].widget
    assert isinstance(padding, QComboBox)
    assert [padding.itemText(i) for i in range(padding.count())] == list(PADDINGS)
    assert padding.currentText() == "valid"


def test_parameter_edit_changes_shapes_and_totals_and_undoes(window):
    g = window.document.graph
    bid = _select(window, "conv1")
    before = model_state(window)
    totals_before = window.inspector.totals_text()
    card = window.scene.cards[bid]
    assert card.shape_text == "(N, 30, 30, 16)"
    window.inspector.form.editors["filters"].widget.setValue(64)
    window.document.flush()  # what the next event-loop turn does
    assert g.block(bid).params["filters"] == 64
    assert card.shape_text == "(N, 30, 30, 64)"
    total = window.document.report().total_params
    assert f"{total:,}" in window.inspector.totals_text() != totals_before
    rows = window.inspector.layers
    row = rows.row_of_block(bid)
    assert rows.data(rows.index(row, 2)) == "(N, 30, 30, 64)"
    assert window.undo_action.text() == "&Undo Set conv1.filters = 64"
    window.undo_action.trigger()
    window.document.flush()
    assert model_state(window) == before
    assert window.inspector.form.editors["filters"].widget.value() == 16
    assert window.inspector.totals_text() == totals_before


def test_size_editor_writes_square_as_one_number():
    got = []
    editor = ParamEditor({"name": "kernel", "kind": "size", "low": 1, "high": 15,
                          "choices": None, "doc": ""}, got.append)
    editor.show([3, 3])
    h, w = editor._children
    w.setValue(5)
    h.setValue(5)
    assert got == [[3, 5], 5]


def test_refused_value_shows_reason_and_keeps_model(window):
    bid = _select(window, "conv1")
    form = window.inspector.form
    before = model_state(window)
    form._commit("filters", 0)  # below the range: the spin box would not allow it
    assert "filters must be" in form.error.text()
    assert model_state(window) == before
    assert window.document.graph.block(bid).params["filters"] == 16


def test_rename_goes_through_undo(window):
    bid = _select(window, "conv1")
    form = window.inspector.form
    form.name_edit.setText("first_conv")
    form.name_edit.editingFinished.emit()
    assert window.document.graph.block(bid).name == "first_conv"
    form.name_edit.setText("pool1")  # taken
    form.name_edit.editingFinished.emit()
    assert "already named" in form.error.text()
    assert form.name_edit.text() == "first_conv"
    window.document.undo_stack.undo()
    assert window.document.graph.block(bid).name == "conv1"
    assert form.name_edit.text() == "conv1"


def test_batch_size_scales_activation_memory(window):
    report = window.document.report()
    window.inspector.batch.setValue(1)
    one = window.inspector.totals_text()
    window.inspector.batch.setValue(256)
    assert "at batch 256" in window.inspector.totals_text() != one
    assert report.activation_bytes(256) == 256 * report.activation_bytes(1)


def test_layer_table_row_click_selects_block(window):
    window.controller.load_preset("densenet-bc-100")
    window.document.flush()
    rows = window.inspector.layers
    assert rows.rowCount() == len(window.document.report().layers) > 300
    window.inspector.table.clicked.emit(rows.index(rows.rowCount() - 1, 0))
    assert window.scene.selected_block_ids() == [window.document.graph.find("predictions").id]


def test_selecting_a_block_selects_its_layers_in_the_table(window, qtbot):
    window.controller.load_preset("resnet20")
    window.document.flush()
    bid = _select(window, "stage2_block1")
    rows = sorted({i.row() for i in window.inspector.table.selectionModel().selectedIndexes()})
    layers = window.inspector.layers
    assert rows and all(layers.block_at(r) == bid for r in rows)
    assert len(rows) == len(window.document.report().blocks[bid].layers)
    bar = window.inspector.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == rows[0] > 0, timeout=3000)  # its first row on top


def test_totals_of_a_one_block_design_read_in_the_singular(window):
    from cnn_explorer.model.files import Design
    from cnn_explorer.model.graph import Graph

    g = Graph()
    g.add_block("input", {"height": 8, "width": 8, "channels": 3}, position=(0, 0))
    window.controller.load_design(Design(g, title="one"), "Open one")
    window.document.flush()
    text = window.inspector.totals_text()
    assert "1 block, 1 layer" in text and "<b>0 FLOPs</b>" in text
    card = window.scene.cards[g.block_ids()[0]]
    assert card.shape_text == "(N, 8, 8, 3)" and card.count_text == "0 params"


def test_per_channel_numbers_are_edited_as_text_and_checked(window):
    """Rescaling's scale (one number or one per channel) is typed as a list; a bad list is
    refused with the model's reason and the block keeps its value."""
    conv = window.document.graph.find("conv1").id
    bid = window.controller.add_after("rescaling", conv)
    window.scene.select_block(bid)
    form = window.inspector.form
    scale = form.editors["scale"]
    assert scale.widget.text() == repr(1 / 255)
    scale.widget.setText("0.5, 0.25")
    scale.widget.editingFinished.emit()
    window.document.flush()
    assert tuple(window.document.graph.block(bid).params["scale"]) == (0.5, 0.25)
    problems = [p.message for p in window.document.report().problems if p.block_id == bid]
    assert problems and "2 scale values for 16 channels" in problems[0]
    scale.widget.setText("half")
    scale.widget.editingFinished.emit()
    assert "scale must be" in form.error.text()
    assert tuple(window.document.graph.block(bid).params["scale"]) == (0.5, 0.25)
