"""The one way the window does background work: a Job is a QThread that runs `work()` and
reports its result, or a typed JobFailure, through queued signals on the GUI thread.

Subclasses (the training worker) override `work`; one-off jobs (load a dataset, import a Keras
file) pass a function. `expected` names the error types whose message is written for the user
(or is a function that returns them, called on the job's thread, so that naming them never
imports TensorFlow on the GUI thread); anything else is reported as unexpected, with its type,
never as a silent dead thread.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal

Report = Callable[[str], None]
Expected = tuple[type[BaseException], ...] | Callable[[], tuple[type[BaseException], ...]]


@dataclass(frozen=True)
class JobFailure:
    """Why a job ended without a result."""

    error: BaseException
    expected: bool  # one of the job's expected error types: its message is for the user

    @property
    def message(self) -> str:
        if self.expected:
            return str(self.error)
        tail = traceback.format_exception_only(type(self.error), self.error)[-1].strip()
        return f"Unexpected error: {tail}"


def failure_of(exc: BaseException, expected: tuple[type[BaseException], ...]) -> JobFailure:
    return JobFailure(exc, isinstance(exc, expected))


class Job(QThread):
    """Runs `work(report)` off the GUI thread; `done(result)` or `failed(JobFailure)` follows."""

    done = Signal(object)
    failed = Signal(object)  # JobFailure
    status = Signal(str)  # progress text from `report`

    def __init__(self, work: Callable[[Report], Any] | None = None, expected: Expected = (),
                 *, name: str = "job", background: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self.expected = expected
        self.name = name
        self.background = background  # lower this thread's priority (long CPU work)

    def work(self, report: Report) -> Any:
        if self._work is None:
            raise NotImplementedError("a Job needs a function or a work() override")
        return self._work(report)

    def expected_errors(self) -> tuple[type[BaseException], ...]:
        return self.expected() if callable(self.expected) else self.expected

    def start(self, *args: Any) -> None:
        """Collect garbage here, on the GUI thread, first: a collection on the worker could
        finalise the GUI's dead Qt objects off the GUI thread (training freezes the heap
        instead of collecting)."""
        gc.collect()
        super().start(*args)

    def run(self) -> None:
        threading.current_thread().name = self.name  # for tracebacks and tests
        if self.background:
            lower_thread_priority()
        try:
            result = self.work(self.status.emit)
        except Exception as exc:  # every failure becomes a typed report, on the GUI thread
            self.failed.emit(failure_of(exc, self.expected_errors()))
            return
        self.done.emit(result)

    def busy(self) -> bool:
        return self.isRunning()


def lower_thread_priority(niceness: int = 10) -> None:
    """Let the GUI thread win the CPU when training saturates it (Linux: per-thread nice).

    Threads TensorFlow and tf.data create from this thread inherit the niceness, so the
    whole training workload yields to painting; throughput only drops while the GUI is busy.
    """
    if not sys.platform.startswith("linux"):
        return  # elsewhere PRIO_PROCESS takes a process id, not a thread id
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), niceness))
    except OSError:
        pass
