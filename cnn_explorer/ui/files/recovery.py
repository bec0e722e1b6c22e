"""Crash recovery.

The current design is written every few seconds (only when it changed) to a recovery file in
the state folder (app_state.py); a clean close deletes it, so a recovery file found at start-up
means the last session ended without closing: the window offers it back.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from cnn_explorer.model.errors import DesignFileError
from cnn_explorer.model.files import Design, design_from_dict, design_to_dict, write_text_atomic
from cnn_explorer.ui.files.app_state import state_dir

AUTOSAVE_MS = 5000


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (then its recovery file is not a crash's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class RecoveryStore(QObject):
    """Autosaves a document to `recovery-<pid>.json` on a timer; reads one back after a crash.

    One file per running process, so two open windows never overwrite each other's recovery
    and a second instance does not mistake the first one's live file for a crash.
    """

    failed = Signal(str)  # an autosave could not be written (said once until one succeeds)

    def __init__(self, document, folder: Path | None = None, interval_ms: int = AUTOSAVE_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.folder = folder or state_dir()
        self.path = self.folder / f"recovery-{os.getpid()}.json"
        self.found: Path | None = None  # the crashed session's file that `pending` returned
        self._saved_at_index: int | None = None
        self.last_error: str | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave)

    def start(self) -> None:
        self._saved_at_index = self.document.undo_stack.index()
        self.timer.start()

    def autosave(self) -> bool:
        """Write the design if it changed since the last autosave; True if written."""
        stack = self.document.undo_stack
        if stack.isClean():
            self.discard()
            self._saved_at_index = stack.index()
            return False
        if stack.index() == self._saved_at_index and self.path.exists():
            return False
        data = {"saved_at": time.time(),
                "source_path": str(self.document.path) if self.document.path else None,
                "design": design_to_dict(self.document.design)}
        try:
            write_text_atomic(self.path, json.dumps(data))
        except OSError as exc:  # a full disk must not break editing; say it once
            message = f"Autosave to {self.path.parent} failed: {exc.strerror or exc}"
            if message != self.last_error:
                self.failed.emit(message)
            self.last_error = message
            return False
        self.last_error = None
        self._saved_at_index = stack.index()
        return True

    def pending(self) -> dict | None:
        """The newest recovery data left by a process that is gone (it did not close cleanly)."""
        files = sorted(self.folder.glob("recovery-*.json"), key=_mtime, reverse=True)
        for path in files:
            pid = path.stem.removeprefix("recovery-")
            if path == self.path or not pid.isdigit() or pid_alive(int(pid)):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
            self.found = path
            if isinstance(data, dict) and "design" in data:
                return data
            self.discard_found()  # unreadable: nothing to offer
        return None

    def discard_found(self) -> None:
        """Forget the crashed session's file once it was recovered or declined."""
        if self.found is not None:
            _unlink(self.found)
            self.found = None

    @staticmethod
    def design_of(data: dict) -> Design:
        try:
            return design_from_dict(data["design"])
        except (DesignFileError, KeyError, TypeError) as exc:
            raise DesignFileError(f"the recovery file is damaged: {exc}") from None

    def discard(self) -> None:
        _unlink(self.path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
