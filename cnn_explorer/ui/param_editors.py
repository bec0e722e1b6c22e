"""Typed editors for block parameters and run settings, chosen from the field metadata
(`spec_fields`).

Each editor knows the valid range or choices the model declares, so most invalid values
cannot even be typed; the model still has the last word and the inspector shows its reason.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

INT_MAX = 2_000_000_000


class ParamEditor:
    """A widget plus how to read and write its value; `commit` is called with a new value."""

    def __init__(self, field: dict, commit: Callable[[Any], None]) -> None:
        self.field, self.commit = field, commit
        kind = field["kind"]
        build = {"int": self._int, "float": self._float, "bool": self._bool,
                 "choice": self._choice, "size": self._size, "str": self._str,
                 "shape": self._shape, "numbers": self._numbers}.get(kind, self._readonly)
        self.widget: QWidget = build()
        if field.get("doc"):
            self.widget.setToolTip(field["doc"])

    # ---- builders -------------------------------------------------------------------------
    def _spin(self) -> QSpinBox:
        box = QSpinBox()
        low, high = self.field.get("low"), self.field.get("high")
        box.setRange(int(low) if low is not None else 0, int(high) if high is not None else INT_MAX)
        box.setKeyboardTracking(False)  # commit on Enter, arrows or focus-out, not per keystroke
        box.setAccelerated(True)
        if self.field.get("step"):
            box.setSingleStep(int(self.field["step"]))
        return box

    def _int(self) -> QWidget:
        box = self._spin()
        box.valueChanged.connect(lambda v: self.commit(int(v)))
        self.set_value = lambda v: box.setValue(int(v))
        self.get_value = box.value
        return box

    def _float(self) -> QWidget:
        box = QDoubleSpinBox()
        low, high = self.field.get("low"), self.field.get("high")
        small = low is not None and 0 < low < 1e-3
        box.setDecimals(8 if small else 4)
        box.setRange(low if low is not None else -1e9, high if high is not None else 1e9)
        box.setSingleStep(self.field.get("step") or
                          (0.05 if high is not None and high <= 1 else 1.0))
        box.setKeyboardTracking(False)
        box.valueChanged.connect(lambda v: self.commit(float(v)))
        self.set_value = lambda v: box.setValue(float(v))
        self.get_value = box.value
        return box

    def _bool(self) -> QWidget:
        box = QCheckBox()
        box.toggled.connect(lambda v: self.commit(bool(v)))
        self.set_value = lambda v: box.setChecked(bool(v))
        self.get_value = box.isChecked
        return box

    def _choice(self) -> QWidget:
        box = QComboBox()
        choices = list(self.field["choices"])
        box.addItems([str(c) for c in choices])
        box.activated.connect(lambda i: self.commit(choices[i]))
        self.set_value = lambda v: box.setCurrentIndex(choices.index(v) if v in choices else -1)
        self.get_value = lambda: choices[box.currentIndex()]
        return box

    def _size(self) -> QWidget:
        """Height x width; written back as one number when square, as the model stores it."""
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        h, w = self._spin(), self._spin()
        row.addWidget(h)
        row.addWidget(QLabel("\u00d7"))
        row.addWidget(w)

        def value() -> Any:
            return h.value() if h.value() == w.value() else [h.value(), w.value()]

        def put(v: Any) -> None:
            hv, wv = (v, v) if isinstance(v, int) else v
            h.setValue(int(hv))
            w.setValue(int(wv))
        h.valueChanged.connect(lambda _: self.commit(value()))
        w.valueChanged.connect(lambda _: self.commit(value()))
        self.set_value, self.get_value = put, value
        self._children = (h, w)
        return holder

    def _str(self) -> QWidget:
        edit = QLineEdit()
        edit.editingFinished.connect(lambda: self.commit(edit.text()))
        self.set_value = lambda v: edit.setText(str(v))
        self.get_value = edit.text
        return edit

    def _shape(self) -> QWidget:
        edit = QLineEdit()
        edit.setPlaceholderText("e.g. 8, 8, 64")

        def parse() -> Any:
            try:
                return [int(p) for p in edit.text().replace("x", ",").split(",") if p.strip()]
            except ValueError:
                return edit.text()
        edit.editingFinished.connect(lambda: self.commit(parse()))
        self.set_value = lambda v: edit.setText(", ".join(map(str, v)))
        self.get_value = parse
        return edit

    def _numbers(self) -> QWidget:
        """One number or one per channel, comma-separated ("0.485, 0.456, 0.406")."""
        edit = QLineEdit()
        edit.setPlaceholderText("e.g. 0.5 or 0.485, 0.456, 0.406")

        def parse() -> Any:
            try:
                return [float(p) for p in edit.text().split(",") if p.strip()]
            except ValueError:
                return edit.text()  # the model refuses it with its reason
        edit.editingFinished.connect(lambda: self.commit(parse()))
        self.set_value = lambda v: edit.setText(", ".join(repr(float(x)) for x in v))
        self.get_value = parse
        return edit

    def _readonly(self) -> QWidget:
        label = QLabel()
        label.setWordWrap(True)

        def put(v: Any) -> None:
            text = json.dumps(v, default=str)
            label.setText(text if len(text) < 120 else text[:117] + "...")
        self.set_value = put
        self.get_value = lambda: None
        return label

    def show(self, value: Any) -> None:
        """Show the model's value without committing it back."""
        widgets = [self.widget, *getattr(self, "_children", ())]
        for w in widgets:
            w.blockSignals(True)
        try:
            self.set_value(value)
        finally:
            for w in widgets:
                w.blockSignals(False)
