"""Scale dialog: phi with alpha, beta and gamma; the scaled design's parameters and FLOPs update
live as phi moves, beside the paper's comparison drawn with this design's own numbers (FLOPs
against phi for width-only, depth-only, resolution-only and compound scaling). OK replaces the
design as one undo step; nothing changes before that."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.files import Design
from cnn_explorer.model.scaling import ALPHA, BETA, GAMMA, MAX_PHI, Scaling, scale_design
from cnn_explorer.ui.inspector.layer_table import format_flops

CURVE_PHIS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
CURVES = (("compound", "#d62728"), ("width", "#1f77b4"), ("depth", "#2ca02c"),
          ("resolution", "#9467bd"))
SLIDER_STEPS = 4  # the phi slider moves in quarters


class ScaleDialog(QDialog):
    def __init__(self, design: Design, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compound scaling: {design.title}")
        self.design = design
        self.base = design.graph.report()
        self.scaled: Design | None = None
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        layout.addLayout(left, 0)
        form = QFormLayout()
        left.addLayout(form)
        self.phi = self._spin(0.0, -2.0, MAX_PHI, 0.25, "phi: how many doublings of FLOPs")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, int(4 * SLIDER_STEPS))
        self.slider.valueChanged.connect(lambda v: self.phi.setValue(v / SLIDER_STEPS))
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.phi)
        form.addRow("phi", row)
        self.alpha = self._spin(ALPHA, 1.0, 4.0, 0.05, "depth grows by alpha^phi")
        self.beta = self._spin(BETA, 1.0, 4.0, 0.05, "width grows by beta^phi")
        self.gamma = self._spin(GAMMA, 1.0, 4.0, 0.05, "resolution grows by gamma^phi")
        form.addRow("alpha (depth)", self.alpha)
        form.addRow("beta (width)", self.beta)
        form.addRow("gamma (resolution)", self.gamma)
        self.factor = QLabel()
        form.addRow(self.factor)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.RichText)
        self.summary.setWordWrap(True)
        self.summary.setMinimumWidth(300)
        left.addWidget(self.summary)
        left.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        left.addWidget(self.buttons)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(420, 300)
        self.plot.setLogMode(y=True)
        self.plot.setLabel("bottom", "phi")
        self.plot.setLabel("left", "FLOPs per image")
        self.plot.setTitle("FLOPs against phi, this design")
        self.plot.addLegend(offset=(10, 10))
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888", style=Qt.DashLine))
        self.plot.addItem(self.marker)
        layout.addWidget(self.plot, 1)
        for box in (self.alpha, self.beta, self.gamma):
            box.valueChanged.connect(self.update_curves)
            box.valueChanged.connect(self.update_preview)
        self.phi.valueChanged.connect(self.update_preview)
        self.update_curves()
        self.update_preview()

    def _spin(self, value: float, low: float, high: float, step: float, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setDecimals(2)
        box.setSingleStep(step)
        box.setValue(value)
        box.setToolTip(tip)
        return box

    def scaling(self) -> Scaling:
        return Scaling(self.phi.value(), self.alpha.value(), self.beta.value(),
                       self.gamma.value())

    def update_preview(self) -> None:
        """Scale off to the side and show the totals (milliseconds for the presets)."""
        ok = self.buttons.button(QDialogButtonBox.Ok)
        self.marker.setValue(self.phi.value())
        self.slider.blockSignals(True)
        self.slider.setValue(round(self.phi.value() * SLIDER_STEPS))
        self.slider.blockSignals(False)
        try:
            scaling = self.scaling()
            self.scaled = scale_design(self.design, scaling)
            report = self.scaled.graph.report()
        except DesignError as exc:
            self.scaled = None
            self.summary.setText(f"<span style='color:#d62728'>{exc}</span>")
            ok.setEnabled(False)
            return
        self.factor.setText(f"alpha x beta\u00b2 x gamma\u00b2 = {scaling.flops_factor:.2f} "
                            "(FLOPs per unit of phi)")
        base, size = self.base, _input_size(self.scaled)
        self.summary.setText(
            f"depth x{scaling.depth:.2f}, width x{scaling.width:.2f}, "
            f"resolution x{scaling.resolution:.2f}<br>"
            f"<b>{report.total_params:,}</b> parameters "
            f"(x{report.total_params / max(1, base.total_params):.2f})<br>"
            f"<b>{format_flops(report.flops)}</b>FLOPs "
            f"(x{report.flops / max(1, base.flops):.2f})<br>"
            f"{len(self.scaled.graph)} blocks, input {size}")
        ok.setEnabled(report.ok)

    def update_curves(self) -> None:
        """FLOPs against phi for each way of scaling, with this design's own numbers."""
        for item in list(self.plot.listDataItems()):
            self.plot.removeItem(item)
        try:
            scaling = self.scaling()
        except DesignError:
            return
        for name, colour in CURVES:
            flops = []
            for phi in CURVE_PHIS:
                s = Scaling(phi, scaling.alpha, scaling.beta, scaling.gamma)
                s = s if name == "compound" else s.only(name)
                flops.append(max(1, scale_design(self.design, s).graph.report().flops))
            self.plot.plot(list(CURVE_PHIS), flops, pen=pg.mkPen(colour, width=2), name=name,
                           symbol="o", symbolSize=5, symbolBrush=colour)


def _input_size(design: Design) -> str:
    for block in design.graph.blocks():
        if block.kind == "input":
            return f"{block.params['height']}x{block.params['width']}"
    return "none"

