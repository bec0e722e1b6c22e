"""Smaller training views: dataset preview, confusion matrix, the degradation overlay."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QToolTip, QWidget

from cnn_explorer.training.history import RunHistory
from cnn_explorer.ui.training.plot_kit import ExplorerPlot
from cnn_explorer.ui.training.plot_window import PlotSlot
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

    def set_data(self, data: object) -> None:
        """Pick the first image of each class, then more, up to the grid size."""
        count = self.columns * self.rows
        order = _one_per_class_first(data.y_train, count)
        self.images = [(_to_qimage(data.x_train[i]), data.class_names[int(data.y_train[i])])
                       for i in order]
        note = f" - {data.note}" if data.note else ""
        self.caption = (f"{data.name}: {len(data.x_train):,} train / {len(data.x_test):,} test "
                        f"images, {data.num_classes} classes{note}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
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
    """Counts of (true class, predicted class) on the validation data, after a run.

    Class names on both axes (rows: true, columns: predicted, thinned when they would touch),
    counts in the cells when they fit, the whole cell on hover.
    """

    titles = ["Confusion matrix"]

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.names: list[str] = []
        self.setMinimumSize(200, 120)
        self.setMouseTracking(True)
        self.setToolTip("Rows: the true class; columns: the class the network predicted. "
                        "Double-click: open in its own window. Right-click: export PNG and CSV.")

    def set_matrix(self, matrix: list[list[int]] | None, names: list[str]) -> None:
        self.matrix = None if matrix is None else np.asarray(matrix)
        self.names = list(names)
        if self.matrix is None:
            self.setMinimumSize(200, 120)
        else:  # big enough for readable cells: a scroll bar, not a tiny block, in a short dock
            left, top, _, _ = self.layout_cells()
            side = self.readable_side()
            n = len(self.matrix)
            self.setMinimumSize(int(left + n * side + 8), int(top + n * side + 8))
        self.update()

    def name(self, k: int) -> str:
        return self.names[k] if k < len(self.names) else str(k)

    def readable_side(self) -> float:
        """Cells this big show their counts (up to 20 classes); more classes, small cells."""
        metrics = self.fontMetrics()
        if len(self.matrix) > 20:
            return 6.0
        return float(max(metrics.height() + 4,
                         metrics.horizontalAdvance(str(int(self.matrix.max()))) + 8))

    def layout_cells(self) -> tuple[float, float, float, int]:
        """(left, top, cell side, label every k-th class) for the current size."""
        n = len(self.matrix)
        metrics = self.fontMetrics()
        label_w = min(110, max(metrics.horizontalAdvance(self.name(k)) for k in range(n)) + 8)
        left, top = label_w + 18, 20 + 18 + min(label_w, 80)  # row names | column names
        side = max(2.0, min((self.width() - left - 8) / n, (self.height() - top - 8) / n))
        every = max(1, math.ceil((metrics.height() + 1) / side))
        return left, top, side, every

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        if self.matrix is None:
            painter.drawText(self.rect(), Qt.AlignCenter, "The confusion matrix appears "
                             "after a run (validation data).")
            return
        n = len(self.matrix)
        left, top, side, every = self.layout_cells()
        metrics = self.fontMetrics()
        col_h, row_w, text_h = top - 38, left - 18, metrics.height()
        peak = max(1, int(self.matrix.max()))
        accuracy = np.trace(self.matrix) / max(1, self.matrix.sum())
        painter.drawText(QRectF(4, 2, self.width() - 8, 16), Qt.AlignLeft,
                         f"Accuracy {accuracy:.1%} on {int(self.matrix.sum()):,} validation "
                         "images. Rows: true class, columns: predicted.")
        painter.drawText(QRectF(left, 20, max(80.0, n * side), 16), Qt.AlignLeft, "predicted")
        painter.save()
        painter.translate(2, top + n * side / 2 + 20)
        painter.rotate(-90)
        painter.drawText(QRectF(0, 0, 40, 14), Qt.AlignLeft, "true")
        painter.restore()
        show_counts = side >= metrics.horizontalAdvance(str(peak)) + 4 and side >= text_h
        for i in range(n):
            if i % every == 0:
                name = metrics.elidedText(self.name(i), Qt.ElideRight, int(row_w - 4))
                painter.drawText(QRectF(14, top + (i + 0.5) * side - text_h / 2, row_w, text_h),
                                 Qt.AlignRight | Qt.AlignVCenter, name)
                name = metrics.elidedText(self.name(i), Qt.ElideRight, int(col_h - 4))
                painter.save()
                painter.translate(left + (i + 0.5) * side - text_h / 2, top - 4)
                painter.rotate(-90)
                painter.drawText(QRectF(0, 0, col_h - 4, text_h), Qt.AlignLeft | Qt.AlignVCenter,
                                 name)
                painter.restore()
            for j in range(n):
                value = int(self.matrix[i, j])
                shade = int(255 - 200 * value / peak)
                cell = QRectF(left + j * side, top + i * side, side - 1, side - 1)
                painter.fillRect(cell, QColor(shade, shade, 255) if i != j else
                                 QColor(shade, 255, shade))
                if show_counts:
                    painter.drawText(cell, Qt.AlignCenter, str(value))

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        if self.matrix is None:
            return None
        left, top, side, _ = self.layout_cells()
        i, j = int((y - top) // side), int((x - left) // side)
        n = len(self.matrix)
        return (i, j) if 0 <= i < n and 0 <= j < n and y >= top and x >= left else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        cell = self.cell_at(event.position().x(), event.position().y())
        if cell is not None:
            i, j = cell
            QToolTip.showText(event.globalPosition().toPoint(),
                              f"true {self.name(i)}, predicted {self.name(j)}: "
                              f"{int(self.matrix[i, j])} images", self)
        super().mouseMoveEvent(event)

    def data_rows(self) -> list[list]:
        if self.matrix is None:
            raise ValueError("no confusion matrix yet: it appears after a run")
        n = len(self.matrix)
        names = [self.name(k) for k in range(n)]
        return [["true \\ predicted", *names]] + [
            [names[i], *(int(v) for v in self.matrix[i])] for i in range(n)]


class DegradationPlots(QWidget):
    """Plain vs residual of the same depth: training error and gradient-by-depth overlaid."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.error_plot = ExplorerPlot(
            ["Training error (1 - accuracy, smoothed)", "Training error", "Error"],
            "step", "training error",
            tip="1 - accuracy per training batch, averaged over the last 20 steps: the deeper "
                "plain net's error stays above the residual net's (the degradation problem).")
        self.profile_plot = ExplorerPlot(
            ["Gradient norm by depth (latest step)", "Gradient by depth", "By depth"],
            "layer depth", "L2 gradient norm", log_y=True, floor=math.log10(FLOOR) + 1,
            integer_x=True,
            tip="Each layer's gradient norm at the latest recorded step, input on the left.")
        self.error_plot.getViewBox().snap = "xy"  # ranges that change seldom (plot_kit)
        self.profile_plot.getViewBox().snap = "y"
        self.slots = [PlotSlot(self.error_plot), PlotSlot(self.profile_plot)]
        for slot in self.slots:
            layout.addWidget(slot)
        self.runs: list[RunHistory] = []
        self._curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        self._drawn: list[int] = []

    def set_runs(self, runs: list[RunHistory]) -> None:
        for error, profile in self._curves:
            self.error_plot.removeItem(error)
            self.profile_plot.removeItem(profile)
        self.runs, self._curves, self._drawn = list(runs), [], [-1] * len(runs)
        legend = []
        for k, run in enumerate(runs):
            colour = RUN_COLOURS[k % len(RUN_COLOURS)]
            pen = pg.mkPen(colour, width=2)
            label = (run.info.label if run.info else "") or f"run {k + 1}"
            legend.append((label, colour, "\u2501"))
            self._curves.append((self.error_plot.plot(pen=pen, name=label),
                                 self.profile_plot.plot(pen=pen, symbol="o", symbolSize=5,
                                                        symbolBrush=pen.color(), name=label)))
        for plot in (self.error_plot, self.profile_plot):  # legends in the title, off the data
            plot.set_legend(legend)

    def relabel(self) -> None:
        """Legends learn the run labels once each run has started."""
        self.set_runs(self.runs)

    def redraw(self, force: bool = False) -> bool:
        """Bring the curves up to date with the runs; while the tab is hidden (`force`
        aside) they wait until it is shown. True if it drew."""
        if not (force or self.isVisible()):
            return False
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
