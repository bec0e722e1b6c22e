"""File > Export Python and File > Import Keras model, wired to the Keras bridge.

TensorFlow is imported only when one of these actions runs (never at start-up). An import reads
a model file, which takes seconds, so it runs on a worker thread and comes back through a
queued signal; the window stays responsive and shows a busy cursor meanwhile.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from cnn_explorer.model.files import write_text_atomic


class KerasActions(QObject):
    imported = Signal(object, str)   # Design, file name (delivered on the GUI thread)
    failed = Signal(str)

    def __init__(self, window: QWidget, document, controller) -> None:
        super().__init__(window)
        self.window, self.document, self.controller = window, document, controller
        self.busy = False
        self.imported.connect(self._on_imported)
        self.failed.connect(self._on_failed)

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
        self.busy = True
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        self.window.statusBar().showMessage(
            f"Importing {Path(path).name} (loading TensorFlow)\u2026")
        threading.Thread(target=self._import_worker, args=(str(path),), daemon=True,
                         name="keras-import").start()
        return True

    def _import_worker(self, path: str) -> None:
        from cnn_explorer.keras.importer import ImportProblem, import_keras_file  # loads TF

        try:
            design = import_keras_file(path)
        except ImportProblem as exc:
            self.failed.emit(f"{Path(path).name} could not be imported:\n\n{exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a broken file must not kill the thread silently
            self.failed.emit(f"{Path(path).name} could not be imported: {exc}")
            return
        self.imported.emit(design, Path(path).name)

    def _on_imported(self, design, name: str) -> None:
        self._done()
        self.controller.load_design(design, f"Import {name}")
        self.window.statusBar().showMessage(f"Imported {name}: {len(design.graph)} blocks", 5000)

    def _on_failed(self, message: str) -> None:
        self._done()
        QMessageBox.warning(self.window, "Import Keras model", message)

    def _done(self) -> None:
        self.busy = False
        QGuiApplication.restoreOverrideCursor()
        self.window.statusBar().clearMessage()
