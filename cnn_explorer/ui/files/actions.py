"""File actions: New, Open, Save, Save As, recent files, and the unsaved-changes prompt.

Opening reads and checks the whole file first (`load_design`), so a file that fails to load is
reported with its reason and the open design is left exactly as it was. Saving is atomic; a
save that fails (full disk, read-only folder) says why and keeps the design open and modified.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from cnn_explorer.model.errors import DesignFileError
from cnn_explorer.model.files import Design, load_design, save_design
from cnn_explorer.model.graph import Graph
from cnn_explorer.model.layout import lay_out
from cnn_explorer.ui.editing.commands import replace_contents
from cnn_explorer.ui.editing.document import Document
from cnn_explorer.ui.files.app_state import app_settings

FILTER = "CNN Explorer designs (*.json);;All files (*)"
MAX_RECENT = 8


def adopt(document: Document, design: Design, path: Path | None) -> None:
    """Make `design` the document's content as a fresh start: no undo history, clean."""
    lay_out(design.graph, only_if_unplaced=True)
    replace_contents(document.graph, design.graph)
    document.set_settings(design.settings)
    document.undo_stack.clear()
    document.set_file(path, design.title)


def empty_design() -> Design:
    graph = Graph()
    graph.add_block("input", {}, "input", position=(0.0, 0.0))
    return Design(graph, title="untitled")


class FileActions(QObject):
    recent_changed = Signal()

    def __init__(self, parent: QWidget, document: Document) -> None:
        super().__init__(parent)
        self.window, self.document = parent, document

    # ---- prompts --------------------------------------------------------------------------
    def error(self, title: str, text: str) -> None:
        self.last_error = text
        QMessageBox.warning(self.window, title, text)

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current design (saved, discarded, or unchanged)."""
        if self.document.undo_stack.isClean():
            return True
        answer = QMessageBox.question(
            self.window, "Unsaved changes",
            f"Save the changes to {self.document.display_name} first?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    # ---- actions --------------------------------------------------------------------------
    def new(self) -> None:
        if self.maybe_save():
            adopt(self.document, empty_design(), None)

    def open(self, path: str | Path | None = None) -> bool:
        if path is None:
            if not self.maybe_save():
                return False
            path, _ = QFileDialog.getOpenFileName(self.window, "Open design",
                                                  self._folder(), FILTER)
            if not path:
                return False
        try:
            design = load_design(path)
        except DesignFileError as exc:
            self.error("Cannot open design", f"{Path(path).name} could not be opened:\n\n{exc}\n\n"
                       "The design you had open is unchanged.")
            return False
        adopt(self.document, design, Path(path))
        self.add_recent(Path(path))
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        suggestion = str(Path(self._folder()) / f"{self.document.design.title or 'design'}.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save design as", suggestion, FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        try:
            save_design(self.document.design, path)
        except OSError as exc:
            self.error("Cannot save design",
                       f"Saving to {path} failed: {exc.strerror or exc}.\n\nNothing was lost: "
                       "the design is still open and still marked modified. Try Save As to "
                       "another folder or free some disk space.")
            return False
        if self.document.design.title in ("", "untitled") or self.document.path != path:
            self.document.design.title = path.stem
        self.document.undo_stack.setClean()
        self.document.set_file(path)
        self.add_recent(path)
        return True

    # ---- recent files ---------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = app_settings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: Path) -> None:
        path_s = str(Path(path).resolve())
        files = [path_s] + [p for p in self.recent() if p != path_s]
        settings = app_settings()
        settings.setValue("recent_files", files[:MAX_RECENT])
        settings.sync()
        self.recent_changed.emit()

    def _folder(self) -> str:
        if self.document.path is not None:
            return str(self.document.path.parent)
        recent = self.recent()
        return str(Path(recent[0]).parent) if recent else str(Path.home())
