"""Small helpers shared by the GUI tests."""

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from cnn_explorer.model.files import design_to_dict


def model_state(window) -> dict:
    """Everything a design file holds (ids, names, params, edges, positions, settings), for
    undo/redo comparisons; blocks and edges sorted, since an undone delete re-appends them."""
    data = design_to_dict(window.document.design)
    data["blocks"].sort(key=lambda b: b["id"])
    data["connections"].sort(key=lambda c: (c["dst"], c["port"]))
    return data


def drag_port(window, src: str, dst: str, port: int = 0) -> None:
    """Press on src's output port, move over dst's input port, release: the connect gesture."""
    view, scene = window.view, window.scene
    start = view.mapFromScene(scene.port_of(src, True).scenePos())
    end = view.mapFromScene(scene.port_of(dst, False, port).scenePos())
    vp = view.viewport()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    QTest.mouseMove(vp, (start + end) / 2)
    QTest.mouseMove(vp, end + QPoint(1, 0))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, end + QPoint(1, 0))


def card_rects(window) -> list:
    return [c.sceneBoundingRect().adjusted(2, 2, -2, -2) for c in window.scene.cards.values()]


def overlapping(rects) -> list:
    return [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:] if a.intersects(b)]
