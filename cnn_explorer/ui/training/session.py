"""The training session: what runs, what it reported, and whose gradients are on show.

No widgets here (the panel is the view): the session owns the worker jobs, the run histories,
the plain-vs-residual experiment, the progress text, the throttled gradient colouring and the
run files. It checks a design before it trains (problems, class count, a dataset that can be
had) and trains only on the dataset the settings name: when that one cannot be had, it asks
`choose_dataset` (the panel's dialog) for another, and never falls back by itself.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal

from cnn_explorer.model.files import Design
from cnn_explorer.model.graph import Graph
from cnn_explorer.model.settings import RunSettings
from cnn_explorer.training.availability import availability, dataset_classes
from cnn_explorer.training.experiment import (
    STEPS,
    WIDTH,
    ExperimentPlan,
    Throughput,
    gap_report,
    plan_experiment,
)
from cnn_explorer.training.history import RunHistory
from cnn_explorer.training.records import (
    EpochRecord,
    ProgressTracker,
    RunInfo,
    StepRecord,
    block_norms,
)
from cnn_explorer.training.runlog import export_metrics_csv, read_run_log
from cnn_explorer.ui.gradient import GradientColouring
from cnn_explorer.ui.jobs import Job
from cnn_explorer.ui.training.hurdles import Hurdle, blocking, design_classes, hurdle
from cnn_explorer.ui.training.worker import TrainJob, TrainWorker, dataset_job

__all__ = ["Hurdle", "TrainingSession", "blocking", "design_classes", "hurdle", "same_network"]

COLOURS_EVERY_S = 0.2  # the canvas recolours at most 5 times a second


def same_network(a: Graph, b: Graph) -> bool:
    """Whether two graphs are the same network (blocks, parameters, wiring; not positions)."""
    blocks_a = {x.id: (x.kind, dict(x.params)) for x in a.blocks()}
    blocks_b = {x.id: (x.kind, dict(x.params)) for x in b.blocks()}
    wires = {(c.src, c.dst, c.port) for c in a.connections()}
    return blocks_a == blocks_b and wires == {(c.src, c.dst, c.port) for c in b.connections()}


class TrainingSession(QObject):
    """Starts, watches and ends runs; every change reaches the view through a signal."""

    status = Signal(str)  # one line for the status label
    progress = Signal(int, int, str)  # step, total steps, text
    running_changed = Signal(bool)
    paused_changed = Signal(bool)
    histories_reset = Signal(list)  # a new run or an opened log: the plots start over
    history_shown = Signal(object)  # the RunHistory the live plots follow
    experiment_started = Signal()
    run_info = Signal(int, object)
    confusion = Signal(object, list)  # matrix (or None), class names
    data_ready = Signal(object)  # DataArrays for the preview
    colouring = Signal(object)  # GradientColouring, or None when colours are cleared
    dataset_replaced = Signal(str)  # the user chose another dataset: the form must show it
    run_started = Signal()
    run_finished = Signal(str, str)  # status ("finished", "stopped", "error"), message
    findings_changed = Signal(object)  # the RunHistory whose findings changed (shown or not)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs_dir = Path("runs")
        self.worker: TrainWorker | None = None
        self.loader: Job | None = None
        self.jobs: list[TrainJob] = []
        self.histories: list[RunHistory] = []
        self.history: RunHistory | None = None
        self.tracker: ProgressTracker | None = None
        self.last_colouring: GradientColouring | None = None
        self._running = False
        self._last_colour_emit = 0.0
        self.tensorboard = False  # also write TensorBoard events beside each run log
        self.speed = Throughput()  # this machine's training speed, measured by each run
        self.plan: ExperimentPlan | None = None  # the experiment running or last run
        self.experiment_steps = STEPS  # steps each net of the experiment trains
        self._started_at = 0.0
        # Asked when the dataset cannot be had: (name, reason) -> another dataset, or None to
        # cancel. The panel sets its dialog here; without one a run is refused.
        self.choose_dataset: Callable[[str, str], str | None] = lambda name, reason: None

    # --- starting ------------------------------------------------------------------------
    def running(self) -> bool:
        """A run started and has not reported its end (its thread may still be winding down)."""
        return self._running

    def start_training(self, design: Design, settings: RunSettings) -> bool:
        """Train a frozen snapshot of the design with these settings, if it can train."""
        problem = blocking(hurdle(design, settings))
        if problem is not None:
            self.status.emit(f"Cannot start: {problem.message}")
            return False
        settings, asked = self._dataset_to_use(settings)
        if settings is None:
            return False
        problem = blocking(hurdle(design, settings))  # the dataset the user switched to
        if problem is not None:
            self.status.emit(f"Cannot start: {problem.message}")
            return False
        title = design.title or "design"
        return self._start([self._job(design, settings, title, asked)])

    def plan_experiment(self, settings: RunSettings, depth: int, batch_norm: bool,
                        width: int = WIDTH) -> ExperimentPlan:
        """The pair that would train, and how long it will take here (raises on a bad depth)."""
        classes = dataset_classes(settings.dataset) or 10
        return plan_experiment(settings, depth, batch_norm, classes, self.speed, width,
                               self.experiment_steps)

    def start_experiment(self, settings: RunSettings, depth: int, batch_norm: bool,
                         width: int = WIDTH) -> bool:
        """plain-N and residual-N, same depth, data and settings: the degradation problem."""
        settings, asked = self._dataset_to_use(settings)
        if settings is None:
            return False
        try:
            plan = self.plan_experiment(settings, depth, batch_norm, width)
        except Exception as exc:  # a depth the presets refuse: their message says why
            self.status.emit(f"Cannot start the experiment: {exc}")
            return False
        jobs = [self._job(design, plan.settings, label, asked)
                for design, label in zip(plan.designs, plan.labels)]
        self.experiment_started.emit()
        if not self._start(jobs):
            return False
        self.plan, self._started_at = plan, time.monotonic()
        self.status.emit("Experiment: " + plan.describe())
        return True

    def _dataset_to_use(self, settings):
        """(settings to train with, the dataset asked for); (None, ...) when the user cancels."""
        asked = settings.dataset
        found = availability(asked)
        if found:
            return settings, asked
        self.status.emit(f"Dataset {asked} cannot be loaded: {found.how}.")
        other = self.choose_dataset(asked, found.how)
        if not other:
            self.status.emit(f"Not started: {found.how}.")
            return None, asked
        self.dataset_replaced.emit(other)
        return dataclasses.replace(settings, dataset=other), asked

    def _job(self, design, settings, label: str, asked: str) -> TrainJob:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in label)[:40]
        folder = self.runs_dir / f"{stamp}-{safe}"
        return TrainJob(design, settings, folder / "run.jsonl", folder / "run.keras", label,
                        asked, folder / "tensorboard" if self.tensorboard else None)

    def _start(self, jobs: list[TrainJob]) -> bool:
        if self.running():
            return False
        self.jobs, self.plan = jobs, None
        self.histories = [RunHistory() for _ in jobs]
        self.history = self.histories[0]
        self.tracker = None
        self.histories_reset.emit(self.histories)
        self.history_shown.emit(self.history)
        self.findings_changed.emit(self.history)
        self.confusion.emit(None, [])
        self.clear_colours()
        worker = TrainWorker(jobs, self)
        worker.status.connect(self.status)
        worker.run_info.connect(self._on_run_info)
        worker.steps.connect(self._on_steps)
        worker.epoch.connect(self._on_epoch)
        worker.confusion.connect(self._on_confusion)
        worker.findings.connect(self._on_findings)
        worker.data_ready.connect(self.data_ready)
        worker.job_ended.connect(self._on_job_ended)
        worker.all_ended.connect(self._on_all_ended)
        self.worker = worker
        self._running = True
        self.running_changed.emit(True)
        self.progress.emit(0, 1, "starting...")
        worker.start()
        self.run_started.emit()
        return True

    # --- control -------------------------------------------------------------------------
    def toggle_pause(self) -> None:
        if not self.running():
            return
        if self.worker.control.paused:
            self.worker.resume()
        else:
            self.worker.pause()
        self.paused_changed.emit(self.worker.control.paused)

    def stop(self) -> None:
        if self.running():
            self.worker.stop()
            self.status.emit("Stopping after the current batch...")

    def stop_and_join(self, timeout_s: float = 5.0) -> bool:
        """For the window's closeEvent: stop the run and wait for the threads. True if joined."""
        joined = True
        for thread in (self.worker, self.loader):
            if thread is not None and thread.isRunning():
                if thread is self.worker:
                    self.worker.stop()
                joined = thread.wait(int(timeout_s * 1000)) and joined
        return joined

    def reset(self) -> None:
        """Another design opened: its plots and colours start empty (a past run reopens from
        its log). A running run keeps running, but its colours no longer reach the canvas."""
        if self.running():
            self.clear_colours()
            return
        self.histories, self.history, self.jobs = [], None, []
        self.histories_reset.emit([])
        self.findings_changed.emit(None)
        self.confusion.emit(None, [])
        self.clear_colours()

    def clear_colours(self) -> None:
        self.last_colouring = None
        self.colouring.emit(None)

    # --- worker reports (GUI thread) -----------------------------------------------------
    def _on_run_info(self, index: int, info: RunInfo) -> None:
        self.histories[index].on_start(info)
        self.tracker = ProgressTracker(info)
        self.history = self.histories[index]
        self.history_shown.emit(self.history)
        self.run_info.emit(index, info)
        asked = (f" (asked for {info.dataset_asked})"
                 if info.dataset_asked and info.dataset_asked != info.dataset else "")
        self.status.emit(f"Training {info.label or info.design_name} on {info.dataset}{asked}: "
                         f"{info.train_images:,} images, {len(info.layers)} trainable layers. "
                         f"{info.dataset_note}".strip())

    def _on_steps(self, index: int, steps: list[StepRecord]) -> None:
        history = self.histories[index]
        history.on_steps(steps)
        if self.tracker is not None and history.info is not None:
            label = f"{history.info.label}: " if history.info.label else ""
            p = self.tracker.update(steps[-1])
            self.progress.emit(p.step, p.total_steps, label + p.text())
        self._colour(index, history, steps[-1].step)

    def _colour(self, index: int, history: RunHistory, step: int, force: bool = False) -> None:
        now = time.monotonic()
        if history.info is None or (not force and now - self._last_colour_emit < COLOURS_EVERY_S):
            return
        latest = history.latest_grad_norms()
        norms = block_norms(history.info.layers, latest) if len(latest) else {}
        if norms:
            self._last_colour_emit = now
            job = self.jobs[index] if index < len(self.jobs) else None
            self.last_colouring = GradientColouring(
                norms, history.info.label or history.info.design_name, step,
                job.design if job else None)
            self.colouring.emit(self.last_colouring)

    def _on_epoch(self, index: int, epoch: EpochRecord) -> None:
        self.histories[index].on_epoch(epoch)
        val = ("" if epoch.val_accuracy is None else
               f", validation loss {epoch.val_loss:.3f} accuracy {epoch.val_accuracy:.3f}")
        self.status.emit(f"Epoch {epoch.epoch}: loss {epoch.loss:.3f} accuracy "
                         f"{epoch.accuracy:.3f}{val}")

    def _on_confusion(self, index: int, matrix: list) -> None:
        history = self.histories[index]
        history.on_confusion(matrix)
        self.confusion.emit(matrix, history.info.class_names if history.info else [])

    def _on_findings(self, index: int, findings: list) -> None:
        history = self.histories[index]
        history.on_findings(findings)
        self.findings_changed.emit(history)

    def run_design(self, history: RunHistory | None) -> object | None:
        """The design a run trained: its job's snapshot, or for a reopened log the design kept
        beside its checkpoint (`run.design.json`); None when neither can be had."""
        for job, h in zip(self.jobs, self.histories):
            if h is history:
                return job.design
        info = history.info if history is not None else None
        if info is None or not info.checkpoint:
            return None
        from cnn_explorer.model.files import load_design

        try:
            return load_design(Path(info.checkpoint).with_suffix(".design.json"))
        except Exception:  # moved, deleted or damaged: the finding still reads, unlinked
            return None

    def _on_job_ended(self, index: int, status: str, message: str) -> None:
        history = self.histories[index]
        history.on_end(status, message)
        self._measure_speed(index, history)
        if len(history.steps):  # the last colours of the run stay, labelled with its step
            self._colour(index, history, int(history.steps[-1]), force=True)

    def _on_all_ended(self, status: str, message: str) -> None:
        self._running = False
        self.running_changed.emit(False)
        words = {"stopped": "Stopped", "error": "Error"}.get(status, "Finished")
        if status == "error":
            self.status.emit(f"Run ended with an error: {message}")
        elif status == "stopped":
            self.status.emit("Stopped.")
        elif self.plan is not None and len(self.histories) == 2:
            self.status.emit(f"Finished in {time.monotonic() - self._started_at:.0f} s "
                             f"(estimated {self.plan.seconds:.0f} s). "
                             + gap_report(self.histories, self.plan.labels))
        else:
            self.status.emit("Finished." + self._checkpoint_note())
        step, total = self._last_step()
        self.progress.emit(step, total, words + (f" - {message[:80]}" if message else ""))
        self.run_finished.emit(status, message)

    def _measure_speed(self, index: int, history: RunHistory) -> None:
        """A finished run tells how fast this machine trains: the next estimate uses it."""
        job = self.jobs[index] if index < len(self.jobs) else None
        if job is not None and history.info is not None:
            self.speed = self.speed.from_run(job.design.graph.report().flops,
                                             history.info.batch_size, history.seconds)

    def _last_step(self) -> tuple[int, int]:
        h = self.history
        if h is None or h.info is None or not len(h.steps):
            return 0, 1
        return int(h.steps[-1]), max(1, h.info.epochs * h.info.steps_per_epoch)

    def _checkpoint_note(self) -> str:
        info = self.history.info if self.history else None
        return f" Best model: {info.checkpoint}" if info and info.checkpoint else ""

    # --- data and files ------------------------------------------------------------------
    def preview(self, dataset: str) -> bool:
        if self.loader is not None and self.loader.isRunning():
            return False
        self.loader = dataset_job(dataset, self)
        self.loader.done.connect(self.data_ready)
        self.loader.status.connect(self.status)
        self.loader.failed.connect(lambda failure: self.status.emit(failure.message))
        self.loader.start()
        return True

    def open_run_log(self, path: Path) -> RunHistory:
        """Reload a .jsonl run log: the same plots as when it ran."""
        history = read_run_log(Path(path))
        self.histories, self.history, self.jobs = [history], history, []
        self.histories_reset.emit([history])
        self.history_shown.emit(history)
        self.findings_changed.emit(history)
        if history.confusion is not None and history.info is not None:
            self.confusion.emit(history.confusion, history.info.class_names)
        self.status.emit(f"Opened {path}: {len(history.steps)} steps, {len(history.epochs)} "
                         f"epochs, status {history.status or 'unfinished'}.")
        return history

    def export_csv(self, path: Path) -> None:
        if self.history is None or self.history.info is None:
            raise ValueError("no run to export yet")
        export_metrics_csv(self.history, Path(path))
