"""Training plots: loss/accuracy, gradient norm over time, gradient-by-depth, layer x step heatmap.

Every plot reads a RunHistory (growing numpy buffers) and is redrawn from a timer with
`setData` on existing items, never once per message (pyqtgraph's scrollingPlots habit).
The colour scale is the one the canvas uses (cnn_explorer.ui.gradient).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QWidget

from cnn_explorer.training.history import RunHistory
from cnn_explorer.ui.gradient import STOPS, stop_colour

FLOOR = 1e-30  # log axes cannot show zero; a dead layer's norm is drawn at this floor
MAX_HEATMAP_COLUMNS = 600
MAX_TIME_POINTS = 400  # per layer curve: more is invisible at panel size and slow to paint


def depth_colour(depth: int, layers: int) -> QColor:
    """Curves of the gradient-over-time plot: shallow layers blue, deep layers red."""
    return stop_colour(depth / max(1, layers - 1))


def colour_map() -> pg.ColorMap:
    return pg.ColorMap([t for t, _ in STOPS], [c for _, c in STOPS])


def _log_safe(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values) & (values > FLOOR), values, FLOOR)


def kernel_columns(history: RunHistory) -> list[int]:
    """Conv and dense layers (not batch-norm scales): what 'depth' means in these plots."""
    if history.info is None:
        return []
    norm_free = ("BatchNormalization", "LayerNormalization", "GroupNormalization")
    return [i for i, layer in enumerate(history.info.layers) if layer["kind"] not in norm_free]


class TrainingPlots(QWidget):
    """The four live plots of one run, laid out in a grid."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.history: RunHistory | None = None
        self._drawn_version = -1
        self._layer_curves: list[pg.PlotDataItem] = []
        self._parts = [self._draw_loss, self._draw_accuracy, self._draw_time, self._draw_depth,
                       self._draw_heat]
        self._dirty: list = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.loss_plot = self._plot("Loss", "step", "loss")
        self.acc_plot = self._plot("Accuracy", "step", "accuracy")
        self.time_plot = self._plot("Gradient norm per layer (blue first, red last)",
                                    "step", "L2 norm", log_y=True)
        self.depth_plot = self._plot("Gradient by depth, latest step", "layer depth",
                                     "L2 norm", log_y=True)
        self.heat_plot = self._plot("log10 gradient norm: layer x step", "recorded step",
                                    "layer depth")
        for plot in (self.loss_plot, self.acc_plot):
            plot.addLegend(offset=(-5, 5))
        self.train_loss = self.loss_plot.plot(pen=pg.mkPen("#1f77b4", width=1), name="train")
        self.val_loss = self.loss_plot.plot(pen=pg.mkPen("#d62728", width=2), symbol="o",
                                            symbolSize=6, name="validation")
        self.train_acc = self.acc_plot.plot(pen=pg.mkPen("#1f77b4", width=1), name="train")
        self.val_acc = self.acc_plot.plot(pen=pg.mkPen("#d62728", width=2), symbol="o",
                                          symbolSize=6, name="validation")
        self.depth_curve = self.depth_plot.plot(pen=pg.mkPen("#333", width=2), symbol="o",
                                                symbolSize=5, symbolBrush="#d62728")
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setColorMap(colour_map())
        self.heat_plot.addItem(self.heatmap)
        self.heat_bar = pg.ColorBarItem(colorMap=colour_map(), interactive=False, width=10)
        self.heat_bar.setImageItem(self.heatmap, insert_in=self.heat_plot.getPlotItem())
        for plot in (self.loss_plot, self.acc_plot, self.time_plot):
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
        self.grid = grid
        self._one_row: bool | None = None
        self._arrange(one_row=False)

    def _arrange(self, one_row: bool) -> None:
        """Two rows when there is height to spare; one row in a short bottom dock."""
        if one_row == self._one_row:
            return
        self._one_row = one_row
        plots = (self.loss_plot, self.acc_plot, self.time_plot, self.depth_plot, self.heat_plot)
        for plot in plots:
            self.grid.removeWidget(plot)
        for col in range(5):
            self.grid.setColumnStretch(col, 1 if one_row or col < 3 else 0)
        if one_row:
            for col, plot in enumerate(plots):
                self.grid.addWidget(plot, 0, col)
        else:
            for k, plot in enumerate(plots[:4]):
                self.grid.addWidget(plot, k // 3, k % 3)
            self.grid.addWidget(self.heat_plot, 1, 1, 1, 2)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        size = event.size()
        self._arrange(one_row=size.height() < 420 and size.width() > 2.5 * size.height())

    @staticmethod
    def _plot(title: str, x: str, y: str, log_y: bool = False) -> pg.PlotWidget:
        plot = pg.PlotWidget()
        plot.setTitle(title, size="9pt")
        plot.setBackground("w")
        plot.setLabel("bottom", x)
        plot.setLabel("left", y)
        # No grid: it doubles the cost of every repaint (measured), and these plots repaint often.
        plot.setLogMode(y=log_y)
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        plot.setMinimumSize(150, 90)
        return plot

    def set_history(self, history: RunHistory | None) -> None:
        """Show another run (a new live run, or a reopened log)."""
        self.history = history
        self._drawn_version = -1
        for curve in self._layer_curves:
            self.time_plot.removeItem(curve)
        self._layer_curves = []
        self._dirty = []
        self.redraw_all()

    def redraw(self) -> bool:
        """Called by the panel's timer; updates at most one plot per call. True if it drew.

        A full repaint of all five plots costs ~50 ms of GUI time; one plot per tick keeps
        each frame near 10 ms, and at 25 ticks a second every plot still refreshes 5 times a
        second, as often as progress arrives.
        """
        h = self.history
        if h is None:
            return False
        if h.version != self._drawn_version:
            self._drawn_version = h.version
            self._dirty += [part for part in self._parts if part not in self._dirty]
        if not self._dirty:
            return False
        self._dirty.pop(0)(h)
        return True

    def redraw_all(self) -> None:
        """Everything at once (reopened logs, exports, tests)."""
        while self.redraw():
            pass

    def _draw_loss(self, h: RunHistory) -> None:
        self.train_loss.setData(h.steps, h.loss)
        self.val_loss.setData(*h.epoch_series("val_loss"))

    def _draw_accuracy(self, h: RunHistory) -> None:
        self.train_acc.setData(h.steps, h.accuracy)
        self.val_acc.setData(*h.epoch_series("val_accuracy"))

    def _gradient_columns(self, h: RunHistory) -> list[int]:
        columns = kernel_columns(h)
        if len(self._layer_curves) != len(columns):
            for curve in self._layer_curves:
                self.time_plot.removeItem(curve)
            self._layer_curves = [
                self.time_plot.plot(pen=pg.mkPen(depth_colour(d, len(columns)), width=1))
                for d in range(len(columns))]
        return columns if len(h.grad_norms) else []

    def _draw_time(self, h: RunHistory) -> None:
        """One curve per layer; long runs are thinned to ~MAX_TIME_POINTS per curve first."""
        columns = self._gradient_columns(h)
        stride = max(1, math.ceil(len(h.norm_steps) / MAX_TIME_POINTS))
        steps, norms = h.norm_steps[::stride], _log_safe(h.grad_norms[::stride])
        for curve, col in zip(self._layer_curves, columns):
            curve.setData(steps, norms[:, col], skipFiniteCheck=True)

    def _draw_depth(self, h: RunHistory) -> None:
        columns = self._gradient_columns(h)
        if columns:
            self.depth_curve.setData(np.arange(len(columns)),
                                     _log_safe(h.grad_norms[-1, columns]))

    def _draw_heat(self, h: RunHistory) -> None:
        columns = self._gradient_columns(h)
        if columns:
            self._draw_heatmap(h.grad_norms[:, columns])

    def _draw_heatmap(self, norms: np.ndarray) -> None:
        stride = max(1, math.ceil(len(norms) / MAX_HEATMAP_COLUMNS))
        image = np.log10(_log_safe(norms[::stride])).T  # rows = depth, columns = steps
        lo, hi = float(np.min(image)), float(np.max(image))
        self.heatmap.setImage(image, autoLevels=False, levels=(lo, hi if hi > lo else lo + 1))
        self.heatmap.setRect(QRectF(0, 0, image.shape[1] * stride, image.shape[0]))
        self.heat_bar.setLevels((lo, hi if hi > lo else lo + 1))
