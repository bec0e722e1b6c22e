"""GUI tests run offscreen, with settings and recovery files in a temp dir, and message boxes
answered by the test instead of waiting for a click."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    folder = tmp_path / "state"
    monkeypatch.setenv("CNN_EXPLORER_STATE_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    """Record every message box; questions get `dialogs.answer` (Discard unless a test says)."""

    class Dialogs:
        answer = QMessageBox.Discard
        shown: list = []

        def question(self, parent, title, text, *args, **kwargs):
            self.shown.append(("question", title, text))
            return self.answer

        def note(self, kind):
            def show(parent, title, text, *args, **kwargs):
                self.shown.append((kind, title, text))
                return QMessageBox.Ok
            return show

    d = Dialogs()
    d.shown = []
    monkeypatch.setattr(QMessageBox, "question", d.question)
    for kind in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, d.note(kind))
    return d


@pytest.fixture(autouse=True)
def clear_clipboard(qapp):
    """PySide6 on the offscreen platform crashes at interpreter exit when the clipboard still
    holds a QMimeData set from Python (xcb does not); tests leave it empty."""
    yield
    qapp.clipboard().clear()


@pytest.fixture
def window(qtbot):
    from cnn_explorer.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    # the training panel docks itself just after the first show and shrinks the canvas: tests
    # start from the settled window, as a user does
    qtbot.waitUntil(lambda: w.training_panel is not None, timeout=10000)
    qtbot.wait(20)
    return w


@pytest.fixture(autouse=True)
def collect_dead_windows():
    """Each test's dead windows are collected on the GUI thread, never by a later test's
    worker thread (a collection there could finalise Qt objects off the GUI thread)."""
    yield
    import gc

    gc.collect()
