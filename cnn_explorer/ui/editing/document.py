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
        return self.path.name if self.path else (self.design.title or "untitled")

    def _on_graph_event(self, event: GraphEvent) -> None:
        self.graph_event.emit(event)
        self._refresh.start()

    def flush(self) -> None:
        """Deliver the pending report now (the timer does it on the next event-loop turn)."""
        self._refresh.stop()
        self.report_changed.emit(self.report())
