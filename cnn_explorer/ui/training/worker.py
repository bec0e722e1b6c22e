"""The thread that trains: frozen design snapshots in, queued signals out.

A Job (cnn_explorer.ui.jobs) that imports TensorFlow on its own thread (the window never waits
for it), runs one or more jobs in turn (the degradation experiment is two), and turns every
failure into a message. Progress reaches the GUI already batched by the run (a few signals a
second). It trains on the dataset the jobs name and no other: a dataset that cannot be had
ends the run with the reason (the session asks the user before it gets that far).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from cnn_explorer.training.records import EpochRecord, RunControl, RunInfo, RunListener, StepRecord
from cnn_explorer.ui.jobs import Job, Report, failure_of


@dataclass(frozen=True)
class TrainJob:
    """One run: a frozen design, its settings and where its log and checkpoint go."""

    design: object  # cnn_explorer.model.files.Design snapshot
    settings: object  # RunSettings (frozen)
    log: Path | None = None
    checkpoint: Path | None = None
    label: str = ""
    dataset_asked: str = ""  # the form's dataset before the user agreed to another one
    tensorboard: Path | None = None  # a folder for TensorBoard event files, or None


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

    def on_findings(self, findings: list[dict]) -> None:
        self.worker.findings.emit(self.index, findings)


class _Asked(RunListener):
    """Adds what the form asked for to the run info, so the log records asked and used."""

    def __init__(self, inner: RunListener, asked: str) -> None:
        self.inner, self.asked = inner, asked

    def on_status(self, text: str) -> None:
        self.inner.on_status(text)

    def on_start(self, info: RunInfo) -> None:
        self.inner.on_start(dataclasses.replace(info, dataset_asked=self.asked))

    def on_steps(self, steps: list[StepRecord]) -> None:
        self.inner.on_steps(steps)

    def on_epoch(self, epoch: EpochRecord) -> None:
        self.inner.on_epoch(epoch)

    def on_confusion(self, matrix: list[list[int]]) -> None:
        self.inner.on_confusion(matrix)

    def on_findings(self, findings: list[dict]) -> None:
        self.inner.on_findings(findings)


def expected_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is written for the user (imported lazily: no TensorFlow here)."""
    from cnn_explorer.training.data import DataUnavailableError
    from cnn_explorer.training.records import TrainingError

    return (TrainingError, DataUnavailableError)


class TrainWorker(Job):
    """Runs TrainJobs in order; Stop, Pause and Resume are safe to call from the GUI thread."""

    run_info = Signal(int, object)  # job index, RunInfo
    steps = Signal(int, list)  # job index, [StepRecord] (one batch of a few hundred ms)
    epoch = Signal(int, object)  # job index, EpochRecord
    confusion = Signal(int, list)
    findings = Signal(int, list)  # job index, [diagnosis.Finding dicts], when they change
    data_ready = Signal(object)  # DataArrays, for the dataset preview
    job_ended = Signal(int, str, str)  # job index, status, message ("" on success)
    all_ended = Signal(str, str)  # status of the whole batch of jobs, message

    def __init__(self, jobs: list[TrainJob], parent=None) -> None:
        super().__init__(expected=expected_errors, name="training", background=True,
                         parent=parent)
        self.jobs = list(jobs)
        self.control = RunControl()

    def stop(self) -> None:
        self.control.stop()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def work(self, report: Report) -> tuple[str, str]:
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
            if self.control.stopped and status != "error":
                status = "stopped"
        except Exception as exc:  # data that will not load: the message says what to do
            status, message = "error", failure_of(exc, self.expected_errors()).message
        self.all_ended.emit(status, message)
        return status, message

    def _load_data(self):
        from cnn_explorer.training.data import load_dataset

        name = self.jobs[0].settings.dataset
        self.status.emit(f"Loading dataset {name}...")
        data = load_dataset(name, status=self.status.emit)
        self.data_ready.emit(data)
        return data

    def _run_job(self, index: int, job: TrainJob, data) -> tuple[str, str]:
        from cnn_explorer.training.records import FanOut
        from cnn_explorer.training.run import train_design
        from cnn_explorer.training.runlog import RunLogWriter

        writer = RunLogWriter(job.log) if job.log else None
        board = None
        if job.tensorboard is not None:
            from cnn_explorer.training.tensorboard import TensorBoardWriter

            board = TensorBoardWriter(job.tensorboard)
        listener = _Asked(FanOut(_SignalListener(self, index), writer, board),
                          job.dataset_asked or job.settings.dataset)
        try:
            result = train_design(job.design, job.settings, control=self.control,
                                  listener=listener, data=data, checkpoint=job.checkpoint,
                                  label=job.label)
            status, message = result.status, ""
        except Exception as exc:  # NaN, out of memory, a design that will not build...
            status, message = "error", failure_of(exc, self.expected_errors()).message
        for done in (writer, board):
            if done is not None:
                done.on_end(status, message)
        self.job_ended.emit(index, status, message)
        return status, message


def dataset_job(name: str, parent: QObject | None = None) -> Job:
    """Loads a dataset off the GUI thread for the preview (CIFAR may need a download)."""
    from cnn_explorer.training.data import load_dataset

    return Job(lambda report: load_dataset(name, status=report), expected_errors,
               name="dataset-preview", parent=parent)
