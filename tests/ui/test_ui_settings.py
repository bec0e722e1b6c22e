"""Run settings belong to the design: the training form edits the document (undoably), Save
writes what the form shows, opening a file fills the form, and there is one batch size."""

from PySide6.QtCore import Qt

from cnn_explorer.model.files import load_design, save_design
from cnn_explorer.model.presets import build_preset
from cnn_explorer.model.settings import RunSettings


def _form(window):
    assert window.add_training_panel()
    return window.training_panel.form


def _choose(combo, text):
    """Pick an item as a user does (activated is emitted by user choices only)."""
    index = combo.findText(text)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_a_form_edit_is_an_undoable_change_of_the_document(window, qtbot):
    form = _form(window)
    stack = window.document.undo_stack
    stack.setClean()
    before = window.document.design.settings
    form.editors["epochs"].widget.setValue(before.epochs + 4)
    assert window.document.design.settings.epochs == before.epochs + 4
    assert not stack.isClean() and window.isWindowModified()
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    if window.document.design.settings != before:  # offscreen focus may not route the key
        window.undo_action.trigger()
    assert window.document.design.settings == before
    assert form.editors["epochs"].widget.value() == before.epochs
    assert stack.isClean()


def test_a_refused_value_leaves_the_document_as_it_was(window):
    form = _form(window)
    before = window.document.design.settings
    form.editors["dataset"].combo.setCurrentText("   ")
    form.editors["dataset"].commit(form.editors["dataset"].get_value())
    assert window.document.design.settings == before
    assert "dataset" in form.error.text()
    assert form.editors["dataset"].get_value() == before.dataset


def test_save_writes_what_the_form_shows(window, tmp_path):
    form = _form(window)
    _choose(form.editors["optimizer"].widget, "sgd")
    _choose(form.editors["schedule"].widget, "step")
    form.editors["learning_rate"].widget.setValue(0.05)
    form.editors["augment"].widget.setChecked(True)
    form.editors["dataset"].combo.setCurrentText("cifar10")
    form.editors["dataset"].combo.lineEdit().editingFinished.emit()
    path = tmp_path / "mine.json"
    assert window.files.save_to(path)
    saved = load_design(path).settings
    assert (saved.optimizer, saved.schedule, saved.learning_rate, saved.augment,
            saved.dataset) == ("sgd", "step", 0.05, True, "cifar10")


def test_opening_a_file_fills_the_form_widgets(window, tmp_path):
    form = _form(window)
    design = build_preset("resnet20")
    design.settings = RunSettings(optimizer="sgd", learning_rate=0.05, epochs=7, batch_size=32,
                                  dataset="cifar10", augment=True)
    path = tmp_path / "with_settings.json"
    save_design(design, path)
    assert window.files.open(path)
    shown = {name: editor.get_value() for name, editor in form.editors.items()}
    assert shown == {**design.settings.to_dict(), "learning_rate": shown["learning_rate"]}
    assert abs(shown["learning_rate"] - 0.05) < 1e-9
    assert window.inspector.batch.value() == 32


def test_one_batch_size_in_the_inspector_and_the_form(window):
    form = _form(window)
    original = window.document.design.settings.batch_size
    window.inspector.batch.setValue(64)
    assert window.document.design.settings.batch_size == 64
    assert form.editors["batch_size"].widget.value() == 64
    form.editors["batch_size"].widget.setValue(32)
    window.document.flush()
    assert window.inspector.batch.value() == 32
    assert "at batch 32" in window.inspector.totals_text()
    window.undo_action.trigger()  # successive edits of one setting merge into one step
    assert window.document.design.settings.batch_size == original != 32
    assert window.inspector.batch.value() == original == form.editors["batch_size"].widget.value()


def test_form_ranges_are_the_models(window):
    import pytest

    from cnn_explorer.model.errors import ParameterError
    from cnn_explorer.model.spec import spec_fields

    form = _form(window)
    for field in spec_fields(RunSettings):
        widget = form.editors[field["name"]].widget
        if field["kind"] in ("int", "float"):
            assert (widget.minimum(), widget.maximum()) == pytest.approx(
                (field["low"], field["high"])), field["name"]
            with pytest.raises(ParameterError, match=field["name"]):
                RunSettings(**{field["name"]: field["high"] * 2 + 1})
        elif field["kind"] == "choice":
            assert [widget.itemText(i) for i in range(widget.count())] == list(field["choices"])
