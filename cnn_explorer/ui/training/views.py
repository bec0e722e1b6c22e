"""Smaller training views: dataset preview, confusion matrix, the degradation overlay."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QHBoxLayout, QWidget

from cnn_explorer.training.history import RunHistory
from cnn_explorer.ui.training.plots import FLOOR, kernel_columns

RUN_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")  # plain red, residual blue


class DatasetPreview(QWidget):
    """A grid of training images with their class names: what the network will see."""

    def __init__(self, parent=None, columns: int = 8, rows: int = 3) -> None:
        super().__init__(parent)
        self.columns, self.rows = columns, rows
        self.images: list[tuple[QImage, str]] = []
        self.caption = "No dataset loaded yet (Train or Preview loads it)"
        self.setMinimumHeight(120)

    def set_data(self, data) -> None:
        """Pick the first image of each class, then more, up to the grid size."""
        count = self.columns * self.rows
        order = _one_per_class_first(data.y_train, count)
        self.images = [(_to_qimage(data.x_train[i]), data.class_names[int(data.y_train[i])])
                       for i in order]
        note = f" - {data.note}" if data.note else ""
        self.caption = (f"{data.name}: {len(data.x_train):,} train / {len(data.x_test):,} test "
                        f"images, {data.num_classes} classes{note}")
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.drawText(QRectF(4, 2, self.width() - 8, 16), Qt.AlignLeft, self.caption)
        if not self.images:
            return
        cell_w = (self.width() - 8) / self.columns
        cell_h = (self.height() - 22) / self.rows
        side = max(8.0, min(cell_w, cell_h - 14))
        for k, (image, name) in enumerate(self.images):
            r, c = divmod(k, self.columns)
            x, y = 4 + c * cell_w, 20 + r * cell_h
            painter.drawImage(QRectF(x + (cell_w - side) / 2, y, side, side), image)
            painter.drawText(QRectF(x, y + side, cell_w, 14), Qt.AlignHCenter, name)


def _one_per_class_first(labels: np.ndarray, count: int) -> list[int]:
    firsts = [int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)][:count]
    rest = [i for i in range(len(labels)) if i not in set(firsts)][:count - len(firsts)]
    return firsts + rest


def _to_qimage(pixels: np.ndarray) -> QImage:
    pixels = np.ascontiguousarray(pixels)
    h, w, _ = pixels.shape
    return QImage(pixels.data, w, h, 3 * w, QImage.Format_RGB888).copy()


class ConfusionMatrixView(QWidget):
    """Counts of (true class, predicted class) on the validation data, after a run."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.names: list[str] = []
        self.setMinimumSize(200, 120)

    def set_matrix(self, matrix, names: list[str]) -> None:
        self.matrix = None if matrix is None else np.asarray(matrix)
        self.names = list(names)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        if self.matrix is None:
            painter.drawText(self.rect(), Qt.AlignCenter, "The confusion matrix appears "
                             "after a run (validation data).")
            return
        n = len(self.matrix)
        margin = 78 if n <= 20 else 8
        side = max(2.0, min((self.width() - margin - 4) / n, (self.height() - 36) / n))
        peak = max(1, int(self.matrix.max()))
        accuracy = np.trace(self.matrix) / max(1, self.matrix.sum())
        painter.drawText(QRectF(margin, 2, n * side, 14), Qt.AlignLeft,
                         f"rows: true class, columns: predicted - accuracy {accuracy:.1%}")
        for i in range(n):
            if n <= 20:
                painter.drawText(QRectF(0, 20 + i * side, margin - 4, side),
                                 Qt.AlignRight | Qt.AlignVCenter, self.names[i][:10])
            for j in range(n):
                value = int(self.matrix[i, j])
                shade = int(255 - 200 * value / peak)
                cell = QRectF(margin + j * side, 20 + i * side, side - 1, side - 1)
                painter.fillRect(cell, QColor(shade, shade, 255) if i != j else
                                 QColor(shade, 255, shade))
                if n <= 20 and side >= 16:
                    painter.drawText(cell, Qt.AlignCenter, str(value))


class DegradationPlots(QWidget):
    """Plain vs residual of the same depth: training error and gradient-by-depth overlaid."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.error_plot = pg.PlotWidget(title="Training error (1 - accuracy, smoothed)")
        self.profile_plot = pg.PlotWidget(title="Gradient by depth (latest step)")
        for plot, x, y in ((self.error_plot, "step", "training error"),
                           (self.profile_plot, "layer depth", "L2 gradient norm")):
            plot.setBackground("w")
            plot.setLabel("bottom", x)
            plot.setLabel("left", y)
            plot.getAxis("left").enableAutoSIPrefix(False)
            # Error falls to the lower right, profiles rise to the upper right: legends avoid both.
            plot.addLegend(offset=(-5, 5) if plot is self.error_plot else (-5, -5))
            layout.addWidget(plot)
        self.profile_plot.setLogMode(y=True)
        self.runs: list[RunHistory] = []
        self._curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        self._drawn: list[int] = []

    def set_runs(self, runs: list[RunHistory]) -> None:
        for error, profile in self._curves:
            self.error_plot.removeItem(error)
            self.profile_plot.removeItem(profile)
        self.runs, self._curves, self._drawn = list(runs), [], [-1] * len(runs)
        for k, run in enumerate(runs):
            pen = pg.mkPen(RUN_COLOURS[k % len(RUN_COLOURS)], width=2)
            label = (run.info.label if run.info else "") or f"run {k + 1}"
            self._curves.append((self.error_plot.plot(pen=pen, name=label),
                                 self.profile_plot.plot(pen=pen, symbol="o", symbolSize=5,
                                                        symbolBrush=pen.color(), name=label)))

    def relabel(self) -> None:
        """Legends learn the run labels once each run has started."""
        self.set_runs(self.runs)

    def redraw(self) -> bool:
        drawn = False
        for k, run in enumerate(self.runs):
            if run.version == self._drawn[k] or run.info is None:
                continue
            self._drawn[k] = run.version
            error_curve, profile_curve = self._curves[k]
            if len(run.steps):
                error_curve.setData(run.steps, smooth(1.0 - run.accuracy))
            columns = kernel_columns(run)
            latest = run.latest_grad_norms()
            if len(latest) and columns:
                profile_curve.setData(np.arange(len(columns)),
                                      np.maximum(latest[columns], FLOOR))
            drawn = True
        return drawn


def smooth(values: np.ndarray, window: int = 20) -> np.ndarray:
    """Trailing moving average, so two noisy per-batch error curves can be told apart."""
    if len(values) < 2:
        return values
    window = min(window, len(values))
    sums = np.cumsum(np.insert(values, 0, 0.0))
    out = np.empty(len(values))
    idx = np.arange(len(values))
    lo = np.maximum(0, idx - window + 1)
    out[:] = (sums[idx + 1] - sums[lo]) / (idx + 1 - lo)
    return out
