"""The edit controller: turns a view's intent into an undo command, or into a reason why not.

Every undoable edit comes through here (a drop, a port drag, an inspector or run-settings
edit, the training panel's one-click fix, a preset or an import). Opening a file, New and crash
recovery are not edits: they replace the design outside the undo stack and start it afresh
(files/actions.adopt). A refused edit returns the model's message and emits it for the status
bar.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QObject, Signal

from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.files import Design
from cnn_explorer.model.graph import Connection, Graph, freeze, fresh_name
from cnn_explorer.model.kinds import kind as lookup_kind
from cnn_explorer.model.layout import LayoutBox, graph_positions, lay_out
from cnn_explorer.model.presets import build_preset
from cnn_explorer.ui.editing import commands as cmd
from cnn_explorer.ui.editing.document import Document

CARD = LayoutBox()


class EditController(QObject):
    message = Signal(str)  # a refusal or a hint for the status bar

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document

    @property
    def graph(self) -> Graph:
        return self.document.graph

    def _push(self, command) -> None:
        self.document.undo_stack.push(command)

    def _refuse(self, exc: Exception) -> str:
        text = str(exc)
        self.message.emit(text)
        return text

    # ---- blocks ---------------------------------------------------------------------------
    def add_block(self, kind: str, position: tuple[float, float],
                  after: str | None = None) -> str | None:
        """Add a block of `kind` at `position`; with `after`, also connect that block to it."""
        bk = lookup_kind(kind)
        entry = {"kind": kind, "params": {}, "name": self.graph.unique_name(bk.name),
                 "position": (float(position[0]), float(position[1]))}
        links = []
        text = f"Add {bk.title}"
        if after is not None and bk.input_ports(bk.spec()) > 0:
            links = [(after, 0, 0)]
            text += f" after {self.graph.block(after).name}"
        command = cmd.AddBlocks(self.graph, [entry], links, text)
        try:
            self._push(command)
        except DesignError as exc:
            self._refuse(exc)
            return None
        return command.ids[0]

    def add_after(self, kind: str, selected: str | None) -> str | None:
        """Double-click in the palette: below the selected block, connected to it."""
        if selected is None:
            return self.add_block(kind, self.free_spot(None))
        return self.add_block(kind, self.free_spot(selected), after=selected)

    def free_spot(self, below: str | None) -> tuple[float, float]:
        """A place for a new card: under `below` (shifted right while taken), else to the right."""
        taken = [p for p in self.graph.positions().values()]
        if below is not None and self.graph.position(below) is not None:
            x, y = self.graph.position(below)
            y += CARD.height + CARD.v_gap
        else:
            step = CARD.width + CARD.h_gap
            x = max((p[0] for p in taken), default=-step) + step
            y = 0.0
        while any(abs(px - x) < CARD.width and abs(py - y) < CARD.height for px, py in taken):
            x += CARD.width + CARD.h_gap
        return (x, y)

    def remove_blocks(self, block_ids: list[str]) -> None:
        block_ids = [b for b in block_ids if b in self.graph.block_ids()]
        if block_ids:
            self._push(cmd.RemoveBlocks(self.graph, block_ids))

    def move_blocks(self, new_positions: dict[str, tuple[float, float]]) -> None:
        moved = {b: p for b, p in new_positions.items() if self.graph.position(b) != p}
        if moved:
            self._push(cmd.MoveBlocks(self.graph, moved))

    def set_param(self, block_id: str, name: str, value: Any) -> str | None:
        """Change a parameter; returns the reason if the model refuses the value."""
        if self.graph.block(block_id).params.get(name) == freeze(value):  # lists read as tuples
            return None
        try:
            self._push(cmd.SetParam(self.graph, block_id, name, value))
        except DesignError as exc:
            return self._refuse(exc)
        return None

    def rename(self, block_id: str, name: str) -> str | None:
        if self.graph.block(block_id).name == name:
            return None
        try:
            self._push(cmd.Rename(self.graph, block_id, name))
        except DesignError as exc:
            return self._refuse(exc)
        return None

    def set_trainable(self, block_id: str, trainable: bool) -> None:
        """Freeze (False) or unfreeze a block for fine-tuning, as one undoable step."""
        if self.graph.block(block_id).trainable != bool(trainable):
            self._push(cmd.SetTrainable(self.graph, block_id, trainable))

    # ---- run settings ---------------------------------------------------------------------
    def set_setting(self, name: str, value: Any) -> str | None:
        """Change one of the design's run settings (undoable); returns the reason if refused."""
        settings = self.document.design.settings
        if name in settings.to_dict() and getattr(settings, name) == value:
            return None
        try:
            self._push(cmd.SetRunSetting(self.document, name, value))
        except (DesignError, TypeError) as exc:
            return self._refuse(exc)
        return None

    # ---- connections ----------------------------------------------------------------------
    def connect(self, src: str, dst: str, port: int = 0) -> str | None:
        """Connect an output to an input port; returns the model's reason when it refuses."""
        try:
            self._push(cmd.Connect(self.graph, src, dst, port))
        except DesignError as exc:
            return self._refuse(exc)
        self.message.emit(f"Connected {self.graph.block(src).name} \u2192 "
                          f"{self.graph.block(dst).name}")
        return None

    def reconnect(self, old: Connection, dst: str, port: int) -> str | None:
        """Move an edge's input end to another input port, as one undo step."""
        try:
            self.graph.check_connect(old.src, dst, port)
        except DesignError as exc:
            return self._refuse(exc)
        stack = self.document.undo_stack
        stack.beginMacro(f"Reconnect {self.graph.block(old.src).name} \u2192 "
                         f"{self.graph.block(dst).name}")
        self.disconnect(old.dst, old.port)
        self._push(cmd.Connect(self.graph, old.src, dst, port))
        stack.endMacro()
        return None

    def disconnect(self, dst: str, port: int) -> None:
        for c in self.graph.connections():
            if c.dst == dst and c.port == port:
                self._push(cmd.Disconnect(self.graph, c))
                return

    # ---- whole designs --------------------------------------------------------------------
    def load_design(self, design: Design, text: str) -> None:
        """Replace the design as one undoable step; blocks without positions get laid out."""
        lay_out(design.graph, only_if_unplaced=True)
        self._push(cmd.ReplaceDesign(self.document, design, text))

    def edit_design(self, design: Design, text: str) -> None:
        """Replace the design with an edit of it (scaled, fixed) as one undoable step: it keeps
        its file and title; blocks without positions get laid out."""
        lay_out(design.graph, only_if_unplaced=True)
        self._push(cmd.ReplaceDesign(self.document, design, text, edit=True))

    def load_preset(self, name: str, **params: Any) -> str | None:
        try:
            design = build_preset(name, **params)
        except DesignError as exc:
            return self._refuse(exc)
        self.load_design(design, f"Load preset {design.title}")
        return None

    def auto_layout(self) -> None:
        self.move_blocks(graph_positions(self.graph))

    # ---- clipboard ------------------------------------------------------------------------
    def copy_blocks(self, block_ids: list[str]) -> str:
        """The selection as JSON: blocks with positions and the connections among them."""
        ids = [b for b in block_ids if b in self.graph.block_ids()]
        inside = set(ids)
        blocks = [{"id": b, "kind": self.graph.block(b).kind, "name": self.graph.block(b).name,
                   "params": self.graph.block(b).params,
                   "position": list(self.graph.position(b) or (0.0, 0.0))} for b in ids]
        links = [{"src": c.src, "dst": c.dst, "port": c.port} for c in self.graph.connections()
                 if c.src in inside and c.dst in inside]
        return json.dumps({"blocks": blocks, "connections": links})

    @staticmethod
    def top_left_of(text: str) -> tuple[float, float] | None:
        """The top-left position among copied blocks (None when the text holds none)."""
        try:
            points = [b.get("position") or (0.0, 0.0) for b in json.loads(text)["blocks"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return (min(p[0] for p in points), min(p[1] for p in points)) if points else None

    def paste_blocks(self, text: str, offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
        """Paste copied blocks under fresh names, shifted by `offset`, as one undo step."""
        try:
            data = json.loads(text)
            blocks, links = data["blocks"], data["connections"]
        except (ValueError, KeyError, TypeError):
            self.message.emit("The clipboard holds no CNN Explorer blocks")
            return []
        index = {b["id"]: i for i, b in enumerate(blocks)}
        taken = self.graph.names()
        entries = []
        for b in blocks:
            name = fresh_name(b["name"], taken)
            taken.add(name)
            x, y = b.get("position") or (0.0, 0.0)
            entries.append({"kind": b["kind"], "params": b["params"], "name": name,
                            "position": (x + offset[0], y + offset[1])})
        conns = [(index[c["src"]], index[c["dst"]], int(c["port"])) for c in links
                 if c["src"] in index and c["dst"] in index]
        n = len(entries)
        command = cmd.AddBlocks(self.graph, entries, conns,
                                f"Paste {n} block{'s' if n != 1 else ''}")
        try:
            self._push(command)
        except DesignError as exc:
            self._refuse(exc)
            return []
        return list(command.ids or [])


