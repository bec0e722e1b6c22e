"""The canvas scene: observes the document's graph and report, and turns gestures into intents.

Like orange-canvas-core's CanvasScene it only observes the model: `graph_event` adds, removes
and updates cards and edges; `report_changed` refreshes shapes, counts and problem outlines.
Edits go to the EditController; the scene never calls a mutation of the graph.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent, QToolTip

from cnn_explorer.model.graph import (
    BlockRemoved,
    Connected,
    Connection,
    Disconnected,
    GraphEvent,
    Replaced,
)
from cnn_explorer.model.inference import Report
from cnn_explorer.model.kinds import kind as lookup_kind
from cnn_explorer.model.layout import CARD_HEIGHT, CARD_WIDTH
from cnn_explorer.ui.canvas.gestures import ConnectGesture, MoveGesture, port_at
from cnn_explorer.ui.canvas.items import BlockCard, EdgeItem, PortItem
from cnn_explorer.ui.canvas.spatial import SpatialIndex
from cnn_explorer.ui.editing.controller import EditController
from cnn_explorer.ui.editing.document import Document
from cnn_explorer.ui.gradient import GradientColouring, LegendState, gradient_colour, norm_range

SCENE_MARGIN = 3000.0  # room around the design, so the scene rect changes rarely and never shrinks
CARD_GAP = 16.0        # what a nudged card keeps from its neighbours


class CanvasScene(QGraphicsScene):
    message = Signal(str)
    gradient_range = Signal(object)  # LegendState (range, whose) or None: the legend follows it

    def __init__(self, document: Document, controller: EditController, parent=None) -> None:
        super().__init__(parent)
        self.document, self.controller = document, controller
        self.cards: dict[str, BlockCard] = {}
        self.edges: dict[Connection, EdgeItem] = {}
        self.expanded: set[str] = set()  # view state: which composites show their layers
        # where cards and edges are, for routing and for free spots (see spatial.py)
        self.card_index: SpatialIndex[BlockCard] = SpatialIndex()
        self.edge_index: SpatialIndex[EdgeItem] = SpatialIndex()
        self._connect: ConnectGesture | None = None
        self._move: MoveGesture | None = None
        self.setBackgroundBrush(QColor("#fafbfc"))
        # A scene rect that only grows: Qt's automatic one follows the items, and each change
        # made the view re-centre by a few pixels under the user's mouse after an edit.
        self.setSceneRect(QRectF(-SCENE_MARGIN, -SCENE_MARGIN, 2 * SCENE_MARGIN,
                                 2 * SCENE_MARGIN))
        document.graph_event.connect(self.on_graph_event)
        document.report_changed.connect(self.on_report)
        self.rebuild()

    # ---- observing the model ----------------------------------------------------------------
    def rebuild(self) -> None:
        """Cards and edges for the whole graph at once (open, New, preset, import, their undo).

        Linear in the blocks: each card gets its content and place before it joins the scene
        (no index update or edge query per move), and each edge is routed once, after every
        card is in (routing while cards still arrive re-routed them again and again).
        """
        for edge in self.edges.values():
            self.removeItem(edge)
        for card in self.cards.values():
            self.removeItem(card)
        self.edges.clear()
        self.cards.clear()
        self.expanded.clear()
        self.card_index.clear()
        self.edge_index.clear()
        graph = self.document.graph
        for bid in graph.block_ids():
            x, y = graph.position(bid) or (0.0, 0.0)
            card = self.cards[bid] = BlockCard(bid, QPointF(x, y))
            self._fill(card, bid)
            self.addItem(card)
            self.card_index.put(card, card.sceneBoundingRect())
        for conn in graph.connections():
            src, dst = self.cards.get(conn.src), self.cards.get(conn.dst)
            if src is not None and dst is not None:
                edge = self.edges[conn] = EdgeItem(src, dst, conn.port)
                self.addItem(edge)
        for edge in self.edges.values():
            edge.update_path()
        if self.cards:
            xs, ys = zip(*((c.x(), c.y()) for c in self.cards.values()))
            self.keep_inside(QRectF(min(xs), min(ys), max(xs) - min(xs) + CARD_WIDTH,
                                    max(ys) - min(ys) + CARD_HEIGHT))
        self.on_report(self.document.report())

    def on_graph_event(self, event: GraphEvent) -> None:
        if isinstance(event, Replaced):
            self.rebuild()
        elif isinstance(event, (Connected, Disconnected)):
            self._sync_edge(event.connection)
        elif isinstance(event, BlockRemoved):
            self._remove_card(event.block_id)
        else:
            self._sync_block(event.block_id)

    def on_report(self, report: Report) -> None:
        grown = False
        for bid, card in self.cards.items():
            grown |= card.set_report(report.blocks.get(bid))
        if grown and self.expanded:
            self._place_all()

    def _fill(self, card: BlockCard, bid: str) -> None:
        graph = self.document.graph
        block = graph.block(bid)
        bk = lookup_kind(block.kind)
        card.set_block(block.kind, bk.title, block.name, block.params, bk.doc, bk.composite,
                       graph.input_ports(bid))
        if card.frozen == block.trainable:  # the lock badge follows the block's flag
            card.frozen = not block.trainable
            card.update()

    def _sync_block(self, bid: str) -> None:
        if bid not in self.document.graph:
            self._remove_card(bid)
            return
        card = self.cards.get(bid)
        if card is None:
            card = BlockCard(bid)
            self.cards[bid] = card
            self.addItem(card)
            self.card_index.put(card, card.sceneBoundingRect())
        self._fill(card, bid)
        card.set_expanded(bid in self.expanded)
        if bid in self.expanded:
            self._place_all()
        else:
            self._place(bid)

    def display_offset(self, bid: str) -> float:
        """Expanded cards push the cards below them in their column down: view only, the
        model keeps its positions (and a drag moves the block by what the mouse moved)."""
        graph = self.document.graph
        pos = graph.position(bid) or (0.0, 0.0)
        extra = 0.0
        for eid in self.expanded:
            card, epos = self.cards.get(eid), graph.position(eid)
            if eid != bid and card is not None and epos is not None and \
                    abs(epos[0] - pos[0]) < CARD_WIDTH and epos[1] < pos[1]:
                extra += card.height() - CARD_HEIGHT
        return extra

    def _place(self, bid: str) -> None:
        card = self.cards[bid]
        if self._move is not None and bid in self._move.start:
            return  # the mouse holds it
        x, y = self.document.graph.position(bid) or (0.0, 0.0)
        card.setPos(QPointF(x, y + self.display_offset(bid)))
        self.keep_inside(card.sceneBoundingRect())

    def keep_inside(self, rect: QRectF) -> None:
        """Grow the scene rect (never shrink it) so `rect` has room around it; the views keep
        their scroll positions, which are in scene units, so nothing on screen moves."""
        if not self.sceneRect().contains(rect):
            m = SCENE_MARGIN
            self.setSceneRect(self.sceneRect().united(rect.adjusted(-m, -m, m, m)))

    def free_place(self, at: tuple[float, float]) -> tuple[float, float]:
        """Where a new card aimed at `at` overlaps no card: `at` itself when free, else the
        nearest free spot (a drop onto a card is nudged aside, never stacked on it)."""
        near = QRectF(at[0] - 900, at[1] - 700, 1800 + CARD_WIDTH, 1400 + CARD_HEIGHT)
        rects = [self.card_index.rect(c) for c in self.card_index.find(near)]

        def free(x: float, y: float) -> bool:
            box = QRectF(x, y, CARD_WIDTH, CARD_HEIGHT).adjusted(-CARD_GAP, -CARD_GAP,
                                                                  CARD_GAP, CARD_GAP)
            return not any(r.intersects(box) for r in rects)

        if free(*at):
            return at
        step = 20.0
        offsets = sorted(((dx * step, dy * step) for dx in range(-40, 41) for dy in range(-30, 31)),
                         key=lambda d: d[0] ** 2 + (1.5 * d[1]) ** 2)
        for dx, dy in offsets:
            if free(at[0] + dx, at[1] + dy):
                return (at[0] + dx, at[1] + dy)
        return at

    def _place_all(self) -> None:
        for bid in self.cards:
            self._place(bid)

    def _remove_card(self, bid: str) -> None:
        card = self.cards.pop(bid, None)
        self.expanded.discard(bid)
        if card is None:
            return
        self.card_index.drop(card)
        for conn in [c for c, e in self.edges.items() if e.src is card or e.dst is card]:
            self._remove_edge(conn)
        passing = card._edges_across()  # they went around it; now they can go straight
        self.removeItem(card)
        for edge in passing:
            edge.update_path()

    def _sync_edge(self, conn: Connection) -> None:
        graph = self.document.graph
        exists = (conn.dst in graph
                  and graph.incoming(conn.dst).get(conn.port) == conn.src)
        if exists and conn not in self.edges and conn.src in self.cards and conn.dst in self.cards:
            edge = EdgeItem(self.cards[conn.src], self.cards[conn.dst], conn.port)
            self.edges[conn] = edge
            self.addItem(edge)
            edge.update_path()
        elif not exists and conn in self.edges:
            self._remove_edge(conn)

    def _remove_edge(self, conn: Connection) -> None:
        edge = self.edges.pop(conn)
        edge.detach()
        self.edge_index.drop(edge)
        self.removeItem(edge)

    # ---- selection ------------------------------------------------------------------------
    def selected_block_ids(self) -> list[str]:
        return [i.block_id for i in self.selectedItems() if isinstance(i, BlockCard)]

    def selected_connections(self) -> list[Connection]:
        return [c for c, e in self.edges.items() if e.isSelected()]

    def select_block(self, bid: str, centre: bool = True) -> None:
        card = self.cards.get(bid)
        if card is None:
            return
        self.clearSelection()
        card.setSelected(True)
        if centre:  # only a card out of sight brings the view to it, by the least scroll
            for view in self.views():
                seen = view.mapToScene(view.viewport().rect()).boundingRect()
                if not seen.contains(card.sceneBoundingRect()):
                    view.ensureVisible(card, 40, 40)

    def delete_selection(self) -> None:
        """Delete key: selected blocks and selected edges, as one undo step."""
        blocks, edges = self.selected_block_ids(), self.selected_connections()
        edges = [c for c in edges if c.src not in blocks and c.dst not in blocks]
        if not blocks and not edges:
            return
        stack = self.document.undo_stack
        stack.beginMacro("Delete selection" if edges else f"Delete {len(blocks)} block(s)")
        for c in edges:
            self.controller.disconnect(c.dst, c.port)
        self.controller.remove_blocks(blocks)
        stack.endMacro()

    def toggle_expanded(self, bid: str) -> None:
        card = self.cards.get(bid)
        if card is None or not card.composite:
            return
        self.expanded.symmetric_difference_update({bid})
        card.set_expanded(bid in self.expanded)
        self._place_all()

    # ---- gradient colouring --------------------------------------------------------------
    def set_gradient_norms(self, norms: dict, caption: str = "") -> None:
        """Colour each card by its gradient norm (log scale); `{}` clears the colours."""
        rng = norm_range(norms.values())
        for bid, card in self.cards.items():
            value = norms.get(bid)
            card.set_gradient(None if value is None or rng is None else
                              gradient_colour(value, *rng), value)
        self.gradient_range.emit(None if rng is None else LegendState(*rng, caption))

    def show_colouring(self, colouring: GradientColouring | None) -> None:
        """A run's colours, labelled with the run and step; None clears them."""
        if colouring is None:
            self.set_gradient_norms({})
        else:
            self.set_gradient_norms(colouring.norms, colouring.caption)

    # ---- gestures -------------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.LeftButton:
            port = port_at(self, event.scenePos())
            if port is not None and port.is_output:
                self._connect = ConnectGesture(self, port, self._why_not)
                event.accept()
                return
            if port is not None and self._pick_up_edge(port):
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.LeftButton:
            cards = [i for i in self.selectedItems() if isinstance(i, BlockCard)]
            self._move = MoveGesture(cards) if cards else None

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._connect is not None:
            reason = self._connect.move(event.scenePos())
            if reason and event.widget() is not None:
                QToolTip.showText(event.screenPos(), reason, event.widget())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._connect is not None:
            gesture, self._connect = self._connect, None
            intent = gesture.finish(event.scenePos())
            if gesture.detached is not None:
                self._drop_edge(gesture.detached, intent)
            elif intent is not None:
                reason = self.controller.connect(*intent)
                if reason:
                    self.message.emit(reason)
            return
        super().mouseReleaseEvent(event)
        if self._move is not None:
            gesture, self._move = self._move, None
            graph = self.document.graph
            moved = {}
            for bid, (dx, dy) in gesture.finish().items():
                x, y = graph.position(bid) or (0.0, 0.0)
                moved[bid] = (x + dx, y + dy)
            if moved:
                self.controller.move_blocks(moved)

    def _pick_up_edge(self, port: PortItem) -> bool:
        """Pressing a connected input port lifts its edge: drag it to another input port to
        move it, or onto empty canvas to remove it."""
        src = self.document.graph.incoming(port.card.block_id).get(port.index)
        if src is None or src not in self.cards:
            return False
        conn = Connection(src, port.card.block_id, port.index)
        self._connect = ConnectGesture(self, self.cards[src].output, self._why_not, conn)
        if conn in self.edges:
            self.edges[conn].setVisible(False)
        return True

    def _drop_edge(self, old: Connection, intent: tuple | None) -> None:
        if old in self.edges:
            self.edges[old].setVisible(True)
        if intent is None:
            self.controller.disconnect(old.dst, old.port)
        elif intent[1:] != (old.dst, old.port):
            reason = self.controller.reconnect(old, intent[1], intent[2])
            if reason:
                self.message.emit(reason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key_Escape and self._connect is not None:
            gesture, self._connect = self._connect, None
            gesture.cancel()
            if gesture.detached is not None and gesture.detached in self.edges:
                self.edges[gesture.detached].setVisible(True)
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        for item in self.items(event.scenePos()):
            if isinstance(item, BlockCard):
                self.toggle_expanded(item.block_id)
                return
        super().mouseDoubleClickEvent(event)

    def _why_not(self, src: str, dst: str, port: int) -> str | None:
        from cnn_explorer.model.errors import DesignError
        try:
            self.document.graph.check_connect(src, dst, port)
        except DesignError as exc:
            return str(exc)
        return None

    def port_of(self, bid: str, output: bool, index: int = 0) -> PortItem:
        card = self.cards[bid]
        return card.output if output else card.inputs[index]
