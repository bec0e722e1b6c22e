"""Edits offered on a card's right-click menu, each one undo step through the edit controller.

Duplicate a block beside itself, insert a block after one (its consumers then read the new
block: squeeze-excitation after a convolution), and wrap a block in a residual connection
(an Add of the block's output and its input, so the block learns F(x) and x passes around it).
"""

from __future__ import annotations

from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.kinds import kind as lookup_kind
from cnn_explorer.model.layout import LayoutBox
from cnn_explorer.ui.editing import commands as cmd
from cnn_explorer.ui.editing.controller import EditController

CARD = LayoutBox()


def beside(controller: EditController, block_id: str) -> tuple[float, float]:
    """A free place to the right of a block, on its row (further right while taken)."""
    graph = controller.graph
    x, y = graph.position(block_id) or (0.0, 0.0)
    taken = list(graph.positions().values())
    x += CARD.width + CARD.h_gap
    while any(abs(px - x) < CARD.width and abs(py - y) < CARD.height for px, py in taken):
        x += CARD.width + CARD.h_gap
    return (x, y)


def duplicate(controller: EditController, block_id: str) -> str | None:
    """A copy of the block (same kind and parameters, a fresh name) beside it, unconnected."""
    block = controller.graph.block(block_id)
    x, y = beside(controller, block_id)
    x0, y0 = controller.graph.position(block_id) or (0.0, 0.0)
    ids = controller.paste_blocks(controller.copy_blocks([block_id]), (x - x0, y - y0))
    if ids:
        controller.document.undo_stack.command(
            controller.document.undo_stack.index() - 1).setText(f"Duplicate {block.name}")
    return ids[0] if ids else None


def _add_rewired(controller: EditController, entry: dict, inputs: list[tuple[str, int]],
                 takes_over: str, text: str) -> str | None:
    """Add `entry` fed by `inputs` (block id, port) and move `takes_over`'s consumers onto it,
    as one macro; on a refusal nothing changes and the controller says why."""
    graph, stack = controller.graph, controller.document.undo_stack
    consumers = list(graph.outgoing(takes_over))
    try:
        add = cmd.AddBlocks(graph, [entry], [(src, 0, port) for src, port in inputs], text)
    except DesignError as exc:
        controller.message.emit(str(exc))
        return None
    stack.beginMacro(text)
    stack.push(add)
    new = add.ids[0]
    for c in consumers:
        stack.push(cmd.Disconnect(graph, c))
        stack.push(cmd.Connect(graph, new, c.dst, c.port))
    stack.endMacro()
    return new


def insert_after(controller: EditController, kind: str, block_id: str) -> str | None:
    """A new `kind` block right after the block: it reads the block, its consumers read it."""
    bk, graph = lookup_kind(kind), controller.graph
    name = graph.unique_name(bk.name)
    entry = {"kind": kind, "params": {}, "name": name, "position": beside(controller, block_id)}
    return _add_rewired(controller, entry, [(block_id, 0)], block_id,
                        f"Add {bk.title} after {graph.block(block_id).name}")


def wrap_in_residual(controller: EditController, block_id: str) -> str | None:
    """x -> block -> Add(block(x), x): the block becomes the residual branch F(x)."""
    graph = controller.graph
    source = graph.incoming(block_id).get(0)
    name = graph.block(block_id).name
    if source is None:
        controller.message.emit(f"{name} has no input to add back: connect its input first")
        return None
    entry = {"kind": "add", "params": {}, "name": graph.unique_name("add"),
             "position": beside(controller, block_id)}
    return _add_rewired(controller, entry, [(block_id, 0), (source, 1)], block_id,
                        f"Wrap {name} in a residual connection")
