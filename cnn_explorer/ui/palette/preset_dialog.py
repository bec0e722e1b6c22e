"""Preset dialog: a preset's knobs (depth, phi, classes, growth rate...) with its parameter and
FLOP totals updating live as a knob moves, before anything touches the open design."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.model import format as fmt
from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.presets import PRESETS, Knob, build_preset


class PresetDialog(QDialog):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        preset = PRESETS[name]
        self.setWindowTitle(f"Preset: {name}")
        layout = QVBoxLayout(self)
        about = QLabel(preset.description)
        about.setWordWrap(True)
        layout.addWidget(about)
        form = QFormLayout()
        layout.addLayout(form)
        self.controls: dict[str, QWidget] = {}
        for knob in preset.knobs:
            control = self._control(knob)
            if control is not None:  # list knobs (VGG's block list) keep their default
                self.controls[knob.name] = control
                control.setToolTip(knob.doc)
                form.addRow(knob.name + (f" ({knob.hint})" if knob.hint else ""), control)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.RichText)
        layout.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.update_summary()

    def _control(self, knob: Knob) -> QWidget | None:
        if knob.kind == "bool":
            box = QCheckBox()
            box.setChecked(knob.default)
            box.toggled.connect(self.update_summary)
            return box
        if knob.kind == "choice":
            combo = QComboBox()
            combo.addItems([str(c) for c in knob.choices])
            combo.setCurrentText(str(knob.default))
            combo.currentTextChanged.connect(self.update_summary)
            return combo
        if knob.kind not in ("int", "float"):
            return None
        if knob.kind == "float":
            box = QDoubleSpinBox()
            box.setDecimals(2)
        else:
            box = QSpinBox()
        box.setRange(knob.low, knob.high)
        box.setSingleStep(knob.step)
        box.setValue(knob.default)
        box.valueChanged.connect(self.update_summary)
        return box

    def params(self) -> dict:
        out = {}
        for knob, control in self.controls.items():
            if isinstance(control, QCheckBox):
                out[knob] = control.isChecked()
            elif isinstance(control, QComboBox):
                out[knob] = control.currentText()
            else:
                out[knob] = control.value()
        defaults = PRESETS[self.name].defaults
        return {k: v for k, v in out.items() if defaults.get(k) != v}

    def update_summary(self) -> None:
        """Build the preset off to the side and show its totals (a few milliseconds)."""
        ok = self.buttons.button(QDialogButtonBox.Ok) if hasattr(self, "buttons") else None
        try:
            design = build_preset(self.name, **self.params())
            report = design.graph.report()
        except DesignError as exc:
            self.summary.setText(f"<span style='color:#d62728'>{exc}</span>")
            if ok:
                ok.setEnabled(False)
            return
        self.summary.setText(f"<b>{report.total_params:,}</b> parameters, "
                             f"<b>{fmt.flops(report.flops)}</b>, "
                             f"{fmt.design_size(len(design.graph), len(report.layers))}")
        if ok:
            ok.setEnabled(True)

    @staticmethod
    def has_knobs(name: str) -> bool:
        return any(k.kind in ("int", "float", "bool", "choice") and k.name != "classes"
                   for k in PRESETS[name].knobs)
