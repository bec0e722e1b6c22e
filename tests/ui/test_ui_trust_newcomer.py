"""A newcomer finds their way (issue 9, part 8): right-click menus whose every edit is one
undo step, a hint on the empty canvas, a reopenable tour, and problems that blame the block
that dangles."""

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu

from cnn_explorer.ui.canvas.menus import CanvasMenus

from .helpers import card_rects, model_state, overlapping
from .test_ui_trust_files import menu_action


class Menus:
    """Right-clicks that open the real context menu; QMenu.exec records it instead of
    blocking, and the test triggers the entry a user would click."""

    def __init__(self, window, monkeypatch) -> None:
        self.window, self.shown = window, []
        monkeypatch.setattr(CanvasMenus, "popup", lambda _self, menu, pos: self.shown.append(menu))

    def right_click(self, scene_pos) -> QMenu:
        view = self.window.view
        pos = view.mapFromScene(scene_pos)
        event = QContextMenuEvent(QContextMenuEvent.Mouse, pos, view.viewport().mapToGlobal(pos))
        QApplication.sendEvent(view.viewport(), event)
        return self.shown[-1]

    def on_card(self, name: str) -> QMenu:
        card = self.window.scene.cards[self.window.document.graph.find(name).id]
        self.window.view.centerOn(card)
        return self.right_click(card.sceneBoundingRect().center())

    @staticmethod
    def choose(menu: QMenu, *path: str) -> None:
        for i, text in enumerate(path):
            action = next(a for a in menu.actions() if a.text().startswith(text))
            if i == len(path) - 1:
                assert action.isEnabled(), text
                action.trigger()
            else:
                menu = action.menu()


def one_undo_step(window, before: dict, do) -> None:
    """`do` changes the design; a single Undo brings back exactly `before`."""
    stack = window.document.undo_stack
    count = stack.index()
    do()
    assert model_state(window) != before
    assert stack.index() == count + 1
    stack.undo()
    assert model_state(window) == before
    stack.redo()


def test_card_menu_renames_duplicates_and_deletes_each_as_one_undo_step(window, monkeypatch):
    menus, g = Menus(window, monkeypatch), window.document.graph
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("first_conv", True))
    before = model_state(window)
    one_undo_step(window, before, lambda: menus.choose(menus.on_card("conv1"), "Rename"))
    assert g.find("first_conv").kind == "conv2d"
    assert window.scene.selected_block_ids() == [g.find("first_conv").id]

    before = model_state(window)
    one_undo_step(window, before, lambda: menus.choose(menus.on_card("fc1"), "Duplicate"))
    copies = [b for b in g.blocks() if b.kind == "dense"]
    assert len(copies) == 2 and copies[0].params == copies[1].params
    assert overlapping(card_rects(window)) == []

    before = model_state(window)
    one_undo_step(window, before, lambda: menus.choose(menus.on_card("pool2"), "Delete"))
    assert "pool2" not in [b.name for b in g.blocks()]


def test_card_menu_wraps_in_a_residual_and_adds_se_after(window, monkeypatch):
    menus, g = Menus(window, monkeypatch), window.document.graph
    conv2, pool1, pool2 = (g.find(n).id for n in ("conv2", "pool1", "pool2"))
    before = model_state(window)
    one_undo_step(window, before, lambda: menus.choose(menus.on_card("conv2"), "Wrap in residual"))
    add = next(b.id for b in g.blocks() if b.kind == "add")
    assert g.incoming(add) == {0: conv2, 1: pool1}  # F(x) + x
    assert g.incoming(pool2) == {0: add}  # what read conv2 now reads the sum

    before = model_state(window)
    one_undo_step(window, before, lambda: menus.choose(menus.on_card("conv1"), "Add squeeze"))
    se = next(b.id for b in g.blocks() if b.kind == "squeeze_excite")
    assert g.incoming(se) == {0: g.find("conv1").id}
    assert g.incoming(g.find("pool1").id) == {0: se}
    window.document.flush()
    assert not window.document.report().blocks[se].problems


def test_card_menu_expands_a_composite(window, monkeypatch):
    menus = Menus(window, monkeypatch)
    window.choose_preset("resnet20", ask_knobs=False)
    block = window.document.graph.find("stage1_block1").id
    menus.choose(menus.on_card("stage1_block1"), "Expand")
    assert block in window.scene.expanded
    menus.choose(menus.on_card("stage1_block1"), "Collapse")
    assert block not in window.scene.expanded


def test_canvas_menu_adds_here_pastes_fits_and_tidies(window, monkeypatch):
    menus, g, scene = Menus(window, monkeypatch), window.document.graph, window.scene
    empty = scene.itemsBoundingRect().topRight()
    empty.setX(empty.x() + 400)
    window.view.centerOn(empty)
    before = model_state(window)
    one_undo_step(window, before, lambda: menus.choose(menus.right_click(empty), "Add block here",
                                                       "Layers", "Dropout"))
    dropout = next(b.id for b in g.blocks() if b.kind == "dropout")
    assert scene.cards[dropout].sceneBoundingRect().contains(empty)

    scene.select_block(g.find("conv1").id, centre=False)
    window.copy()
    spot = empty + QPoint(0, 300)
    before = model_state(window)
    one_undo_step(window, before, lambda: menus.choose(menus.right_click(spot), "Paste here"))
    pasted = [b for b in g.blocks() if b.name.startswith("conv") and b.name not in
              ("conv1", "conv2")]
    assert len(pasted) == 1
    assert g.position(pasted[0].id) == pytest.approx((spot.x(), spot.y()), abs=1.0)

    window.view.scale(3, 3)
    menus.choose(menus.right_click(window.view.mapToScene(10, 10)), "Fit view")
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert all(seen.contains(c.sceneBoundingRect()) for c in scene.cards.values())

    before = model_state(window)
    one_undo_step(window, before, lambda: menus.choose(menus.right_click(seen.topLeft()),
                                                       "Tidy layout"))
    assert overlapping(card_rects(window)) == []


def test_empty_canvas_says_what_to_do(window, qtbot):
    assert window.view.empty_hint() is None  # the starter design is there
    menu_action(window, "File", "New").trigger()
    hint = window.view.empty_hint()
    assert hint and "Drag a block" in hint and "preset" in hint
    with_hint = window.view.viewport().grab().toImage()
    window.controller.add_block("conv2d", (0.0, 300.0))
    qtbot.wait(20)
    assert window.view.empty_hint() is None
    assert window.view.viewport().grab().toImage() != with_hint


def test_help_tour_pages_and_reopens_at_the_start(window, qtbot):
    menu_action(window, "Help", "Quick tour").trigger()
    tour = window.tour
    assert tour.isVisible() and tour.where.text() == "Page 1 of 5"
    assert not tour.back.isEnabled()
    tour.next.click()
    tour.next.click()
    assert tour.page_title() == "2. Connect and edit"
    tour.close_button.click()
    assert not tour.isVisible()
    menu_action(window, "Help", "Quick tour").trigger()
    assert tour.isVisible() and tour.where.text() == "Page 1 of 5"


def test_problems_list_blames_the_dangling_block(window):
    g = window.document.graph
    dangling = window.controller.add_block("dropout", (900.0, 300.0),
                                           after=g.find("conv2").id)
    window.document.flush()
    items = [window.inspector.problems.item(i) for i in range(window.inspector.problems.count())]
    texts = [i.text() for i in items]
    name = g.block(dangling).name
    assert len(texts) == 1 and texts[0].startswith(f"{name}:")
    assert "predictions" in texts[0] and items[0].toolTip() == texts[0]
