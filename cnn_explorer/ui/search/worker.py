"""The thread that searches: settings in, one queued signal per candidate out.

It imports TensorFlow and Optuna on its own thread; Stop reaches the running candidate through
its RunControl, so the search ends within one training step.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from cnn_explorer.training.records import RunControl


class _Forward:
    """A SearchListener whose reports become the worker's signals."""

    def __init__(self, worker: "SearchWorker") -> None:
        self.worker = worker

    def on_status(self, text: str) -> None:
        self.worker.status.emit(text)

    def on_candidate_started(self, number: int, choices: dict) -> None:
        self.worker.status.emit(f"Training candidate {number}\u2026")

    def on_candidate(self, record: dict) -> None:
        self.worker.candidate.emit(record)


class SearchWorker(QThread):
    status = Signal(str)
    candidate = Signal(dict)  # one exported record
    ended = Signal(str, str)  # status ("finished", "budget", "stopped", "trials", "error"), message

    def __init__(self, settings, out: Path, scorer=None, parent=None) -> None:
        super().__init__(parent)
        self.settings, self.out, self.scorer = settings, Path(out), scorer
        self.control = RunControl()

    def stop(self) -> None:
        self.control.stop()

    def run(self) -> None:
        from cnn_explorer.training.data import DataUnavailableError
        from cnn_explorer.training.search import SearchError, run_search

        try:
            summary = run_search(self.settings, self.out, control=self.control,
                                 listener=_Forward(self), scorer=self.scorer)
        except (SearchError, DataUnavailableError) as exc:
            self.ended.emit("error", str(exc))
            return
        except Exception as exc:  # never let the thread die silently
            traceback.print_exc()
            self.ended.emit("error", f"The search failed: {type(exc).__name__}: {exc}")
            return
        self.ended.emit(summary.status, f"{len(summary.records)} candidates in {self.out}")
