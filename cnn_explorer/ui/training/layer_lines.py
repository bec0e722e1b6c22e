"""Every layer's curve of a per-layer plot as ONE graphics item.

A plot of ResNet-20's gradient norms has ~20 curves, ResNet-56's ~60. As pyqtgraph
PlotDataItems each curve is its own item: its own setData, bounds, view-range bookkeeping and
paint call, several milliseconds for the plot on every redraw, all on the GUI thread. Here the
whole plot is one item: one `set_series` builds a path per layer from a (steps, layers) array,
one bounds computation, one paint that strokes each path with its layer's pen.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPen


class LayerLines(pg.GraphicsObject):
    """Curves of `names` (one per layer, in depth order) drawn with their `pens`, sharing x."""

    def __init__(self, names: Sequence[str], pens: Sequence[QPen]) -> None:
        super().__init__()
        self.names = list(names)
        self.pens = [QPen(p) for p in pens]
        for pen in self.pens:
            pen.setCosmetic(True)  # widths in pixels, whatever the zoom
        self.x = np.zeros(0)
        self.ys = np.zeros((0, len(self.names)))
        self.log_y = False
        self.paths: list[QPainterPath] = []
        self._bounds: tuple[float, float, float, float] | None = None  # x0, x1, y0, y1 shown
        self._shown_y = np.zeros((0, len(self.names)))

    # --- data ------------------------------------------------------------------------------
    def set_series(self, x: np.ndarray, ys: np.ndarray) -> None:
        """x: (n,) steps; ys: (n, layers) values, NaN where a layer has no point."""
        self.x = np.asarray(x, dtype=float)
        self.ys = np.asarray(ys, dtype=float).reshape(len(self.x), len(self.names))
        self._rebuild()

    def setLogMode(self, x: bool, y: bool) -> None:  # noqa: N802 (pyqtgraph's protocol)
        if bool(y) != self.log_y:
            self.log_y = bool(y)
            self._rebuild()

    def series(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of layer k as given (not the log10 the axis draws)."""
        return self.x, self.ys[:, k]

    def shown_y(self) -> np.ndarray:
        """Every value as drawn (log10 on a log axis), for the y range."""
        return self._shown_y

    def set_pen(self, k: int, pen: QPen) -> None:
        self.pens[k] = QPen(pen)
        self.pens[k].setCosmetic(True)
        self.update()

    def _rebuild(self) -> None:
        ys = self.ys
        if self.log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                ys = np.where(ys > 0, np.log10(np.where(ys > 0, ys, 1.0)), np.nan)
        self._shown_y = ys
        self.paths = [pg.arrayToQPath(self.x, ys[:, k], connect="finite")
                      for k in range(ys.shape[1])] if len(self.x) else []
        finite = ys[np.isfinite(ys)]
        self.prepareGeometryChange()
        self._bounds = None if len(self.x) == 0 or len(finite) == 0 else (
            float(self.x.min()), float(self.x.max()), float(finite.min()), float(finite.max()))
        self.informViewBoundsChanged()
        self.update()

    # --- pyqtgraph / Qt protocol -----------------------------------------------------------
    def dataBounds(self, ax: int, frac: float = 1.0,  # noqa: N802
                   orthoRange: tuple | None = None) -> tuple[float, float] | None:  # noqa: N803
        if self._bounds is None:
            return None
        return self._bounds[:2] if ax == 0 else self._bounds[2:]

    def viewTransformChanged(self) -> None:  # noqa: N802 (the padding is in pixels)
        self.prepareGeometryChange()

    def pixelPadding(self) -> float:  # noqa: N802
        return max((p.widthF() for p in self.pens), default=1.0)

    def boundingRect(self) -> QRectF:  # noqa: N802
        if self._bounds is None:
            return QRectF()
        x0, x1, y0, y1 = self._bounds
        px, py = self.pixelVectors()
        pad_x = 3 * (px.length() if px is not None else 0.0)
        pad_y = 3 * (py.length() if py is not None else 0.0)
        return QRectF(x0 - pad_x, y0 - pad_y, (x1 - x0) + 2 * pad_x, (y1 - y0) + 2 * pad_y)

    def paint(self, painter: QPainter, option: object, widget: object = None) -> None:
        for path, pen in zip(self.paths, self.pens):
            painter.setPen(pen)
            painter.drawPath(path)

    def rows(self) -> list[list]:
        """CSV rows (series, x, y) of every layer, the values as given."""
        out: list[list] = []
        for k, name in enumerate(self.names):
            out += [[name, x, y] for x, y in zip(self.x, self.ys[:, k])]
        return out
