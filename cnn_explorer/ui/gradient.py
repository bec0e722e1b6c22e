"""The one gradient colour scale and its legend, shared by the canvas and the training dock.

Log scale, diverging: blue = vanishing, pale yellow = middle, red = largest. A colouring
always says whose it is: the run (or the experiment's network) and the step that produced it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

STOPS = ((0.0, (49, 54, 149)), (0.25, (116, 173, 209)), (0.5, (255, 255, 191)),
         (0.75, (244, 109, 67)), (1.0, (165, 0, 38)))
NO_GRADIENT = QColor(200, 200, 200)


def stop_colour(t: float) -> QColor:
    """The colour at position t in [0, 1] along the scale."""
    t = min(1.0, max(0.0, t))
    for (t0, c0), (t1, c1) in zip(STOPS, STOPS[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return QColor(*(int(a + (b - a) * f) for a, b in zip(c0, c1)))
    return QColor(*STOPS[-1][1])


def gradient_colour(norm: float, lo: float, hi: float) -> QColor:
    """Colour of a gradient norm on a log scale between lo and hi."""
    if not (norm > 0 and math.isfinite(norm)):
        return NO_GRADIENT
    span = math.log10(hi) - math.log10(lo) if hi > lo > 0 else 0.0
    return stop_colour(0.5 if span == 0 else (math.log10(norm) - math.log10(lo)) / span)


def norm_range(values: Iterable[float]) -> tuple[float, float] | None:
    """(smallest, largest) positive finite norm, or None when there is none."""
    vals = [float(v) for v in values if v is not None and math.isfinite(v) and v > 0]
    return (min(vals), max(vals)) if vals else None


@dataclass(frozen=True)
class GradientColouring:
    """Each block's latest gradient norm, and whose they are: run label, step, network."""

    norms: dict[str, float]  # block id -> gradient norm
    run: str = ""  # "resnet20", "plain-20"...
    step: int = 0
    design: object = field(default=None, compare=False)  # the frozen design that produced them

    @property
    def range(self) -> tuple[float, float] | None:
        return norm_range(self.norms.values())

    @property
    def caption(self) -> str:
        if not self.run and not self.step:
            return ""
        return f"{self.run or 'run'}, step {self.step:,}"


@dataclass(frozen=True)
class LegendState:
    lo: float
    hi: float
    caption: str = ""


class GradientLegend(QWidget):
    """A colour bar with the log range it stands for and whose gradients these are."""

    def __init__(self, parent: QWidget | None = None, overlay: bool = False) -> None:
        super().__init__(parent)
        self.state: LegendState | None = None
        self.overlay = overlay  # on the canvas: a light box, hidden while there is nothing
        self.setFixedSize(250, 48)
        self.setToolTip("Gradient colours: each block's latest gradient norm on a log scale")
        if overlay:
            self.setAttribute(Qt.WA_TransparentForMouseEvents)
            self.hide()

    def set_state(self, state: LegendState | None) -> None:
        self.state = state
        if self.overlay:
            self.setVisible(state is not None)
        self.update()

    def show_colouring(self, colouring: GradientColouring | None) -> None:
        rng = colouring.range if colouring is not None else None
        self.set_state(None if rng is None else LegendState(*rng, colouring.caption))

    def caption(self) -> str:
        return self.state.caption if self.state else ""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        if self.overlay and self.state is not None:
            p.fillRect(self.rect(), QColor(255, 255, 255, 225))
        p.setPen(self.palette().windowText().color())
        title = "gradient norm (log scale)"
        if self.state is not None and self.state.caption:
            title = f"gradients of {self.state.caption}"
        width = self.width() - 12
        p.drawText(QRectF(6, 1, width, 14), Qt.AlignLeft,
                   p.fontMetrics().elidedText(title, Qt.ElideRight, int(width)))
        bar = QRectF(6, 17, width, 10)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        for t, _ in STOPS:
            grad.setColorAt(t, stop_colour(t))
        p.fillRect(bar, grad)
        if self.state is not None:
            p.drawText(QRectF(6, 29, width / 2, 14), Qt.AlignLeft, f"{self.state.lo:.2g}")
            p.drawText(QRectF(6 + width / 2, 29, width / 2, 14), Qt.AlignRight,
                       f"{self.state.hi:.2g}")
        p.end()
