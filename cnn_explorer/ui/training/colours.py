"""Gradient-norm colours for the canvas: the training panel's colormap when it exists,
otherwise a local log-scale one (blue = vanishing, yellow = healthy, red = exploding)."""

from __future__ import annotations

import math
from typing import Iterable

from PySide6.QtGui import QColor

STOPS = ((0.0, (49, 54, 149)), (0.25, (116, 173, 209)), (0.5, (255, 255, 191)),
         (0.75, (244, 109, 67)), (1.0, (165, 0, 38)))


def norm_range(values: Iterable[float]) -> tuple[float, float] | None:
    vals = [float(v) for v in values if v is not None and math.isfinite(v) and v > 0]
    if not vals:
        return None
    return min(vals), max(vals)


def local_colour(norm: float, lo: float, hi: float) -> QColor:
    """Position of log(norm) between log(lo) and log(hi), through a diverging colormap."""
    if norm <= 0 or not math.isfinite(norm):
        return QColor(200, 200, 200)
    span = math.log10(hi) - math.log10(lo) if hi > lo else 0.0
    t = 0.5 if span == 0 else (math.log10(norm) - math.log10(lo)) / span
    t = min(1.0, max(0.0, t))
    for (t0, c0), (t1, c1) in zip(STOPS, STOPS[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return QColor(*(int(a + (b - a) * f) for a, b in zip(c0, c1)))
    return QColor(*STOPS[-1][1])


def colour_for(norm: float, lo: float, hi: float) -> QColor:
    try:
        from cnn_explorer.ui.training.plots import (
            gradient_colour,  # the training panel's, if it landed
        )
    except ImportError:
        return local_colour(norm, lo, hi)
    return gradient_colour(norm, lo, hi)
