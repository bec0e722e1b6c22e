"""Canvas edges: one per connection, from a card's output port to another card's input port."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from cnn_explorer.ui.canvas.items import SELECT_BLUE, TEXT_LOD, BlockCard

EDGE_PEN = QPen(QColor("#5d6d7e"), 1.6)


class EdgeItem(QGraphicsPathItem):
    """A connection from a card's output to another card's input port.

    Downward edges with nothing in the way are smooth curves; an edge that would cross other
    cards, or climb to the next column, runs around them in a lane to their right.
    """

    def __init__(self, src: BlockCard, dst: BlockCard, port: int) -> None:
        super().__init__()
        self._bounds = QRectF()
        self.src, self.dst, self.port = src, dst, port
        src.edges.append(self)
        dst.edges.append(self)
        self.setZValue(0)
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setPen(EDGE_PEN)
        self.setToolTip(f"{src.name} \u2192 {dst.name} (port {port}); select and press Delete "
                        "to disconnect")
        self._arrow_at = QPointF()  # the scene routes it (update_path) once it is in

    def detach(self) -> None:
        for card in (self.src, self.dst):
            if self in card.edges:
                card.edges.remove(self)

    def update_path(self) -> None:
        a, b = self.src.output_anchor(), self.dst.input_anchor(self.port)
        path = QPainterPath(a)
        blockers = self._blockers(a, b)
        if b.y() > a.y() + 8 and not blockers:
            dy = max(30.0, (b.y() - a.y()) / 2)
            path.cubicTo(QPointF(a.x(), a.y() + dy), QPointF(b.x(), b.y() - dy), b)
        else:
            src_r, dst_r = self.src.sceneBoundingRect(), self.dst.sceneBoundingRect()
            if b.y() <= a.y() and dst_r.left() > src_r.right() + 30:
                lane = (src_r.right() + dst_r.left()) / 2  # climbing to the next column
            else:
                right = max([src_r.right(), dst_r.right()] + [r.right() for r in blockers])
                lane = right + 18 + 6 * (self.port % 3)
            for p in (QPointF(a.x(), a.y() + 14), QPointF(lane, a.y() + 14),
                      QPointF(lane, b.y() - 14), QPointF(b.x(), b.y() - 14), b):
                path.lineTo(p)
        self.setPath(path)
        self._arrow_at = b
        # the stroke (shape(): 10 wide) and the arrow head; cached: Qt asks for it often
        self._bounds = path.controlPointRect().adjusted(-11, -15, 11, 11)
        index = getattr(self.scene(), "edge_index", None)
        if index is not None:
            index.put(self, self._bounds)

    def _blockers(self, a: QPointF, b: QPointF) -> list[QRectF]:
        scene = self.scene()
        if scene is None:
            return []
        corridor = QRectF(a, b).normalized().adjusted(-8, 2, 8, -2)
        index = getattr(scene, "card_index", None)
        if index is not None:  # the scene's grid of cards: no call back per nearby item
            return [index.rect(card) for card in index.find(corridor)
                    if card is not self.src and card is not self.dst]
        out = []
        for item in scene.items(corridor, Qt.IntersectsItemBoundingRect):
            if isinstance(item, BlockCard) and item not in (self.src, self.dst):
                out.append(item.sceneBoundingRect())
        return out

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        pen = QPen(SELECT_BLUE, 2.6) if self.isSelected() else self.pen()
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path())
        if option.levelOfDetailFromTransform(painter.worldTransform()) < TEXT_LOD:
            return  # zoomed far out the arrow head would be a pixel
        tip = self._arrow_at
        painter.setBrush(pen.color())
        arrow = QPainterPath(tip)
        arrow.lineTo(tip.x() - 5, tip.y() - 9)
        arrow.lineTo(tip.x() + 5, tip.y() - 9)
        arrow.closeSubpath()
        painter.drawPath(arrow)
