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
    document.design.weights = design.weights  # the weights it starts from, if it names any
    document.set_settings(design.settings)
    document.undo_stack.clear()
    document.set_file(path, design.title)
    document.design_opened.emit()


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
            self.window, "Unsaved changes", self.unsaved_text(),
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def unsaved_text(self) -> str:
        """The prompt names the design on the canvas and the file (if any) it would go to."""
        doc = self.document
        title = doc.design.title or "untitled"
        if doc.path is None:
            return (f"The design \u201c{title}\u201d is not saved in any file yet.\n\n"
                    "Save it first (you choose where)?")
        return f"Save the changes to {doc.path.name} (design \u201c{title}\u201d) first?"

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
        self.document.note_saved(path)
        self.add_recent(path)
        return True

    # ---- the design to reopen at the next start ----------------------------------------------
    def remember_last(self) -> None:
        """At a clean close: the file on the canvas opens next time (an untitled one does not)."""
        settings = app_settings()
        path = self.document.path
        settings.setValue("last_design", str(Path(path).resolve()) if path is not None else "")
        settings.sync()

    def last_design(self) -> Path | None:
        """The file to reopen at start: the one open at the last close (after a crash: the
        last one opened or saved); None when it is gone or the canvas held no file."""
        value = app_settings().value("last_design")
        path = Path(str(value)) if value else None
        return path if path is not None and path.is_file() else None

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
        settings.setValue("last_design", path_s)
        settings.sync()
        self.recent_changed.emit()

    def _folder(self) -> str:
        if self.document.path is not None:
            return str(self.document.path.parent)
        recent = self.recent()
        return str(Path(recent[0]).parent) if recent else str(Path.home())
