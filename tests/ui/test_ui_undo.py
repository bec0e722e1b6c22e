"""Undo and redo: every kind of edit, undone all the way and redone, restores the exact model."""

from cnn_explorer.model.presets import build_preset

from .helpers import drag_port, model_state


def test_every_edit_undoes_and_redoes_exactly(window):
    g = window.document.graph
    c = window.controller
    stack = window.document.undo_stack
    states = [model_state(window)]

    def step(action):
        action()
        states.append(model_state(window))

    step(lambda: c.add_block("dense", (900.0, 50.0)))
    dense = g.find("dense_1").id
    step(lambda: drag_port(window, g.find("flatten").id, dense))
    step(lambda: c.move_blocks({dense: (950.0, 80.0)}))
    step(lambda: c.set_param(dense, "units", 32))
    step(lambda: c.rename(dense, "extra_fc"))
    step(lambda: c.disconnect(dense, 0))
    step(lambda: c.remove_blocks([g.find("pool2").id, dense]))
    window.scene.cards[g.find("conv1").id].setSelected(True)
    step(lambda: window.copy() and window.paste())
    step(lambda: c.load_preset("resnet20"))
    assert stack.count() == len(states) - 1
    for state in reversed(states[:-1]):
        stack.undo()
        assert model_state(window) == state
    for state in states[1:]:
        stack.redo()
        assert model_state(window) == state
    assert len(window.scene.cards) == len(g) == len(build_preset("resnet20").graph)


def test_edit_menu_names_the_action_and_modified_marker_follows(window):
    stack = window.document.undo_stack
    assert not window.isWindowModified()
    window.controller.add_block("dropout", (0.0, 900.0))
    assert window.undo_action.text() == "&Undo Add Dropout"
    assert window.isWindowModified()
    stack.undo()
    assert window.redo_action.text() == "&Redo Add Dropout"
    assert not window.isWindowModified()


def test_multi_block_move_is_one_step(window):
    g = window.document.graph
    ids = g.block_ids()[:3]
    before = model_state(window)
    window.controller.move_blocks({b: (500.0 + i, 500.0 + i) for i, b in enumerate(ids)})
    assert window.undo_action.text() == "&Undo Move 3 blocks"
    assert [window.scene.cards[b].pos().x() for b in ids] == [500.0, 501.0, 502.0]
    window.document.undo_stack.undo()
    assert model_state(window) == before
    assert window.scene.cards[ids[0]].pos().toTuple() == tuple(g.position(ids[0]))


def test_lowering_merge_inputs_drops_an_edge_and_undo_restores_it(window):
    g = window.document.graph
    c = window.controller
    c.add_block("concatenate", (900.0, 0.0))
    cat = g.find("concatenate_1").id
    c.connect(g.find("pool1").id, cat, 0)
    c.set_param(cat, "inputs", 3)
    c.connect(g.find("pool2").id, cat, 2)
    before = model_state(window)
    c.set_param(cat, "inputs", 2)
    assert 2 not in g.incoming(cat)
    window.document.undo_stack.undo()
    assert model_state(window) == before


def test_keyboard_shortcuts_reach_the_actions(window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    g = window.document.graph
    window.view.setFocus()
    window.controller.add_block("dropout", (0.0, 900.0))
    QTest.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier)
    assert len(g) == 8
    QTest.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert len(g) == 9
    window.scene.select_block(g.find("dropout_1").id)
    QTest.keyClick(window.view, Qt.Key_Delete)
    assert len(g) == 8
    window.view.scale(3, 3)
    QTest.keyClick(window.view, Qt.Key_0, Qt.ControlModifier)
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.itemsBoundingRect())
