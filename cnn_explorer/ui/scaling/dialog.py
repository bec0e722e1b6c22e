"""Scale dialog: phi with alpha, beta and gamma; the scaled design's parameters and FLOPs update
live as phi moves, beside the paper's comparison drawn with this design's own numbers (FLOPs
against phi for width-only, depth-only, resolution-only and compound scaling). OK replaces the
design as one undo step; nothing changes before that. "Train variants" trains the variants at
phi 0, 0.5 and 1 for one fixed budget each, off the GUI thread, and plots accuracy against
FLOPs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.model import format as fmt
from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.files import Design
from cnn_explorer.model.scaling import ALPHA, BETA, GAMMA, MAX_PHI, Scaling, scale_design

CURVE_PHIS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
CURVES = (("compound", "#d62728"), ("width", "#1f77b4"), ("depth", "#2ca02c"),
          ("resolution", "#9467bd"))
SLIDER_STEPS = 4  # the phi slider moves in quarters
VARIANT_PHIS = (0.0, 0.5, 1.0)


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
        self.train_button = QPushButton("Train variants")
        self.train_button.setToolTip("Train phi = 0, 0.5, 1 for one short budget each and plot "
                                     "accuracy against FLOPs (Stop: press again)")
        self.train_button.clicked.connect(lambda checked=False: self.train_variants())
        left.addWidget(self.train_button)
        self.variants_note = QLabel()
        self.variants_note.setWordWrap(True)
        left.addWidget(self.variants_note)
        self.variants_worker = None
        self.variant_rows: list[dict] = []
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
        self.accuracy_plot = pg.PlotWidget(background="w")
        self.accuracy_plot.setMinimumSize(300, 300)
        self.accuracy_plot.setLogMode(x=True)
        self.accuracy_plot.setLabel("bottom", "FLOPs per image")
        self.accuracy_plot.setLabel("left", "validation accuracy")
        self.accuracy_plot.setTitle("Trained variants")
        self.accuracy_curve = self.accuracy_plot.plot([], [], pen=pg.mkPen("#d62728", width=2),
                                                      symbol="o", symbolBrush="#d62728")
        layout.addWidget(self.accuracy_plot, 1)
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
            f"<b>{fmt.flops(report.flops)}</b> "
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


    # ---- training the variants ------------------------------------------------------------
    def train_variants(self, phis: Sequence[float] = VARIANT_PHIS,
                       trainer: Callable[..., list[dict]] | None = None) -> bool:
        """Start training the variants (False if it cannot start); pressed again, Stop."""
        if self.variants_worker is not None:
            self.variants_worker.stop()
            self.variants_note.setText("Stopping after this training step\u2026")
            return False
        from cnn_explorer.ui.scaling.variants import VariantsWorker

        try:
            scaling = self.scaling()
        except DesignError as exc:
            self.variants_note.setText(str(exc))
            return False
        self.variant_rows = []
        self.accuracy_curve.setData([], [])
        self.variants_worker = VariantsWorker(self.design, scaling, phis, trainer=trainer,
                                              parent=self)
        self.variants_worker.variant.connect(self._variant_trained)
        self.variants_worker.ended.connect(self._variants_ended)
        self.train_button.setText("Stop training")
        self.variants_note.setText(f"Training {len(phis)} variants, one short run each\u2026")
        self.variants_worker.start()
        return True

    def _variant_trained(self, row: dict) -> None:
        self.variant_rows.append(row)
        done = [r for r in self.variant_rows if r["accuracy"] is not None]
        self.accuracy_curve.setData([max(1, r["flops"]) for r in done],
                                    [r["accuracy"] for r in done])
        self.variants_note.setText("<br>".join(
            f"phi {r['phi']:g}: {fmt.flops(r['flops'])}, accuracy "
            + ("n/a" if r["accuracy"] is None else f"{r['accuracy']:.3f}")
            for r in self.variant_rows))

    def _variants_ended(self, message: str) -> None:
        worker, self.variants_worker = self.variants_worker, None
        if worker is not None:
            worker.wait()
        self.train_button.setText("Train variants")
        if message:
            self.variants_note.setText(self.variants_note.text() + f"<br>{message}")

    def done(self, result: int) -> None:
        if self.variants_worker is not None:  # closing stops the training first
            self.variants_worker.stop()
            self.variants_worker.wait()
            self.variants_worker = None
        super().done(result)


def _input_size(design: Design) -> str:
    for block in design.graph.blocks():
        if block.kind == "input":
            return f"{block.params['height']}x{block.params['width']}"
    return "none"

