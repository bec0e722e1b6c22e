"""The run-settings form: one editor per RunSettings field, built from the field metadata.

The editors are the inspector's (`ParamEditor`), so ranges and choices come from
`model/settings.py` alone. Once bound to the document (`bind`), the form shows the design's
run settings and every edit is an undoable change of the document; unbound (a panel on its
own, in tests) it edits a local copy.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from cnn_explorer.model.settings import DATASETS, RunSettings
from cnn_explorer.model.spec import spec_fields
from cnn_explorer.ui.param_editors import ParamEditor

LABELS = {"momentum": "Momentum (SGD)", "schedule": "LR schedule", "subset": "Subset",
          "initializer_override": "Init override", "grad_norm_every": "Grad norms every"}


class DatasetEditor:
    """Dataset: a name from the list, or a typed/browsed path to an .npz or CIFAR archive."""

    def __init__(self, field: dict, commit) -> None:
        self.field, self.commit = field, commit
        self.combo = QComboBox()
        self.combo.addItems(list(DATASETS))
        self.combo.setEditable(True)
        self.combo.setToolTip(field["doc"])
        self.combo.activated.connect(lambda _: self.commit(self.get_value()))
        self.combo.lineEdit().editingFinished.connect(lambda: self.commit(self.get_value()))
        browse = QPushButton("...")
        browse.setFixedWidth(28)
        browse.setToolTip("Choose a local .npz (x, y) or CIFAR binary archive")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(browse)
        self.widget = QWidget()
        self.widget.setLayout(row)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.widget, "Training data", "",
                                              "Images (*.npz *.tar.gz);;All files (*)")
        if path:
            self.combo.setCurrentText(path)
            self.commit(path)

    def get_value(self) -> str:
        return self.combo.currentText().strip()

    def show(self, value: str) -> None:
        self.combo.blockSignals(True)
        self.combo.setCurrentText(value)
        self.combo.blockSignals(False)


class RunSettingsForm(QWidget):
    """Edits a RunSettings; `settings()` returns the frozen settings the form shows."""

    def __init__(self, settings: RunSettings | None = None, parent=None) -> None:
        super().__init__(parent)
        self._settings = settings or RunSettings()
        self.document = self.controller = None
        self.editors: dict[str, Any] = {}
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d62728")
        form = QFormLayout(self)
        form.setContentsMargins(2, 2, 2, 2)
        for field in spec_fields(RunSettings):
            name = field["name"]
            make = DatasetEditor if field["kind"] == "dataset" else ParamEditor
            editor = make(field, lambda v, n=name: self._commit(n, v))
            if isinstance(editor.widget, QSpinBox) and name == "subset":
                editor.widget.setSpecialValueText("all")
            self.editors[name] = editor
            label = QLabel(LABELS.get(name, name.replace("_", " ").capitalize()))
            label.setToolTip(field.get("doc") or "")
            form.addRow(label, editor.widget)
        form.addRow(self.error)
        self.dataset: QComboBox = self.editors["dataset"].combo  # the panel watches it
        self.set_settings(self._settings)

    def bind(self, document: object, controller: object) -> None:
        """Show the document's run settings from now on; edits become undo commands (the
        window's Document and EditController, typed loosely: this panel imports no editing)."""
        self.document, self.controller = document, controller
        document.settings_changed.connect(self._show_document)
        self._show_document()

    def _show_document(self) -> None:
        self.set_settings(self.document.design.settings)

    def _commit(self, name: str, value: Any) -> None:
        if self.controller is not None:
            reason = self.controller.set_setting(name, value)
        else:
            try:
                self._settings = dataclasses.replace(self._settings, **{name: value})
                reason = None
            except (ValueError, TypeError) as exc:
                reason = str(exc)
        self.error.setText(reason or "")
        if reason:  # refused: show the value that holds again
            self.editors[name].show(getattr(self.settings(), name))

    def set_settings(self, s: RunSettings) -> None:
        """Show `s` (without committing it anywhere)."""
        self._settings = s
        for name, value in s.to_dict().items():
            self.editors[name].show(value)

    def settings(self) -> RunSettings:
        if self.document is not None:
            return self.document.design.settings
        return self._settings

    def replace(self, **changes) -> None:
        """Change fields as a user would (undoable once bound)."""
        for name, value in changes.items():
            self.editors[name].show(value)
            self._commit(name, value)
