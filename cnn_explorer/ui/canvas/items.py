"""Canvas items: a card per block with its ports, and an edge per connection. Dumb views.

A card shows what the model says (kind, key parameters, output shape, parameter count,
problems) and is updated by the scene from model events; it never edits the model itself.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from cnn_explorer.model import format as fmt
from cnn_explorer.model.inference import BlockInfo
from cnn_explorer.model.kinds import KINDS
from cnn_explorer.model.layout import CARD_HEIGHT, CARD_WIDTH
from cnn_explorer.ui.icons import colours, family

PORT_RADIUS = 6.0
ROW_HEIGHT = 15.0
PROBLEM_RED = QColor("#d62728")
SELECT_BLUE = QColor("#1f77ff")
PORT_BRUSH = QBrush(QColor("#ffffff"))
PORT_PEN = QPen(QColor("#34495e"), 1.5)
POSITION_CHANGE = QGraphicsItem.ItemPositionChange
POSITION_HAS_CHANGED = QGraphicsItem.ItemPositionHasChanged
SELECTED_HAS_CHANGED = QGraphicsItem.ItemSelectedHasChanged
TEXT_LOD = 0.25  # below this zoom a card's 11-12 px text is under 3 px high: cards go plain


def key_params(kind: str, params: dict) -> str:
    """The few parameters that say what a block does: '64 filters  3x3  stride 2' style."""
    bk = KINDS.get(kind)
    names = bk.key_params if bk else tuple(params)[:3]
    parts = []
    for n in names:
        if n not in params:
            continue
        v = params[n]
        if isinstance(v, (list, tuple)):
            v = "x".join(map(str, v))
        elif n in ("kernel", "pool_size") and isinstance(v, int):
            v = f"{v}x{v}"
        parts.append(str(v) if isinstance(v, str) and n != "class_name" else f"{n} {v}")
    return "   ".join(parts)


class PortItem(QGraphicsEllipseItem):
    """An input (top edge) or the output (bottom edge) of a card; the gesture grabs these."""

    def __init__(self, card: "BlockCard", is_output: bool, index: int = 0) -> None:
        r = PORT_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r, card)
        self.card, self.is_output, self.index = card, is_output, index
        self.setAcceptHoverEvents(True)
        self.setZValue(2)
        self.highlight(False)
        self.setToolTip("output: drag to an input port to connect" if is_output
                        else f"input port {index}")

    def highlight(self, on: bool, ok: bool = True) -> None:
        colour = (QColor("#2ca02c") if ok else PROBLEM_RED) if on else None
        self.setBrush(PORT_BRUSH if colour is None else QBrush(colour))
        self.setPen(PORT_PEN)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.highlight(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.highlight(False)
        super().hoverLeaveEvent(event)


FROZEN_BADGE = "\U0001f512 frozen"  # the card of a block that training leaves as it is


class BlockCard(QGraphicsObject):
    """One block: header (kind, name), key parameters, output shape, parameter count."""

    def __init__(self, block_id: str, pos: QPointF | None = None) -> None:
        super().__init__()
        if pos is not None:  # before the flags: no position-change calls on a new card
            self.setPos(pos)
        self.block_id = block_id
        self.kind = ""
        self.title = ""
        self.name = ""
        self.params_text = ""
        self.shape_text = ""
        self.count_text = ""
        self.problems: list[str] = []
        self.doc = ""
        self.composite = False
        self.expanded = False
        self.layer_rows: list[tuple[str, str, str]] = []
        self.gradient: QColor | None = None
        self.frozen = False  # not trainable (fine-tuning): a lock badge on the card
        self.edges: list["EdgeItem"] = []
        self.inputs: list[PortItem] = []
        self.output = PortItem(self, True)
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self._place_ports(1)

    # ---- geometry -------------------------------------------------------------------------
    def height(self) -> float:
        extra = ROW_HEIGHT * len(self.layer_rows) + 8 if self.expanded and self.layer_rows else 0
        return CARD_HEIGHT + extra

    def boundingRect(self) -> QRectF:  # room for the selection ring outside the card
        return QRectF(-6, -6, CARD_WIDTH + 12, self.height() + 12)

    def _reindex(self) -> None:
        """Tell the scene's card index where this card now is (moved, grown or shrunk)."""
        index = getattr(self.scene(), "card_index", None)
        if index is not None:
            index.put(self, self.sceneBoundingRect())

    def _place_ports(self, n_inputs: int) -> None:
        while len(self.inputs) > n_inputs:
            port = self.inputs.pop()
            port.setParentItem(None)
            if port.scene():
                port.scene().removeItem(port)
        while len(self.inputs) < n_inputs:
            self.inputs.append(PortItem(self, False, len(self.inputs)))
        for i, port in enumerate(self.inputs):
            port.setPos(CARD_WIDTH * (i + 1) / (n_inputs + 1), 0)
        self.output.setPos(CARD_WIDTH / 2, self.height())

    def input_anchor(self, port: int) -> QPointF:
        if 0 <= port < len(self.inputs):
            return self.inputs[port].scenePos()
        return self.mapToScene(QPointF(CARD_WIDTH / 2, 0))

    def output_anchor(self) -> QPointF:
        return self.output.scenePos()

    # ---- content (set by the scene from the model) -----------------------------------------
    def set_block(self, kind_name: str, title: str, name: str, params: dict, doc: str,
                  composite: bool, n_inputs: int) -> None:
        self.prepareGeometryChange()
        self.kind, self.title, self.name, self.doc = kind_name, title, name, doc
        self.composite = composite
        self.params_text = key_params(kind_name, params)
        self._place_ports(n_inputs)
        self._refresh_tooltip()
        self.update()

    def set_report(self, info: BlockInfo | None) -> bool:
        """Shape, parameter count, layers and problems from the inference report.

        Returns whether the card's height changed (its edges then need new paths); a card
        whose numbers did not change costs one tuple comparison, so an edit of one block in a
        400-block import repaints one card, not all of them; the very BlockInfo of the last
        report (inference reuses it for a block it did not redo) costs one identity test.
        """
        if info is not None and info is getattr(self, "_info", None):
            return False
        self._info = info
        if info is None:
            content = ("?", "", (), ())
        else:
            rows = tuple((layer.name, layer.kind, fmt.tensor_shape(layer.output_shape),
                          fmt.count(layer.trainable + layer.non_trainable))
                         for layer in info.layers) if self.composite else ()
            content = (fmt.tensor_shape(info.output_shape), fmt.plural(info.params, "param"),
                       tuple(info.problems), rows)
        if content == getattr(self, "_content", None):
            return False
        self._content = content
        height = self.height()
        self.prepareGeometryChange()
        self.shape_text, self.count_text = content[0], content[1]
        self.problems, self.layer_rows = list(content[2]), list(content[3])
        self.output.setPos(CARD_WIDTH / 2, self.height())
        self._refresh_tooltip()
        self.update()
        if self.height() != height:
            self._reindex()
            for edge in self.edges:
                edge.update_path()
            return True
        return False

    def set_expanded(self, expanded: bool) -> None:
        self.prepareGeometryChange()
        self.expanded = expanded and self.composite
        self.setZValue(3 if self.expanded else 1)
        self.output.setPos(CARD_WIDTH / 2, self.height())
        self._reindex()
        for edge in self.edges:
            edge.update_path()
        self.update()

    def set_gradient(self, colour: QColor | None, norm: float | None = None) -> None:
        self.gradient = colour
        self._norm = norm
        self._refresh_tooltip()
        self.update()

    def _refresh_tooltip(self) -> None:
        title, name, doc = (escape(t, quote=False) for t in (self.title, self.name, self.doc))
        tip = f"<b>{title}</b> {name}<br>{doc}"
        if self.problems:  # the card elides them; the tooltip has every word
            lines = (escape(p, quote=False) for p in self.problems)
            self.setToolTip(tip + "".join(f"<br><span style='color:#d62728'>\u26a0 {line}</span>"
                                          for line in lines))
            return
        if self.gradient is not None and getattr(self, "_norm", None) is not None:
            tip += f"<br>gradient norm: {self._norm:.3g}"
        self.setToolTip(tip)

    # ---- drawing --------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        fill, accent = colours(family(self.kind, self.composite))
        if self.problems:
            fill = QColor("#fdecea")
        if self.gradient is not None:  # a light tint of the colour keeps the text readable
            g = self.gradient
            fill = QColor((g.red() + 2 * 255) // 3, (g.green() + 2 * 255) // 3,
                          (g.blue() + 2 * 255) // 3)
        rect = QRectF(0, 0, CARD_WIDTH, self.height())
        if option.levelOfDetailFromTransform(painter.worldTransform()) < TEXT_LOD:
            self._paint_far(painter, rect, fill, accent)
            return
        path = QPainterPath()
        path.addRoundedRect(rect, 7, 7)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillPath(path, fill)
        painter.save()
        painter.setClipPath(path)
        painter.fillRect(QRectF(0, 0, CARD_WIDTH, 24), accent)
        if self.gradient is not None:  # the norm's colour as a bar, text stays on light fill
            painter.fillRect(QRectF(0, 24, 7, self.height() - 24), self.gradient)
        painter.restore()
        if self.problems:
            pen = QPen(PROBLEM_RED, 3)
        elif self.isSelected():
            pen = QPen(SELECT_BLUE, 2.5)
        else:
            pen = QPen(accent.darker(120), 1.2)
        painter.setPen(pen)
        painter.drawPath(path)
        if self.isSelected() and self.problems:  # red says "problem"; the ring says "selected"
            ring = QPainterPath()
            ring.addRoundedRect(rect.adjusted(-4, -4, 4, 4), 9, 9)
            painter.setPen(QPen(SELECT_BLUE, 2.5))
            painter.drawPath(ring)
        self._paint_text(painter, accent)

    def _paint_far(self, painter: QPainter, rect: QRectF, fill: QColor, accent: QColor) -> None:
        """Zoomed far out (a whole 400-block design on screen): the card's colours and
        outline only; its text would be under 3 px high, and rounding under 2 px."""
        painter.fillRect(rect, fill)
        painter.fillRect(QRectF(0, 0, CARD_WIDTH, 24), accent)
        if self.gradient is not None:
            painter.fillRect(QRectF(0, 24, 7, rect.height() - 24), self.gradient)
        if self.problems:
            painter.setPen(QPen(PROBLEM_RED, 6))
        elif self.isSelected():
            painter.setPen(QPen(SELECT_BLUE, 6))
        else:
            painter.setPen(QPen(accent.darker(120), 1.2))
        painter.drawRect(rect)

    def _paint_text(self, painter: QPainter, accent: QColor) -> None:
        bold = QFont()
        bold.setPixelSize(12)
        bold.setBold(True)
        small = QFont()
        small.setPixelSize(11)
        marker = ("\u25be " if self.expanded else "\u25b8 ") if self.composite else ""
        name_w = QFontMetrics(bold).horizontalAdvance(marker + self.name)
        room = int(CARD_WIDTH - 16)
        painter.setFont(bold)
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(8, 0, room, 24), Qt.AlignVCenter,
                         QFontMetrics(bold).elidedText(marker + self.name, Qt.ElideRight, room))
        title_room = room - name_w - 10
        if title_room > 30:  # the kind on the right, in what space the name leaves
            painter.setFont(small)
            painter.setPen(QColor(255, 255, 255, 210))
            painter.drawText(QRectF(8, 0, room, 24), Qt.AlignVCenter | Qt.AlignRight,
                             QFontMetrics(small).elidedText(self.title, Qt.ElideRight,
                                                            title_room))
        painter.setFont(small)
        fm = QFontMetrics(small)
        painter.setPen(QColor("#1c2833"))
        painter.drawText(QRectF(8, 28, CARD_WIDTH - 16, 16), Qt.AlignVCenter,
                         fm.elidedText(self.params_text or "\u2014", Qt.ElideRight,
                                       int(CARD_WIDTH - 16)))
        painter.setPen(PROBLEM_RED if self.problems else QColor("#1c2833"))
        shape = ("\u26a0 " + self.problems[0]) if self.problems else f"out {self.shape_text}"
        painter.drawText(QRectF(8, 46, CARD_WIDTH - 16, 16), Qt.AlignVCenter,
                         fm.elidedText(shape, Qt.ElideRight, int(CARD_WIDTH - 16)))
        painter.setPen(QColor("#566573"))
        painter.drawText(QRectF(8, 64, CARD_WIDTH - 16, 16), Qt.AlignVCenter, self.count_text)
        if self.frozen:
            painter.drawText(QRectF(8, 64, CARD_WIDTH - 16, 16), Qt.AlignVCenter | Qt.AlignRight,
                             FROZEN_BADGE)
        if self.expanded and self.layer_rows:
            self._paint_layers(painter, small, fm, accent)

    def _paint_layers(self, painter: QPainter, font: QFont, fm: QFontMetrics,
                      accent: QColor) -> None:
        top = CARD_HEIGHT - 4
        painter.setPen(QPen(accent, 1))
        painter.drawLine(QPointF(6, top), QPointF(CARD_WIDTH - 6, top))
        painter.setPen(QColor("#1c2833"))
        for i, (name, kind, shape, count) in enumerate(self.layer_rows):
            y = top + 4 + i * ROW_HEIGHT
            local = name[len(self.name) + 1:] if name.startswith(self.name + "_") else name
            painter.drawText(QRectF(8, y, 92, ROW_HEIGHT), Qt.AlignVCenter,
                             fm.elidedText(local or kind, Qt.ElideRight, 90))
            painter.drawText(QRectF(100, y, 80, ROW_HEIGHT), Qt.AlignVCenter, shape)
            painter.drawText(QRectF(170, y, 44, ROW_HEIGHT), Qt.AlignVCenter | Qt.AlignRight,
                             count)

    def _edges_across(self) -> set:
        """Other blocks' edges whose paths pass this card's place (they route around it)."""
        scene = self.scene()
        if scene is None:
            return set()
        index = getattr(scene, "edge_index", None)
        if index is not None:
            return {edge for edge in index.find(self.sceneBoundingRect())
                    if edge not in self.edges}
        return {item for item in scene.items(self.sceneBoundingRect(),
                                             Qt.IntersectsItemBoundingRect)
                if isinstance(item, EdgeItem) and item not in self.edges}

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        # Qt calls this for every change (flags, children, tooltip...): kept lean, and the
        # value goes back as QGraphicsItem.itemChange would return it
        if change is POSITION_CHANGE:
            if self.scene() is not None:
                self._passing = self._edges_across()  # edges routed around the old place
        elif change is POSITION_HAS_CHANGED:
            self._reindex()
            for edge in set(self.edges) | getattr(self, "_passing", set()) | self._edges_across():
                edge.update_path()
            self._passing = set()
        elif change is SELECTED_HAS_CHANGED:
            self.update()
        return value


from cnn_explorer.ui.canvas.edges import EdgeItem  # noqa: E402  (it needs BlockCard defined)

__all__ = ["BlockCard", "EdgeItem", "PortItem", "PROBLEM_RED", "SELECT_BLUE"]
