"""The open document: one design (its graph lives as long as the window), its undo stack, its file.

Views observe the graph through `graph_event` (every model event, at once) and `report_changed`
(the inference report, recomputed once per event-loop turn however many events came, so an edit
shows new shapes and totals within one frame and a 300-block paste is inferred once).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from cnn_explorer.model.files import Design
from cnn_explorer.model.graph import Graph, GraphEvent
from cnn_explorer.model.inference import Report
from cnn_explorer.model.settings import RunSettings


class Document(QObject):
    graph_event = Signal(object)      # GraphEvent
    report_changed = Signal(object)   # Report
    file_changed = Signal()           # path or title changed
    design_opened = Signal()          # a whole other design came in (open, New, preset, undo)
    settings_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.design = Design(Graph(), RunSettings(), "untitled")
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(0)
        self._refresh.timeout.connect(self.flush)
        self.design.graph.subscribe(self._on_graph_event)

    @property
    def graph(self) -> Graph:
        return self.design.graph

    def report(self) -> Report:
        return self.graph.report()

    def snapshot(self) -> Design:
        """A frozen copy for workers (training, export): later edits do not reach it."""
        return self.design.snapshot()

    def set_settings(self, settings: RunSettings) -> None:
        self.design.settings = settings
        self.settings_changed.emit()

    def set_file(self, path: Path | None, title: str | None = None) -> None:
        self.path = Path(path) if path else None
        if title is not None:
            self.design.title = title
        self.file_changed.emit()

    @property
    def display_name(self) -> str:
        """The file's name; a design that lives in no file says so ('resnet20 (untitled)')."""
        if self.path is not None:
            return self.path.name
        title = self.design.title or "untitled"
        return title if title == "untitled" else f"{title} (untitled)"

    def note_saved(self, path: Path) -> None:
        """The design at the current undo step now lives in `path`.

        A whole-design replacement (preset, import) is undoable and carries the file of each
        side; the replacements on either side of this step learn the new file, so undo and
        redo always pair the canvas with the file that holds it (or with none).
        """
        stack, here = self.undo_stack, self.undo_stack.index()
        for i in range(here - 1, -1, -1):
            command = stack.command(i)
            if hasattr(command, "new_file"):
                command.new_file = (Path(path), self.design.title)
                break
        for i in range(here, stack.count()):
            command = stack.command(i)
            if hasattr(command, "old_file"):
                command.old_file = (Path(path), self.design.title)
                break
        self.set_file(path)

    def _on_graph_event(self, event: GraphEvent) -> None:
        self.graph_event.emit(event)
        self._refresh.start()

    def flush(self) -> None:
        """Deliver the pending report now (the timer does it on the next event-loop turn)."""
        self._refresh.stop()
        self.report_changed.emit(self.report())
