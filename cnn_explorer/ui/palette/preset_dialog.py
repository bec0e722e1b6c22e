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

from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.presets import PRESETS, build_preset
from cnn_explorer.model import format as fmt

# Knobs worth a control, per name: (low, high, step); others keep the preset's default.
KNOBS = {"depth": (8, 200, 1), "phi": (0.0, 7.0, 0.25), "classes": (1, 1000, 1),
         "growth_rate": (1, 64, 1), "filters": (4, 256, 4), "se_ratio": (0, 64, 1)}
DEPTH_HINT = {"plain-deep": "6n+2", "residual-deep": "6n+2", "resnet20": "6n+2",
              "resnet56": "6n+2", "se-resnet": "6n+2", "densenet-bc-100": "6n+4"}


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
        for knob, default in preset.defaults.items():
            control = self._control(knob, default)
            if control is not None:
                self.controls[knob] = control
                label = knob + (f" ({DEPTH_HINT[name]})" if knob == "depth" and
                                name in DEPTH_HINT else "")
                form.addRow(label, control)
        if "batch_norm" in preset.defaults:
            self.controls["batch_norm"].setToolTip("without it, deep plain nets stop learning")
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.RichText)
        layout.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.update_summary()

    def _control(self, knob: str, default) -> QWidget | None:
        if isinstance(default, bool):
            box = QCheckBox()
            box.setChecked(default)
            box.toggled.connect(self.update_summary)
            return box
        if knob not in KNOBS:
            return None
        low, high, step = KNOBS[knob]
        if isinstance(default, float):
            box = QDoubleSpinBox()
            box.setDecimals(2)
        else:
            box = QSpinBox()
        box.setRange(low, high)
        box.setSingleStep(step)
        box.setValue(default)
        box.valueChanged.connect(self.update_summary)
        if knob == "depth" and self.name in DEPTH_HINT:
            box.setSingleStep(6)
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
                             f"{len(design.graph)} blocks, {len(report.layers)} layers")
        if ok:
            ok.setEnabled(True)

    @staticmethod
    def has_knobs(name: str) -> bool:
        return any(k in KNOBS and k != "classes" for k in PRESETS[name].defaults)
