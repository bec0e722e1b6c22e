"""Palette and card colours and icons, drawn with QPainter at run time (no image files to ship).

Each family of blocks has one hue (convolutions blue, pooling teal, merges orange...), so the
palette, the cards and the legend speak the same colour language.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap

from cnn_explorer.model.kinds import KINDS

HUES = {  # family -> (fill, accent)
    "io": ("#e8eef7", "#3b5b8c"), "conv": ("#e3efff", "#1f6fd1"), "norm": ("#f0e9fb", "#7a4fc4"),
    "act": ("#fff4dc", "#c98a00"), "pool": ("#e2f5f1", "#138a72"), "dense": ("#f3ebe7", "#6d4c41"),
    "merge": ("#ffeedd", "#d35400"), "shape": ("#eef0f2", "#5d6d7e"),
    "block": ("#e6f4e2", "#2e7d32"), "preset": ("#f3f3f3", "#34495e"),
}
GLYPHS = {"io": "\u25b6", "conv": "\u25a6", "norm": "\u03bc", "act": "\u223f", "pool": "\u25bc",
          "dense": "\u25cf", "merge": "+", "shape": "\u25ad", "block": "\u25a3",
          "preset": "\u2605"}


def family(kind_name: str, composite: bool = False) -> str:
    """The kind's icon family, as its BlockKind declares it ("block" for composites)."""
    if composite:
        return "block"
    bk = KINDS.get(kind_name)
    return bk.family if bk else "shape"


def colours(fam: str) -> tuple[QColor, QColor]:
    fill, accent = HUES.get(fam, HUES["shape"])
    return QColor(fill), QColor(accent)


@lru_cache(maxsize=64)
def family_icon(fam: str, size: int = 20) -> QIcon:
    """A rounded tile in the family's accent colour with a white glyph."""
    fill, accent = colours(fam)
    pix = QPixmap(size, size)
    pix.fill(Qt.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(1, 1, size - 2, size - 2), 4, 4)
    p.fillPath(path, accent)
    p.setPen(QPen(QColor("white")))
    font = QFont()
    font.setPixelSize(int(size * 0.6))
    font.setBold(True)
    p.setFont(font)
    p.drawText(QRectF(0, 0, size, size), Qt.AlignCenter, GLYPHS.get(fam, "?"))
    p.end()
    return QIcon(pix)


@lru_cache(maxsize=8)
def app_icon() -> QIcon:
    """Three stacked feature maps: the window icon."""
    pix = QPixmap(64, 64)
    pix.fill(Qt.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.Antialiasing)
    for i, hue in enumerate(("#1f6fd1", "#138a72", "#d35400")):
        p.setBrush(QColor(hue))
        p.setPen(QPen(QColor("white"), 2))
        off = 8 + i * 10
        p.drawRoundedRect(QRectF(off, 34 - i * 10, 34, 26), 4, 4)
    p.setPen(QPen(QColor("#34495e"), 3))
    p.drawLine(QPointF(6, 60), QPointF(58, 60))
    p.end()
    return QIcon(pix)
