"""Canvas: palette drops, the connect gesture, selection edits, layout, expand, colours."""

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent

from cnn_explorer.model.kinds import KINDS
from cnn_explorer.ui.mime import KIND_MIME, PRESET_MIME
from cnn_explorer.ui.palette.palette import ROLE_VALUE, palette_mime

from .helpers import card_rects, drag_port, model_state, overlapping


def test_starts_with_plain_cnn_laid_out(window):
    g = window.document.graph
    assert window.windowTitle().startswith("plain-cnn")
    assert len(window.scene.cards) == len(g) == 8
    assert len(window.scene.edges) == len(g.connections()) == 7
    assert len(g.positions()) == len(g)
    assert overlapping(card_rects(window)) == []


def _drop(view, mime, target):
    event = QDropEvent(QPointF(target), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    view.dropEvent(event)
    return event


def test_drop_palette_entry_places_block_at_cursor(window, qtbot):
    view = window.view
    free = window.scene.itemsBoundingRect()  # aim at empty canvas (a drop on a card is nudged)
    view.centerOn(QPointF(free.right() + 200, free.center().y()))
    target = view.viewport().rect().center()
    mime = window.palette.tree.mimeData([window.palette.entry("conv2d")])  # what QDrag carries
    assert mime.data(KIND_MIME).data() == b"conv2d"
    before = set(window.document.graph.block_ids())
    _drop(view, mime, target)
    new = set(window.document.graph.block_ids()) - before
    assert len(new) == 1
    bid = new.pop()
    assert window.document.graph.block(bid).kind == "conv2d"
    card = window.scene.cards[bid]
    assert card.sceneBoundingRect().contains(view.mapToScene(target))
    assert window.scene.selected_block_ids() == [bid]
    assert window.document.undo_stack.undoText() == "Add Conv2D"


def test_palette_lists_every_kind_with_its_sentence_and_filters(window):
    palette = window.palette
    values = {e.data(0, ROLE_VALUE) for e in palette.entries()}
    assert {"conv2d", "residual", "plain-cnn", "resnet50"} <= values
    conv = palette.entry("conv2d")
    assert KINDS["conv2d"].doc in conv.toolTip(0)
    assert not conv.icon(0).isNull()
    palette.filter.setText("skip connection")
    shown = [e.data(0, ROLE_VALUE) for e in palette.entries() if not e.isHidden()]
    assert shown == ["add"]


def test_double_click_adds_after_selected_and_connects(window):
    g = window.document.graph
    conv1 = g.find("conv1").id
    window.scene.select_block(conv1)
    window.palette._activated(window.palette.entry("batch_norm"))
    bn = window.scene.selected_block_ids()[0]
    assert g.block(bn).kind == "batch_norm"
    assert g.incoming(bn) == {0: conv1}
    assert g.position(bn)[1] > g.position(conv1)[1]


def test_connect_by_port_drag(window):
    g = window.document.graph
    window.controller.add_block("dense", (900.0, 0.0))
    dense = g.find("dense_1").id
    drag_port(window, g.find("flatten").id, dense)
    assert g.incoming(dense) == {0: g.find("flatten").id}
    assert len(window.scene.edges) == len(g.connections())


def test_invalid_connection_is_refused_with_reason(window):
    g = window.document.graph
    before = model_state(window)
    drag_port(window, g.find("conv2").id, g.find("fc1").id)  # fc1's port is taken
    assert model_state(window) == before
    assert "already connected" in window.statusBar().currentMessage()


def test_delete_selection_is_one_undo_step(window):
    g = window.document.graph
    before = model_state(window)
    for name in ("conv2", "pool2", "flatten"):
        window.scene.cards[g.find(name).id].setSelected(True)
    window.delete_action.trigger()
    assert len(g) == 5 and len(window.scene.cards) == 5
    window.document.undo_stack.undo()
    assert model_state(window) == before
    assert len(window.scene.edges) == 7


def test_copy_paste_keeps_inner_connections(window):
    g = window.document.graph
    for name in ("conv2", "pool2"):
        window.scene.cards[g.find(name).id].setSelected(True)
    assert window.copy()
    new = window.paste()
    assert len(new) == 2 and len(g) == 10
    by_kind = {g.block(i).kind: i for i in new}
    assert set(by_kind) == {"conv2d", "max_pool"}
    assert g.incoming(by_kind["max_pool"]) == {0: by_kind["conv2d"]}
    assert g.block(by_kind["conv2d"]).params == g.find("conv2").params
    window.document.undo_stack.undo()
    assert len(g) == 8


def test_expand_shows_layers_and_collapse_hides_them(window):
    window.controller.load_preset("resnet20")
    window.document.flush()
    bid = window.document.graph.find("stage1_block1").id
    card = window.scene.cards[bid]
    height = card.height()
    window.scene.toggle_expanded(bid)
    layers = window.document.report().blocks[bid].layers
    assert card.expanded and len(card.layer_rows) == len(layers) >= 6
    assert card.height() > height
    window.scene.toggle_expanded(bid)
    assert not card.expanded and card.height() == height


def test_problem_outlined_with_message_and_click_selects(window, qtbot):
    g = window.document.graph
    window.controller.set_param(g.find("input").id, "height", 5)
    window.document.flush()
    bad = [bid for bid, c in window.scene.cards.items() if c.problems]
    assert bad == [g.find("conv2").id]
    card = window.scene.cards[bad[0]]
    assert "conv2" in card.toolTip() or "3" in card.toolTip()
    assert all(p in card.toolTip() for p in window.document.report().blocks[bad[0]].problems)
    problems = window.inspector.problems
    item = problems.item(0)
    assert item.text().startswith("conv2:")
    window.scene.clearSelection()
    problems.itemClicked.emit(item)
    assert window.scene.selected_block_ids() == [bad[0]]


def test_big_presets_lay_out_without_overlaps(window):
    for name in ("resnet50", "densenet-bc-100", "efficientnet-b0", "vgg19"):
        window.controller.load_preset(name)
        window.document.flush()
        assert len(window.scene.cards) == len(window.document.graph)
        assert overlapping(card_rects(window)) == [], name


def test_gradient_norms_colour_cards_and_show_legend(window):
    ids = window.document.graph.block_ids()
    window.scene.set_gradient_norms({ids[1]: 1e-5, ids[2]: 1e-1})
    low, high = window.scene.cards[ids[1]].gradient, window.scene.cards[ids[2]].gradient
    assert low is not None and high is not None and low != high
    assert window.scene.cards[ids[3]].gradient is None
    assert window.view.legend.isVisibleTo(window.view)
    window.scene.set_gradient_norms({})
    assert window.scene.cards[ids[1]].gradient is None
    assert not window.view.legend.isVisibleTo(window.view)


def test_zoom_and_fit(window):
    window.controller.load_preset("resnet50")
    window.document.flush()
    window.view.fit_all()
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.itemsBoundingRect())


def test_mouse_drag_moves_block_as_one_undo_step(window):
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    g = window.document.graph
    bid = g.find("conv2").id
    window.view.resetTransform()
    window.scene.select_block(bid)
    card = window.scene.cards[bid]
    x0, y0 = g.position(bid)
    vp = window.view.viewport()
    start = window.view.mapFromScene(card.mapToScene(60, 40))
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    QTest.mouseMove(vp, start + QPoint(10, 5))
    QTest.mouseMove(vp, start + QPoint(40, 20))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, start + QPoint(40, 20))
    assert g.position(bid) == (x0 + 40, y0 + 20)
    assert window.undo_action.text() == "&Undo Move conv2"
    window.document.undo_stack.undo()
    assert g.position(bid) == (x0, y0) and card.pos().toTuple() == (x0, y0)


def test_expanded_card_pushes_cards_below_without_moving_them_in_the_model(window):
    window.controller.load_preset("resnet20")
    window.document.flush()
    g = window.document.graph
    first, second = g.find("stage1_block1").id, g.find("stage1_block2").id
    model_before = dict(g.positions())
    window.scene.toggle_expanded(first)
    a, b = window.scene.cards[first], window.scene.cards[second]
    assert not a.sceneBoundingRect().adjusted(2, 2, -2, -2).intersects(
        b.sceneBoundingRect().adjusted(2, 2, -2, -2))
    assert g.positions() == model_before
    window.scene.toggle_expanded(first)
    assert b.pos().toTuple() == g.position(second)


def test_dropping_a_preset_loads_it_as_one_undo_step(window):
    before = model_state(window)
    _drop(window.view, palette_mime(PRESET_MIME, "resnet20"), window.view.rect().center())
    assert len(window.document.graph) == 13
    assert window.undo_action.text() == "&Undo Load preset resnet20"
    window.document.undo_stack.undo()
    assert model_state(window) == before


def test_selected_edge_deletes_and_undo_restores(window):
    g = window.document.graph
    before = model_state(window)
    conn = next(c for c in window.scene.edges if c.dst == g.find("fc1").id)
    window.scene.clearSelection()
    window.scene.edges[conn].setSelected(True)
    window.delete_action.trigger()
    assert conn not in g.connections() and conn not in window.scene.edges
    assert len(g) == 8
    window.document.undo_stack.undo()
    assert model_state(window) == before and conn in window.scene.edges


def test_wheel_zooms_under_the_mouse(window):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent

    view = window.view
    before = view.zoom()
    centre = QPointF(view.viewport().rect().center())
    event = QWheelEvent(centre, view.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 240),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    view.wheelEvent(event)
    assert view.zoom() > before * 1.2


def test_rubber_band_selects_several_blocks(window):
    from PySide6.QtTest import QTest

    view, g = window.view, window.document.graph
    rect = window.scene.cards[g.find("input").id].sceneBoundingRect().united(
        window.scene.cards[g.find("pool1").id].sceneBoundingRect())
    vp = view.viewport()
    start = view.mapFromScene(rect.topLeft() + QPointF(-25, -25))
    end = view.mapFromScene(rect.bottomRight() + QPointF(5, -30))
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    for f in (0.3, 0.6, 1.0):
        QTest.mouseMove(vp, start + (end - start) * f)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, end)
    names = sorted(g.block(b).name for b in window.scene.selected_block_ids())
    assert names == ["conv1", "input", "pool1"]


def test_middle_button_pans(window):
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    window.controller.load_preset("resnet50")
    window.document.flush()
    view = window.view
    view.resetTransform()
    vp = view.viewport()
    before = view.mapToScene(vp.rect().center())
    start = vp.rect().center()
    QTest.mousePress(vp, Qt.MiddleButton, Qt.NoModifier, start)
    QTest.mouseMove(vp, start + QPoint(-60, -80))
    QTest.mouseRelease(vp, Qt.MiddleButton, Qt.NoModifier, start + QPoint(-60, -80))
    after = view.mapToScene(vp.rect().center())
    assert (after.x() - before.x(), after.y() - before.y()) == (60, 80)


def _drag_from_input(window, dst, to_scene):
    from PySide6.QtTest import QTest

    view = window.view
    vp = view.viewport()
    start = view.mapFromScene(window.scene.port_of(dst, False, 0).scenePos())
    end = view.mapFromScene(to_scene)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    QTest.mouseMove(vp, (start + end) / 2)
    QTest.mouseMove(vp, end)
    return vp, end


def test_lifting_an_edge_moves_it_or_removes_it(window):
    from PySide6.QtTest import QTest

    g = window.document.graph
    fc1, flatten = g.find("fc1").id, g.find("flatten").id
    dense = window.controller.add_block("dense", (900.0, 0.0))
    before = model_state(window)
    vp, end = _drag_from_input(window, fc1, window.scene.port_of(dense, False).scenePos())
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, end)
    assert g.incoming(dense) == {0: flatten} and g.incoming(fc1) == {}
    assert window.undo_action.text() == "&Undo Reconnect flatten \u2192 dense_1"
    window.document.undo_stack.undo()
    assert model_state(window) == before
    vp, end = _drag_from_input(window, fc1, QPointF(-400, -400))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, end)
    assert g.incoming(fc1) == {}
    window.document.undo_stack.undo()
    assert model_state(window) == before


def test_escape_cancels_a_port_drag(window):
    from PySide6.QtTest import QTest

    g = window.document.graph
    fc1 = g.find("fc1").id
    before = model_state(window)
    vp, end = _drag_from_input(window, fc1, QPointF(-400, -400))
    QTest.keyClick(vp, Qt.Key_Escape)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, end)
    assert model_state(window) == before
    assert all(e.isVisible() for e in window.scene.edges.values())
