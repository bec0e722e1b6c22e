"""The Feature maps window: a trained block's output for a chosen test image, one tile a
channel, and the block's activation distribution over the run (percentile bands a step).
The checkpoint and the dataset load on a Job (ui/jobs.py), never on the GUI thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.training.feature_maps import activation_bands
from cnn_explorer.ui.jobs import Job

if TYPE_CHECKING:
    from cnn_explorer.training.feature_maps import FeatureMaps

TILE = 64  # pixels a channel
COLUMNS = 8


def grey_pixmap(values: np.ndarray, size: int = TILE) -> QPixmap:
    """One channel, scaled to its own range (black lowest, white highest)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    grey = np.zeros(values.shape, np.uint8) if hi <= lo else \
        ((values - lo) / (hi - lo) * 255).astype(np.uint8)
    grey = np.ascontiguousarray(grey)
    image = QImage(grey.data, grey.shape[1], grey.shape[0], grey.shape[1],
                   QImage.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation)


def rgb_pixmap(image: np.ndarray, size: int = 96) -> QPixmap:
    rgb = np.ascontiguousarray(image[..., :3].astype(np.uint8))
    q = QImage(rgb.data, rgb.shape[1], rgb.shape[0], 3 * rgb.shape[1],
               QImage.Format_RGB888).copy()
    return QPixmap.fromImage(q).scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation)


# Outer to inner bands: (low, high) indices into signals.QUANTILES (1, 10, 25, 50, 75, 90, 99)
BANDS = ((0, 6, 50), (1, 5, 90), (2, 4, 150))  # with their fill alpha
MEDIAN = 3


class ActivationHistoryPlot(pg.PlotWidget):
    """One block's activations over time: the median and its 25-75, 10-90 and 1-99% bands,
    from the statistics the run's probe records every few steps (live while it trains)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.setLabel("bottom", "step")
        self.setLabel("left", "activation")
        self.setMinimumHeight(160)
        self.setToolTip("The block's activations on 64 held-out images, every 20 steps: the "
                        "line is the median, the bands hold the middle 50%, 80% and 98% of "
                        "the values. Bands collapsing onto 0 mean dead ReLUs; onto 0 or 1 "
                        "(sigmoid), saturation.")
        self.history, self.block_id, self._drawn = None, "", -1
        edge = pg.mkPen((40, 90, 200, 90), width=1)  # a drawn edge: the fill follows it
        self.lines = [(self.plot(pen=edge), self.plot(pen=edge)) for _ in BANDS]
        self.fills = []
        for (low, high), (_, _, alpha) in zip(self.lines, BANDS):
            fill = pg.FillBetweenItem(low, high, brush=pg.mkBrush(40, 90, 200, alpha))
            self.addItem(fill)
            self.fills.append(fill)
        self.median = self.plot(pen=pg.mkPen((10, 30, 120), width=2))

    def set_source(self, history, block_id: str, name: str = "") -> None:
        self.history, self.block_id, self._drawn = history, block_id, -1
        self.setTitle(f"Activations of {name or block_id} over training", size="9pt")
        self.redraw()

    def redraw(self) -> bool:
        """Draw what the run recorded so far; False when nothing changed since the last call."""
        history = self.history
        if history is None or history.version == self._drawn:
            return False
        self._drawn = history.version
        steps, q = activation_bands(history.activation_steps, history.activations,
                                    self.block_id)
        if not len(steps):
            return True
        for (low, high), (lo, hi, _) in zip(self.lines, BANDS):
            low.setData(steps, q[:, lo])
            high.setData(steps, q[:, hi])
        self.median.setData(steps, q[:, MEDIAN])
        return True

    def points(self) -> int:
        xs, _ = self.median.getData()
        return 0 if xs is None else len(xs)


def _expected():
    from cnn_explorer.training.data import DataUnavailableError
    from cnn_explorer.training.records import TrainingError

    return (TrainingError, DataUnavailableError)


class FeatureMapsDialog(QDialog):
    """Non-modal: the user can keep working while it loads."""

    def __init__(self, checkpoint, block_id: str, dataset: str, parent=None,
                 history=None, block_name: str = "") -> None:
        super().__init__(parent)
        self.checkpoint, self.block_id, self.dataset = checkpoint, block_id, dataset
        self.data = None
        self.job: Job | None = None
        self.result = None
        self.asked = -1
        self.setWindowTitle("Feature maps")
        self.index = QSpinBox()
        self.index.setPrefix("test image ")
        self.index.setRange(0, 0)
        self.index.valueChanged.connect(lambda _v: self.load())
        self.image = QLabel()
        self.caption = QLabel("Loading the trained model\u2026")
        self.caption.setWordWrap(True)
        self.tiles = QWidget()
        self.grid = QGridLayout(self.tiles)
        self.grid.setSpacing(2)
        scroll = QScrollArea()
        scroll.setWidget(self.tiles)
        scroll.setWidgetResizable(True)
        top = QHBoxLayout()
        top.addWidget(self.image)
        side = QVBoxLayout()
        side.addWidget(self.index)
        side.addWidget(self.caption, 1)
        top.addLayout(side, 1)
        self.activity = ActivationHistoryPlot()
        self.activity.set_source(history, block_id, block_name)
        self.activity_timer = QTimer(self)  # a live run keeps adding probes
        self.activity_timer.timeout.connect(self.activity.redraw)
        self.activity_timer.start(500)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.activity)
        layout.addWidget(scroll, 1)
        self.resize(COLUMNS * (TILE + 4) + 60, 700)
        self.load()

    def load(self) -> None:
        """Compute the maps of the chosen image on a worker thread (one at a time)."""
        if self.job is not None and self.job.isRunning():
            return
        checkpoint, block, index, data = (self.checkpoint, self.block_id, self.index.value(),
                                          self.data)
        self.asked = index

        def work(report: Callable[[str], None]) -> FeatureMaps:
            from cnn_explorer.training.data import load_dataset
            from cnn_explorer.training.feature_maps import feature_maps

            loaded = data or load_dataset(self.dataset, status=report)
            return loaded, feature_maps(checkpoint, block, loaded, index)

        self.job = Job(work, _expected, name="feature-maps", parent=self)
        self.job.done.connect(self._show)
        self.job.failed.connect(lambda failure: self.caption.setText(failure.message))
        self.job.start()

    def _show(self, result) -> None:
        self.data, maps = result
        self.result = maps
        self.index.blockSignals(True)
        self.index.setRange(0, len(self.data.x_test) - 1)
        self.index.blockSignals(False)
        self.image.setPixmap(rgb_pixmap(maps.image))
        shown = maps.maps.shape[-1]
        more = f" (the first {shown} shown)" if shown < maps.channels else ""
        self.caption.setText(f"{maps.block_name}: {maps.channels} channels of "
                             f"{maps.maps.shape[0]}x{maps.maps.shape[1]}{more}, for a "
                             f"{maps.label} image. Each tile is scaled to its own range.")
        self.setWindowTitle(f"Feature maps of {maps.block_name}")
        while self.grid.count():
            self.grid.takeAt(0).widget().deleteLater()
        for c in range(shown):
            tile = QLabel()
            channel = maps.maps[..., c]
            tile.setPixmap(grey_pixmap(channel))
            tile.setToolTip(f"channel {c}: min {channel.min():.3g}, max {channel.max():.3g}, "
                            f"mean {channel.mean():.3g}")
            self.grid.addWidget(tile, c // COLUMNS, c % COLUMNS)
        for row in range(self.grid.rowCount()):  # tiles packed at the top, not spread out
            self.grid.setRowStretch(row, 0)
        self.grid.setRowStretch(shown // COLUMNS + 1, 1)
        self.grid.setColumnStretch(COLUMNS, 1)
        if self.index.value() != self.asked:  # changed while this one was computed
            self.load()

    def tile_count(self) -> int:
        return self.grid.count()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.activity_timer.stop()
        if self.job is not None:
            self.job.wait(10_000)
        super().closeEvent(event)
