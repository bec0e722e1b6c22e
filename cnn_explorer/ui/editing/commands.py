"""Undo commands: each touches only the model (the graph), never a view.

Every command can be undone and redone any number of times and leaves the design exactly as it
was (same block ids, names, parameters, connections and positions), which the tests check by
comparing `design_to_dict` before and after.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtGui import QUndoCommand

from cnn_explorer.model.errors import ParameterError
from cnn_explorer.model.files import Design, design_from_dict, design_to_dict
from cnn_explorer.model.graph import Block, Connection, Graph, spec_for

Pos = tuple[float, float]


def restore_blocks(graph: Graph, blocks: list[Block], positions: dict[str, Pos],
                   connections: list[Connection]) -> None:
    """Put blocks back with their ids, then their connections (what undoing a delete needs)."""
    with graph.batch():
        for b in blocks:
            graph.add_block(b.kind, b.params, b.name, block_id=b.id,
                            position=positions.get(b.id), trainable=b.trainable)
        for c in sorted(connections, key=lambda c: (c.dst, c.port)):
            graph.connect(c.src, c.dst, c.port)


def replace_contents(graph: Graph, source: Graph) -> None:
    """Make `graph` hold exactly what `source` holds: one `Replaced` event, linear in size."""
    graph.replace(source)


class AddBlocks(QUndoCommand):
    """Add one or more blocks (palette drop, double-click, paste) and the edges among them.

    `entries` are dicts with kind, params, name, position; `connections` are
    (source index or existing block id, target index, port): an int indexes `entries`.
    """

    def __init__(self, graph: Graph, entries: list[dict], connections: list[tuple] = (),
                 text: str = "Add block") -> None:
        super().__init__(text)
        graph.check_new_names([e["name"] for e in entries])  # Qt swallows errors in redo
        for e in entries:
            spec_for(e["kind"], dict(e.get("params") or {}), e["name"])
        self.graph = graph
        self.entries = [dict(e) for e in entries]
        self.connections = list(connections)
        self.ids: list[str] | None = None

    def _id(self, ref: Any) -> str:
        return self.ids[ref] if isinstance(ref, int) else ref

    def redo(self) -> None:
        first = self.ids is None
        with self.graph.batch():
            ids = []
            for i, e in enumerate(self.entries):
                bid = self.graph.add_block(e["kind"], e.get("params"), e["name"],
                                           block_id=None if first else self.ids[i],
                                           position=e.get("position"))
                ids.append(bid)
            self.ids = ids
            for src, dst, port in self.connections:
                self.graph.connect(self._id(src), self._id(dst), port)

    def undo(self) -> None:
        with self.graph.batch():
            for bid in reversed(self.ids or []):
                self.graph.remove_block(bid)


class RemoveBlocks(QUndoCommand):
    """Delete blocks with every connection touching them; undo restores all of it."""

    def __init__(self, graph: Graph, block_ids: list[str], text: str | None = None) -> None:
        n = len(block_ids)
        name = graph.block(block_ids[0]).name if n == 1 else f"{n} blocks"
        super().__init__(text or f"Delete {name}")
        self.graph = graph
        self.blocks = [graph.block(b) for b in block_ids]
        self.positions = {b: p for b in block_ids if (p := graph.position(b)) is not None}
        ids = set(block_ids)
        self.lost = [c for c in graph.connections() if c.src in ids or c.dst in ids]

    def redo(self) -> None:
        with self.graph.batch():
            for b in self.blocks:
                self.graph.remove_block(b.id)

    def undo(self) -> None:
        restore_blocks(self.graph, self.blocks, self.positions, self.lost)


class Connect(QUndoCommand):
    def __init__(self, graph: Graph, src: str, dst: str, port: int = 0) -> None:
        graph.check_connect(src, dst, port)  # raises the model's reason before the push
        super().__init__(f"Connect {graph.block(src).name} \u2192 {graph.block(dst).name}")
        self.graph, self.conn = graph, Connection(src, dst, port)

    def redo(self) -> None:
        self.graph.connect(self.conn.src, self.conn.dst, self.conn.port)

    def undo(self) -> None:
        self.graph.disconnect(self.conn.dst, self.conn.port)


class Disconnect(QUndoCommand):
    def __init__(self, graph: Graph, connection: Connection) -> None:
        super().__init__(f"Disconnect {graph.block(connection.src).name} \u2192 "
                         f"{graph.block(connection.dst).name}")
        self.graph, self.conn = graph, connection

    def redo(self) -> None:
        self.graph.disconnect(self.conn.dst, self.conn.port)

    def undo(self) -> None:
        self.graph.connect(self.conn.src, self.conn.dst, self.conn.port)


class MoveBlocks(QUndoCommand):
    """Move one or many blocks as one step (a drag of a multi-selection, an auto-layout)."""

    def __init__(self, graph: Graph, new: dict[str, Pos], text: str | None = None) -> None:
        n = len(new)
        super().__init__(text or (f"Move {graph.block(next(iter(new))).name}" if n == 1
                                  else f"Move {n} blocks"))
        self.graph = graph
        self.new = dict(new)
        self.old = {b: graph.position(b) for b in new}

    def redo(self) -> None:
        with self.graph.batch():
            for b, p in self.new.items():
                self.graph.move(b, p)

    def undo(self) -> None:
        with self.graph.batch():
            for b, p in self.old.items():
                self.graph.move(b, p if p is not None else (0.0, 0.0))


class SetParam(QUndoCommand):
    """Change one parameter; consecutive changes of the same field merge into one step.

    Lowering a merge block's input count drops its extra edges in the model; undo puts them back.
    """

    ID = 4001

    def __init__(self, graph: Graph, block_id: str, name: str, value: Any) -> None:
        block = graph.block(block_id)
        spec = spec_for(block.kind, {**block.params, name: value}, block.name)  # raises if bad
        if name not in spec.to_dict():
            raise ParameterError(f"block '{block.name}'", name, "a parameter of this block")
        super().__init__(f"Set {block.name}.{name} = {value}")
        self.graph, self.block_id, self.name, self.value = graph, block_id, name, value
        self.old = block.params.get(name)
        self.dropped: list[Connection] = []

    def id(self) -> int:
        return self.ID

    def redo(self) -> None:
        before = [c for c in self.graph.connections() if c.dst == self.block_id]
        self.graph.set_param(self.block_id, self.name, self.value)
        after = set(self.graph.connections())
        self.dropped = [c for c in before if c not in after]

    def undo(self) -> None:
        with self.graph.batch():
            self.graph.set_param(self.block_id, self.name, self.old)
            for c in self.dropped:
                self.graph.connect(c.src, c.dst, c.port)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (not isinstance(other, SetParam) or other.block_id != self.block_id
                or other.name != self.name or self.dropped or other.dropped):
            return False
        self.value = other.value
        self.setText(other.text())
        return True


class Rename(QUndoCommand):
    def __init__(self, graph: Graph, block_id: str, name: str) -> None:
        graph.check_name(name, block_id)
        super().__init__(f"Rename {graph.block(block_id).name} to {name}")
        self.graph, self.block_id, self.new = graph, block_id, name
        self.old = graph.block(block_id).name

    def redo(self) -> None:
        self.graph.rename(self.block_id, self.new)

    def undo(self) -> None:
        self.graph.rename(self.block_id, self.old)


class SetTrainable(QUndoCommand):
    """Freeze a block for fine-tuning (its weights do not move in training), or unfreeze it."""

    def __init__(self, graph: Graph, block_id: str, trainable: bool) -> None:
        name = graph.block(block_id).name
        super().__init__(f"{'Unfreeze' if trainable else 'Freeze'} {name}")
        self.graph, self.block_id, self.new = graph, block_id, bool(trainable)
        self.old = graph.block(block_id).trainable

    def redo(self) -> None:
        self.graph.set_trainable(self.block_id, self.new)

    def undo(self) -> None:
        self.graph.set_trainable(self.block_id, self.old)


class SetRunSetting(QUndoCommand):
    """Change one run setting of the document; consecutive changes of one field merge."""

    ID = 4002

    def __init__(self, document, name: str, value: Any) -> None:
        self.document, self.name = document, name
        self.old = document.design.settings
        self.new = dataclasses.replace(self.old, **{name: value})  # raises if not allowed
        super().__init__(f"Set run setting {name} = {getattr(self.new, name)}")

    def id(self) -> int:
        return self.ID

    def redo(self) -> None:
        self.document.set_settings(self.new)

    def undo(self) -> None:
        self.document.set_settings(self.old)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetRunSetting) or other.name != self.name:
            return False
        self.new = other.new
        self.setText(other.text())
        return True


class ReplaceDesign(QUndoCommand):
    """Swap the whole design (a preset load, an import) in place, so views stay subscribed.

    The new design belongs to no file (it is untitled until saved); undo brings back the old
    design with its file, so Save can never write a preset over the file that was open.
    With `edit=True` (compound scaling, a diagnosis fix) the new design is an edit of the open
    one: it keeps its file and title, and the view stays where it is.
    """

    def __init__(self, document, new: Design, text: str, edit: bool = False) -> None:
        super().__init__(text)
        self.document, self.edit = document, edit
        self.new = (design_to_dict(new), new.settings)
        old = document.design
        self.old = (design_to_dict(old), old.settings)
        if edit and new.weights is None and "weights" in self.old[0]:  # an edit (a fix, a
            self.new[0]["weights"] = self.old[0]["weights"]  # scale): unchanged blocks keep them
        self.old_file = (document.path, old.title)
        self.new_file = self.old_file if edit else (None, new.title)

    def _apply(self, state: tuple, file: tuple) -> None:
        data, settings = state
        restored = design_from_dict(data)
        replace_contents(self.document.graph, restored.graph)
        self.document.design.weights = restored.weights  # the weights it starts from
        self.document.path, self.document.design.title = file
        self.document.set_settings(settings)
        if not self.edit:
            self.document.file_changed.emit()
            self.document.design_opened.emit()

    def redo(self) -> None:
        self._apply(self.new, self.new_file)

    def undo(self) -> None:
        self._apply(self.old, self.old_file)
