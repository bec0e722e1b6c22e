"""A canvas that stays put (issue 9, part 6): edits never move the view, opening fits, drops
never stack cards, and a selected red card still shows that it is selected."""

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from cnn_explorer.model.files import save_design
from cnn_explorer.model.presets import build_preset
from cnn_explorer.ui.canvas.items import SELECT_BLUE
from cnn_explorer.ui.mime import KIND_MIME
from cnn_explorer.ui.palette.palette import palette_mime

from .helpers import card_rects, drag_port, overlapping
from .test_ui_canvas import _drop


def view_state(window) -> tuple:
    view = window.view
    return (view.transform(), view.horizontalScrollBar().value(),
            view.verticalScrollBar().value(),
            view.mapToScene(view.viewport().rect().center()))


def visible_scene_rect(window) -> QRectF:
    view = window.view
    return view.mapToScene(view.viewport().rect()).boundingRect()


def test_connect_add_and_expand_leave_the_view_where_it_was(window, qtbot):
    window.choose_preset("resnet20", ask_knobs=False)
    window.view.scale(0.35, 0.35)  # room around the design: every new card lands in sight
    g, scene = window.document.graph, window.scene
    seen = visible_scene_rect(window)
    before = view_state(window)

    # add: select a block and double-click a palette entry (the new card lands beside it)
    stem = g.find("stem").id
    scene.select_block(stem, centre=False)
    window.palette._activated(window.palette.entry("dropout"))
    qtbot.wait(10)
    assert view_state(window) == before

    # add at the right edge of what is seen, then connect to it by dragging a port
    dense = window.controller.add_block("dense", (seen.right() - 260, seen.top() + 40))
    qtbot.wait(10)
    assert view_state(window) == before
    drag_port(window, g.find("stage1_block1").id, dense)
    assert g.incoming(dense) == {0: g.find("stage1_block1").id}
    qtbot.wait(10)
    assert view_state(window) == before

    # expand a composite (View > Expand/Collapse), which makes its card taller
    scene.select_block(g.find("stage3_block3").id, centre=False)
    window.toggle_selected()
    qtbot.wait(10)
    assert scene.cards[g.find("stage3_block3").id].expanded
    assert view_state(window) == before


def test_opening_a_design_fits_it_in_view(window, tmp_path, qtbot):
    path = tmp_path / "resnet.json"
    save_design(build_preset("resnet20"), path)
    window.view.scale(2.0, 2.0)  # the user had zoomed in on one card, far from the rest
    window.view.centerOn(window.scene.cards[window.document.graph.find("fc1").id])
    assert window.files.open(path)
    qtbot.wait(10)
    seen = visible_scene_rect(window)
    assert all(seen.contains(c.sceneBoundingRect()) for c in window.scene.cards.values())


def test_a_drop_onto_a_card_is_nudged_aside(window):
    g = window.document.graph
    target_card = window.scene.cards[g.find("conv1").id]
    aim = window.view.mapFromScene(target_card.sceneBoundingRect().center())
    before = set(g.block_ids())
    _drop(window.view, palette_mime(KIND_MIME, "conv2d"), aim)
    (new,) = set(g.block_ids()) - before
    assert overlapping(card_rects(window)) == []
    new_rect = window.scene.cards[new].sceneBoundingRect()
    aimed = target_card.sceneBoundingRect().center()
    assert abs(new_rect.center().x() - aimed.x()) + abs(new_rect.center().y() - aimed.y()) < 400


def _render(card) -> QImage:
    rect = card.sceneBoundingRect()
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    card.scene().render(painter, QRectF(image.rect()), rect)
    painter.end()
    return image


def _blue_pixels(image: QImage) -> int:
    return sum(1 for x in range(image.width()) for y in range(image.height())
               if abs(image.pixelColor(x, y).red() - SELECT_BLUE.red()) < 40
               and abs(image.pixelColor(x, y).green() - SELECT_BLUE.green()) < 40
               and image.pixelColor(x, y).blue() > 200)


def test_selection_shows_on_a_red_problem_card(window):
    g, scene = window.document.graph, window.scene
    dense = window.controller.add_block("dense", (900.0, 0.0))  # no input: a problem
    window.document.flush()
    card = scene.cards[dense]
    assert card.problems
    scene.clearSelection()
    plain = _render(card)
    scene.select_block(dense, centre=False)
    selected = _render(card)
    assert _blue_pixels(selected) > _blue_pixels(plain) + 50
    assert g.block(dense).kind == "dense"


def test_problem_text_is_whole_in_the_tooltip(window):
    dense = window.controller.add_block("dense", (900.0, 0.0))
    window.document.flush()
    card = window.scene.cards[dense]
    assert card.problems[0] in card.toolTip() and "Dense" in card.toolTip()
    assert "<br>" in card.toolTip()  # rich text: each problem on its own line
