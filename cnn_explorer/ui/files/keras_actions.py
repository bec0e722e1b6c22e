"""File > Export Python and File > Import Keras model, wired to the Keras bridge.

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

    def import_keras(self, path: str | None = None) -> bool:
        if self.busy:
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Import Keras model", "",
                                                  "Keras models (*.keras *.h5);;All files (*)")
            if not path:
                return False
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        self.window.statusBar().showMessage(
            f"Importing {Path(path).name} (loading TensorFlow)\u2026")
        name = Path(path).name
        self.job = Job(lambda report: _read_keras(path), _import_problems, name="keras-import",
                       parent=self)
        self.job.done.connect(lambda design: self._on_imported(design, name))
        self.job.failed.connect(lambda failure: self._on_failed(failure, name))
        self.job.start()
        return True

    def _on_imported(self, design, name: str) -> None:
        self._done()
        self.controller.load_design(design, f"Import {name}")
        self.window.statusBar().showMessage(f"Imported {name}: {len(design.graph)} blocks", 5000)
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
    from cnn_explorer.keras.importer import import_keras_file

    return import_keras_file(path)


def _import_problems() -> tuple[type[Exception], ...]:
    """The importer's own error, whose message is written for the user (lazy: TensorFlow)."""
    from cnn_explorer.keras.importer import ImportProblem

    return (ImportProblem,)
