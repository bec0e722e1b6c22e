"""The thread that trains: frozen design snapshots in, queued signals out.

It imports TensorFlow on its own thread (the window never waits for it), runs one or more
jobs in turn (the degradation experiment is two), and turns every failure into a message.
Progress reaches the GUI already batched by the run (a few signals a second).
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from cnn_explorer.training.records import EpochRecord, RunControl, RunInfo, RunListener, StepRecord


@dataclass(frozen=True)
class TrainJob:
    """One run: a frozen design, its settings and where its log and checkpoint go."""

    design: object  # cnn_explorer.model.files.Design snapshot
    settings: object  # RunSettings (frozen)
    log: Path | None = None
    checkpoint: Path | None = None
    label: str = ""


class _SignalListener(RunListener):
    """Forwards a run's reports as the worker's signals (queued across threads by Qt)."""

    def __init__(self, worker: "TrainWorker", index: int) -> None:
        self.worker, self.index = worker, index

    def on_status(self, text: str) -> None:
        self.worker.status.emit(text)

    def on_start(self, info: RunInfo) -> None:
        self.worker.run_info.emit(self.index, info)

    def on_steps(self, steps: list[StepRecord]) -> None:
        self.worker.steps.emit(self.index, steps)

    def on_epoch(self, epoch: EpochRecord) -> None:
        self.worker.epoch.emit(self.index, epoch)

    def on_confusion(self, matrix: list[list[int]]) -> None:
        self.worker.confusion.emit(self.index, matrix)


class TrainWorker(QThread):
    """Runs TrainJobs in order; Stop, Pause and Resume are safe to call from the GUI thread."""

    status = Signal(str)
    run_info = Signal(int, object)  # job index, RunInfo
    steps = Signal(int, list)  # job index, [StepRecord] (one batch of a few hundred ms)
    epoch = Signal(int, object)  # job index, EpochRecord
    confusion = Signal(int, list)
    data_ready = Signal(object)  # DataArrays, for the dataset preview
    job_ended = Signal(int, str, str)  # job index, status, message ("" on success)
    all_ended = Signal(str, str)  # status of the whole batch of jobs, message

    def __init__(self, jobs: list[TrainJob], parent=None) -> None:
        super().__init__(parent)
        self.jobs = list(jobs)
        self.control = RunControl()

    def stop(self) -> None:
        self.control.stop()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def run(self) -> None:
        lower_thread_priority()
        status, message = "finished", ""
        try:
            data = self._load_data()
            for index, job in enumerate(self.jobs):
                if self.control.stopped:
                    status = "stopped"
                    break
                status, message = self._run_job(index, job, data)
                if status == "error":
                    break
        except Exception as exc:  # data that will not load: the message says what to do
            status, message = "error", _message(exc)
        self.all_ended.emit(status, message)

    def _load_data(self):
        from cnn_explorer.training.data import load_dataset

        name = self.jobs[0].settings.dataset
        self.status.emit(f"Loading dataset {name}...")
        data = load_dataset(name, status=self.status.emit, fallback_to_sample=True)
        self.data_ready.emit(data)
        return data

    def _run_job(self, index: int, job: TrainJob, data) -> tuple[str, str]:
        from cnn_explorer.training.records import FanOut
        from cnn_explorer.training.run import train_design
        from cnn_explorer.training.runlog import RunLogWriter

        writer = RunLogWriter(job.log) if job.log else None
        listener = FanOut(_SignalListener(self, index), writer)
        try:
            result = train_design(job.design, job.settings, control=self.control,
                                  listener=listener, data=data, checkpoint=job.checkpoint,
                                  label=job.label)
            status, message = result.status, ""
        except Exception as exc:  # NaN, out of memory, a design that will not build...
            status, message = "error", _message(exc)
        if writer:
            writer.on_end(status, message)
        self.job_ended.emit(index, status, message)
        return status, message


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


def _message(exc: Exception) -> str:
    from cnn_explorer.training.records import TrainingError

    if isinstance(exc, TrainingError) or type(exc).__name__ == "DataUnavailableError":
        return str(exc)
    tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return f"Unexpected error: {tail}"


class DataLoader(QThread):
    """Loads a dataset off the GUI thread for the preview (CIFAR may need a download)."""

    loaded = Signal(object)  # DataArrays
    failed = Signal(str)
    status = Signal(str)

    def __init__(self, name: str, parent=None) -> None:
        super().__init__(parent)
        self.name = name

    def run(self) -> None:
        from cnn_explorer.training.data import load_dataset

        try:
            self.loaded.emit(load_dataset(self.name, status=self.status.emit,
                                          fallback_to_sample=True))
        except Exception as exc:
            self.failed.emit(_message(exc))
