"""Open the window within the screen it is on: at 1280x800 or 1366x768 nothing is cut off.

Sizes are asked for as the window would like them on a large screen and shrunk to the
available geometry (the screen less task bars), leaving room for the window frame.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FRAME_W, FRAME_H = 16, 40  # window borders and title bar, which resize() does not include


def available_area(widget: QWidget) -> QRect:
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fitted_size(wanted: QSize, area: QRect) -> QSize:
    return QSize(max(200, min(wanted.width(), area.width() - FRAME_W)),
                 max(200, min(wanted.height(), area.height() - FRAME_H)))


def fit_to_screen(window: QWidget, wanted: QSize | None = None) -> QRect:
    """Resize `window` to `wanted` (default: its present size), no larger than the available
    screen area, and move it inside that area. Returns the area it was fitted to."""
    area = available_area(window)
    size = fitted_size(wanted or window.size(), area)
    window.resize(size)
    x = min(max(window.x(), area.left()), area.right() - size.width() - FRAME_W + 1)
    y = min(max(window.y(), area.top()), area.bottom() - size.height() - FRAME_H + 1)
    window.move(max(area.left(), x), max(area.top(), y))
    return area
