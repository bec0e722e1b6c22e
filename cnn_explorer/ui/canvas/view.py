"""The canvas view: zoom on the wheel, pan with the middle button (or Space + drag), fit with
Ctrl+0, rubber-band selection, and drops from the palette (a block at the cursor, or a preset).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from cnn_explorer.ui.canvas.scene import CanvasScene
from cnn_explorer.ui.gradient import GradientLegend
from cnn_explorer.ui.mime import KIND_MIME, PRESET_MIME

SIGNAL_PRESET_DROPPED = "2preset_dropped(QString)"


class CanvasView(QGraphicsView):
    zoom_changed = Signal(float)
    preset_dropped = Signal(str)  # the window loads it (asking to save unsaved work first)
    context_menu = Signal(QPointF, QPoint)  # right-click: scene position, screen position

    def __init__(self, scene: CanvasScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.canvas = scene
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self._pan_from: QPointF | None = None
        self._space = False
        self.legend = GradientLegend(self, overlay=True)
        scene.gradient_range.connect(self.legend.set_state)
        self._hinted = False
        scene.document.graph_event.connect(self._hint_changed)

    def _hint_changed(self, _event=None) -> None:
        if (self.empty_hint() is not None) != self._hinted:  # repaint where the hint was
            self._hinted = not self._hinted
            self.viewport().update()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        if self._hinted:  # the hint stays put while the canvas scrolls under it
            self.viewport().update()

    # ---- zoom and pan ---------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, event: QWheelEvent) -> None:
        factor = 1.0015 ** event.angleDelta().y()
        new = self.zoom() * factor
        if 0.05 < new < 4.0:
            self.scale(factor, factor)
            self.zoom_changed.emit(self.zoom())
        event.accept()

    def fit_all(self) -> None:
        rect = self.canvas.itemsBoundingRect()
        if rect.isEmpty():
            return
        self.fitInView(rect.adjusted(-30, -30, 30, 30), Qt.KeepAspectRatio)
        if self.zoom() > 1.0:  # a small design stays at natural size, centred
            self.resetTransform()
            self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MiddleButton or (self._space and event.button() == Qt.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - int(delta.x()))
            v.setValue(v.value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.legend.move(10, self.viewport().height() - self.legend.height() - 10)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.context_menu.emit(self.mapToScene(event.pos()), event.globalPos())
        event.accept()

    def empty_hint(self) -> str | None:
        """What to do first, drawn on a canvas that holds no design yet (Input alone counts)."""
        if len(self.canvas.cards) > 1:
            return None
        return ("Drag a block from the Blocks list on the left onto the canvas "
                "(or double-click it), then drag from a card's bottom port to the next "
                "card's top port to connect them.\nOr start from a preset: the Presets menu, "
                "or drag one from the list. Right-click for more; "
                "Help\u00a0\u25b8\u00a0Quick\u00a0tour shows the rest.")

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawForeground(painter, rect)
        hint = self.empty_hint()
        if hint is None:
            return
        painter.save()
        painter.resetTransform()  # viewport pixels: the hint does not zoom or scroll
        width = min(620, self.viewport().width() - 40)
        box = QRectF((self.viewport().width() - width) / 2, 24, width, 96)
        painter.setPen(QPen(QColor("#aab7c4"), 1, Qt.DashLine))
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.drawRoundedRect(box, 10, 10)
        painter.setPen(QColor("#34495e"))
        painter.drawText(box.adjusted(16, 10, -16, -10), Qt.AlignCenter | Qt.TextWordWrap, hint)
        painter.restore()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if self.zoom() < 0.35:
            return
        painter.setPen(QPen(QColor("#e6e9ee"), 1))
        step = 40
        x = int(rect.left()) - int(rect.left()) % step
        while x < rect.right():
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += step
        y = int(rect.top()) - int(rect.top()) % step
        while y < rect.bottom():
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += step

    # ---- drops from the palette ------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(KIND_MIME) or event.mimeData().hasFormat(PRESET_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(KIND_MIME) or event.mimeData().hasFormat(PRESET_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        pos = self.mapToScene(event.position().toPoint())
        if mime.hasFormat(KIND_MIME):
            kind = bytes(mime.data(KIND_MIME)).decode()
            self.drop_block(kind, pos)
            event.acceptProposedAction()
        elif mime.hasFormat(PRESET_MIME):
            name = bytes(mime.data(PRESET_MIME)).decode()
            if self.receivers(SIGNAL_PRESET_DROPPED) > 0:
                self.preset_dropped.emit(name)
            else:
                self.canvas.controller.load_preset(name)
            event.acceptProposedAction()
        else:
            super().dropEvent(event)

    def drop_block(self, kind: str, scene_pos: QPointF) -> str | None:
        """The card is centred on the cursor, as the user aimed, or nudged aside off a card."""
        from cnn_explorer.model.layout import CARD_HEIGHT, CARD_WIDTH
        at = self.canvas.free_place((scene_pos.x() - CARD_WIDTH / 2,
                                     scene_pos.y() - CARD_HEIGHT / 2))
        bid = self.canvas.controller.add_block(kind, at)
        if bid is not None:
            self.canvas.select_block(bid, centre=False)
        return bid
