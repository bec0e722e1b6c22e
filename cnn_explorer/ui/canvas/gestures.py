"""Mouse gestures on the canvas, each a small object: drag-to-connect and drag-to-move.

The scene forwards mouse events to the active gesture; a gesture ends by handing the
controller an intent (connect these ports, move these blocks) and never edits the model.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsScene

from cnn_explorer.model.graph import Connection
from cnn_explorer.ui.canvas.items import PROBLEM_RED, BlockCard, PortItem


def port_at(scene: QGraphicsScene, pos: QPointF, slack: float = 4.0) -> PortItem | None:
    """The port under `pos`, or the nearest one within a few pixels (ports are small)."""
    for item in scene.items(pos):
        if isinstance(item, PortItem):
            return item
    best, best_d = None, slack + 6.0
    for item in scene.items(pos.x() - 12, pos.y() - 12, 24, 24, Qt.IntersectsItemShape,
                            Qt.DescendingOrder):
        if isinstance(item, PortItem):
            d = QLineF(item.scenePos(), pos).length()
            if d < best_d:
                best, best_d = item, d
    return best


class ConnectGesture:
    """From an output port: a live rubber line that follows the cursor to an input port.

    `check(src, dst, port)` returns None when the connection is allowed, else the reason;
    the line turns red over a port that would be refused, and the reason shows while hovering.
    """

    def __init__(self, scene: QGraphicsScene, source: PortItem, check,
                 detached: Connection | None = None) -> None:
        """`detached`: the edge picked up from its input port (dragging it elsewhere moves it,
        dropping it on empty canvas removes it)."""
        self.scene, self.source, self.check, self.detached = scene, source, check, detached
        self.line = QGraphicsLineItem(QLineF(source.scenePos(), source.scenePos()))
        self.line.setPen(QPen(Qt.darkGray, 2, Qt.DashLine))
        self.line.setZValue(10)
        scene.addItem(self.line)
        self.target: PortItem | None = None
        self.reason: str | None = None

    def move(self, pos: QPointF) -> str | None:
        self.line.setLine(QLineF(self.source.scenePos(), pos))
        port = port_at(self.scene, pos)
        if self.target is not None and self.target is not port:
            self.target.highlight(False)
        self.target, self.reason = None, None
        if port is not None and not port.is_output:
            self.target = port
            same = self.detached is not None and (port.card.block_id, port.index) == (
                self.detached.dst, self.detached.port)
            self.reason = None if same else self.check(self.source.card.block_id,
                                                       port.card.block_id, port.index)
            port.highlight(True, self.reason is None)
            colour = Qt.darkGreen if self.reason is None else PROBLEM_RED
            self.line.setPen(QPen(colour, 2, Qt.DashLine))
        else:
            self.line.setPen(QPen(Qt.darkGray, 2, Qt.DashLine))
        return self.reason

    def finish(self, pos: QPointF) -> tuple[str, str, int] | None:
        """The intended connection (even a refused one: the controller says why), or None."""
        self.move(pos)
        self.scene.removeItem(self.line)
        self.source.highlight(False)  # the mouse grab swallowed its hover-leave
        if self.target is None:
            return None
        self.target.highlight(False)
        return (self.source.card.block_id, self.target.card.block_id, self.target.index)


    def cancel(self) -> None:
        """Escape: forget the gesture, change nothing."""
        if self.line.scene() is not None:
            self.scene.removeItem(self.line)
        self.source.highlight(False)
        if self.target is not None:
            self.target.highlight(False)


class MoveGesture:
    """Cards dragged by the mouse: Qt moves the items; on release the new places become one
    undoable move of all the cards that moved."""

    def __init__(self, cards: list[BlockCard]) -> None:
        self.start = {c.block_id: (c.pos().x(), c.pos().y()) for c in cards}
        self.cards = cards

    def finish(self) -> dict[str, tuple[float, float]]:
        """How far each card moved (the scene adds it to the block's model position)."""
        out = {}
        for c in self.cards:
            x0, y0 = self.start[c.block_id]
            dx, dy = c.pos().x() - x0, c.pos().y() - y0
            if dx or dy:
                out[c.block_id] = (dx, dy)
        return out
