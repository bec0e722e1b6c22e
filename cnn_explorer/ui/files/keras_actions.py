"""File > Export Python, Import Keras model and Open checkpoint, wired to the Keras bridge.

TensorFlow is imported only when one of these actions runs (never at start-up). An import reads
a model file, which takes seconds, so it runs as a Job (cnn_explorer.ui.jobs) and comes back on
the GUI thread; the window stays responsive and shows a busy cursor meanwhile.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from cnn_explorer.model.files import write_text_atomic
from cnn_explorer.ui.jobs import Job, JobFailure


class KerasActions(QObject):
    imported = Signal(object, str)  # Design, file name (on the GUI thread, once it is loaded)
    failed = Signal(str)  # the message shown

    def __init__(self, window: QWidget, document, controller) -> None:
        super().__init__(window)
        self.window, self.document, self.controller = window, document, controller
        self.job: Job | None = None

    @property
    def busy(self) -> bool:
        return self.job is not None

    def export_python(self, path: str | None = None) -> bool:
        from cnn_explorer.keras.export import export_python  # no TensorFlow inside

        if path is None:
            stem = self.document.design.title or "model"
            path, _ = QFileDialog.getSaveFileName(self.window, "Export Keras Python source",
                                                  f"{stem}.py", "Python (*.py)")
            if not path:
                return False
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            source = export_python(self.document.snapshot())
            write_text_atomic(Path(path), source)
        except Exception as exc:  # the bridge's or the disk's message, shown as is
            QGuiApplication.restoreOverrideCursor()
            QMessageBox.warning(self.window, "Export Python", f"Export failed: {exc}")
            return False
        QGuiApplication.restoreOverrideCursor()
        self.window.statusBar().showMessage(f"Exported Keras source to {path}", 5000)
        return True

    def add_to_menu(self, menu, action) -> None:
        """The File menu's entries of the bridge (`action`: the window's action maker)."""
        action(menu, "&Import Keras model\u2026", self.import_keras,
               tip="Read a .keras file into a design, with its weights (loads TensorFlow)")
        action(menu, "Open &checkpoint\u2026", self.open_checkpoint,
               tip="Reopen a trained model (.keras + its design) with its weights; training "
                   "continues from them")

    def import_keras(self, path: str | None = None) -> bool:
        return self._read(path, "Import Keras model", _read_keras, ("Import", "Imported"))

    def open_checkpoint(self, path: str | None = None) -> bool:
        """A checkpoint the app saved: its design, naming the `.keras` file's weights."""
        return self._read(path, "Open checkpoint", _read_checkpoint,
                          ("Open checkpoint", "Opened checkpoint"))

    def _read(self, path: str | None, title: str, read, verbs: tuple[str, str]) -> bool:
        """Read a model file as a Job; `verbs`: the undo step's and the status line's."""
        if self.busy:
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, title, "",
                                                  "Keras models (*.keras *.h5);;All files (*)")
            if not path:
                return False
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        self.window.statusBar().showMessage(
            f"Importing {Path(path).name} (loading TensorFlow)\u2026")
        name = Path(path).name
        self.job = Job(lambda report: read(path), _import_problems, name="keras-import",
                       parent=self)
        self.job.done.connect(lambda design: self._on_imported(design, name, verbs))
        self.job.failed.connect(lambda failure: self._on_failed(failure, name))
        self.job.start()
        return True

    def _on_imported(self, design, name: str, verbs: tuple[str, str]) -> None:
        self._done()
        self.controller.load_design(design, f"{verbs[0]} {name}")
        weights = (f", weights from {Path(design.weights.file).name} (training starts from "
                   "them)" if design.weights else "")
        self.window.statusBar().showMessage(
            f"{verbs[1]} {name}: {len(design.graph)} blocks{weights}", 8000)
        self.imported.emit(design, name)

    def _on_failed(self, failure: JobFailure, name: str) -> None:
        self._done()
        sep = ":\n\n" if failure.expected else ": "
        message = f"{name} could not be imported{sep}{failure.message}"
        QMessageBox.warning(self.window, "Import Keras model", message)
        self.failed.emit(message)

    def _done(self) -> None:
        self.job = None
        QGuiApplication.restoreOverrideCursor()
        self.window.statusBar().clearMessage()


def _read_keras(path: str):
    """The imported design, its weights kept beside the model file (`x.weights.h5`); where
    that folder cannot be written, the architecture alone."""
    from cnn_explorer.keras.importer import import_keras_file
    from cnn_explorer.keras.weights import import_with_weights

    try:
        return import_with_weights(path, Path(path).with_suffix(".json"))
    except OSError:
        return import_keras_file(path)


def _read_checkpoint(path: str):
    from cnn_explorer.keras.weights import checkpoint_design

    return checkpoint_design(path)


def _import_problems() -> tuple[type[Exception], ...]:
    """The bridge's own errors, whose messages are written for the user (lazy: TensorFlow)."""
    from cnn_explorer.keras.importer import ImportProblem
    from cnn_explorer.keras.weights import WeightsProblem
    from cnn_explorer.model.errors import DesignError

    return (ImportProblem, WeightsProblem, DesignError)
