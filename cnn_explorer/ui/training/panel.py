"""The training dock: settings, Train / Pause / Stop, progress, live plots, the experiments.

It never imports TensorFlow (the worker thread does, on first Train), never trains on the GUI
thread, and redraws its plots from one timer at ~25 fps however fast progress arrives.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.training.records import EpochRecord, RateMeter, RunInfo, StepRecord, block_norms
from cnn_explorer.training.runlog import RunHistory, export_metrics_csv, read_run_log
from cnn_explorer.ui.training.form import RunSettingsForm
from cnn_explorer.ui.training.plot_window import PlotSlot
from cnn_explorer.ui.training.plots import GradientLegend, TrainingPlots
from cnn_explorer.ui.training.views import ConfusionMatrixView, DatasetPreview, DegradationPlots
from cnn_explorer.ui.training.worker import DataLoader, TrainJob, TrainWorker

REDRAW_MS = 40  # 25 frames a second at most
BLOCK_NORMS_EVERY_S = 0.2  # the canvas recolours at most 5 times a second


class TrainingPanel(QWidget):
    """Bottom dock of the main window. `get_design()` returns a frozen snapshot of the design."""

    block_gradient_norms = Signal(dict)  # block id -> latest gradient norm; {} when a run ends
    run_started = Signal()
    run_finished = Signal(str)  # message; empty on success

    def __init__(self, get_design: Callable[[], object], parent=None) -> None:
        super().__init__(parent)
        self.get_design = get_design
        self.runs_dir = Path("runs")
        self.worker: TrainWorker | None = None
        self.loader: DataLoader | None = None
        self.histories: list[RunHistory] = []
        self.history: RunHistory | None = None  # the one the live plots show
        self.meter = RateMeter(1)  # images per second over the last few progress batches
        self.redraws = 0  # plot redraws so far (the responsiveness benchmark reads it)
        self._last_block_emit = 0.0
        self._build()
        self.load_settings_from_design()
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    # --- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        self.form = RunSettingsForm()
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(270)
        scroll.setMaximumWidth(330)
        self.train_button = self._button("Train", self.start_training, "Train the current design")
        self.pause_button = self._button("Pause", self.toggle_pause, "Pause or resume")
        self.stop_button = self._button("Stop", self.stop, "Stop after the current batch")
        self.depth = QSpinBox()
        self.depth.setRange(8, 110)
        self.depth.setSingleStep(6)
        self.depth.setValue(20)
        self.depth.setPrefix("depth ")
        self.depth.setToolTip("Depth N of plain-N and residual-N (6n+2: 8, 14, 20, 32, 44, 56)")
        self.batch_norm = QCheckBox("BN")
        self.batch_norm.setChecked(True)
        self.batch_norm.setToolTip("Batch norm in both nets of the experiment (off + sigmoid "
                                   "override shows vanishing gradients)")
        self.degradation_button = self._button(
            "Plain vs residual", self.start_degradation,
            "Train plain-N and residual-N on the same data and settings, overlaid")
        buttons = QHBoxLayout()
        from_design = self._button("From design", self.load_settings_from_design,
                                   "Fill the settings from the design's saved run settings")
        for w in (self.train_button, self.pause_button, self.stop_button, from_design,
                  self.degradation_button, self.depth, self.batch_norm, self._runs_menu()):
            buttons.addWidget(w)
        buttons.addStretch(1)
        self.legend = GradientLegend()
        buttons.addWidget(self.legend)
        self.progress = QProgressBar()
        self.progress.setFormat("idle")
        self.progress.setTextVisible(True)
        self.status = QLabel("Ready. Dataset 'sample' trains offline on 1,800 real CIFAR-10 "
                             "images.")
        # No word wrap: a height-for-width label makes a scroll area size the whole panel to
        # its preferred height; long messages are elided, with the whole text in the tooltip.
        self.status.setMinimumWidth(100)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.plots = TrainingPlots()
        self.degradation = DegradationPlots()
        self.preview = DatasetPreview()
        self.confusion = ConfusionMatrixView()
        self.tabs = QTabWidget()
        for widget, name in ((self.plots, "Live plots"), (self.degradation, "Plain vs residual"),
                             (self.preview, "Dataset"),
                             (PlotSlot(self.confusion, scroll=True), "Confusion matrix")):
            self.tabs.addTab(widget, name)
        right = QVBoxLayout()
        right.addLayout(buttons)
        right.addWidget(self.progress)
        right.addWidget(self.status)
        right.addWidget(self.tabs, 1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(scroll)
        outer.addLayout(right, 1)
        self._set_running(False)

    def _runs_menu(self) -> QToolButton:
        """Less frequent actions in one drop-down, so the dock stays narrow."""
        menu = QMenu(self)
        for text, slot in (("Preview dataset", self.preview_data),
                           ("Open run log...", self.open_run_log_dialog),
                           ("Export plots as PNG...", self.export_png_dialog),
                           ("Export metrics as CSV...", self.export_csv_dialog)):
            menu.addAction(text, slot)
        button = QToolButton()
        button.setText("Data and files")
        button.setMenu(menu)
        button.setPopupMode(QToolButton.InstantPopup)
        return button

    def _button(self, text: str, slot, tip: str = "") -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        button.setToolTip(tip)
        return button

    def load_settings_from_design(self) -> None:
        """Fill the form from the design's saved run settings: at start, on "From design", and
        whenever the window calls it (after opening a file or choosing a preset)."""
        try:
            self.form.set_settings(self.get_design().settings)
        except Exception:  # no design yet: keep the defaults
            pass

    def _set_running(self, running: bool) -> None:
        for w in (self.train_button, self.degradation_button, self.form):
            w.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("Pause")

    # --- actions -------------------------------------------------------------------------
    def start_training(self) -> bool:
        """Train a frozen snapshot of the current design with the form's settings."""
        try:
            design, settings = self.get_design(), self.form.settings()
        except Exception as exc:
            self._show(f"Cannot start: {exc}")
            return False
        title = getattr(design, "title", "") or "design"
        return self._start([self._job(design, settings, title)])

    def start_degradation(self) -> bool:
        """plain-N and residual-N, same depth, data and settings: the degradation problem."""
        from cnn_explorer.model.presets import build_preset

        try:
            settings = self.form.settings()
            classes = 100 if settings.dataset == "cifar100" else 10
            depth = self.depth.value()
            bn = self.batch_norm.isChecked()
            jobs = [self._job(build_preset(name, depth=depth, classes=classes, batch_norm=bn),
                              settings, f"{name.split('-')[0]}-{depth}")
                    for name in ("plain-deep", "residual-deep")]
        except Exception as exc:
            self._show(f"Cannot start the experiment: {exc}")
            return False
        self.tabs.setCurrentWidget(self.degradation)
        return self._start(jobs)

    def _job(self, design, settings, label: str) -> TrainJob:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in label)[:40]
        folder = self.runs_dir / f"{stamp}-{safe}"
        return TrainJob(design, settings, folder / "run.jsonl", folder / "run.keras", label)

    def _start(self, jobs: list[TrainJob]) -> bool:
        if self.worker is not None and self.worker.isRunning():
            return False
        self.histories = [RunHistory() for _ in jobs]
        self.history = self.histories[0]
        self.plots.set_history(self.history)
        self.degradation.set_runs(self.histories if len(jobs) > 1 else [])
        self.confusion.set_matrix(None, [])
        worker = TrainWorker(jobs, self)
        worker.status.connect(self._show)
        worker.run_info.connect(self._on_run_info)
        worker.steps.connect(self._on_steps)
        worker.epoch.connect(self._on_epoch)
        worker.confusion.connect(self._on_confusion)
        worker.data_ready.connect(self.preview.set_data)
        worker.job_ended.connect(self._on_job_ended)
        worker.all_ended.connect(self._on_all_ended)
        self.worker = worker
        self._set_running(True)
        self.progress.setValue(0)
        self.progress.setFormat("starting...")
        worker.start()
        self.run_started.emit()
        return True

    def toggle_pause(self) -> None:
        if self.worker is None:
            return
        if self.worker.control.paused:
            self.worker.resume()
            self.pause_button.setText("Pause")
        else:
            self.worker.pause()
            self.pause_button.setText("Resume")

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self._show("Stopping after the current batch...")

    def stop_and_join(self, timeout_s: float = 5.0) -> bool:
        """For the window's closeEvent: stop the run and wait for the thread. True if joined."""
        self.timer.stop()
        joined = True
        for thread in (self.worker, self.loader):
            if thread is not None and thread.isRunning():
                if thread is self.worker:
                    self.worker.stop()
                joined = thread.wait(int(timeout_s * 1000)) and joined
        return joined

    # --- worker signals (GUI thread) -----------------------------------------------------
    def _on_run_info(self, index: int, info: RunInfo) -> None:
        self.histories[index].on_start(info)
        self.meter = RateMeter(info.batch_size)
        self.history = self.histories[index]
        self.plots.set_history(self.history)
        if len(self.histories) > 1:
            self.degradation.relabel()
        self._show(f"Training {info.label or info.design_name} on {info.dataset}: "
                   f"{info.train_images:,} images, {len(info.layers)} trainable layers. "
                   f"{info.dataset_note}".strip())

    def _on_steps(self, index: int, steps: list[StepRecord]) -> None:
        history = self.histories[index]
        history.on_steps(steps)
        self._update_progress(history, steps[-1])
        self._emit_block_norms(history)

    def _on_epoch(self, index: int, epoch: EpochRecord) -> None:
        self.histories[index].on_epoch(epoch)
        val = ("" if epoch.val_accuracy is None else
               f", validation loss {epoch.val_loss:.3f} accuracy {epoch.val_accuracy:.3f}")
        self._show(f"Epoch {epoch.epoch}: loss {epoch.loss:.3f} accuracy {epoch.accuracy:.3f}"
                   f"{val}")

    def _on_confusion(self, index: int, matrix: list) -> None:
        history = self.histories[index]
        history.on_confusion(matrix)
        self.confusion.set_matrix(matrix, history.info.class_names if history.info else [])

    def _on_job_ended(self, index: int, status: str, message: str) -> None:
        self.histories[index].on_end(status, message)

    def _on_all_ended(self, status: str, message: str) -> None:
        self._set_running(False)
        self.block_gradient_norms.emit({})
        self.progress.setFormat(f"{status}" + (f" - {message[:80]}" if message else ""))
        if status == "error":
            self._show(f"Run ended with an error: {message}")
        elif status == "stopped":
            self._show("Stopped.")
        else:
            self._show("Finished." + self._checkpoint_note())
        self.plots.redraw_all()
        self.degradation.redraw()
        self.run_finished.emit(message if status == "error" else "")

    def _checkpoint_note(self) -> str:
        info = self.history.info if self.history else None
        return f" Best model: {info.checkpoint}" if info and info.checkpoint else ""

    def _update_progress(self, history: RunHistory, last: StepRecord) -> None:
        info = history.info
        if info is None:
            return
        total = info.epochs * info.steps_per_epoch
        in_epoch = last.step - (last.epoch - 1) * info.steps_per_epoch
        self.meter.update(last.step, last.seconds)
        rate, eta = self.meter.images_per_second, self.meter.eta(total - last.step)
        self.progress.setMaximum(total)
        self.progress.setValue(last.step)
        label = f"{info.label}: " if info.label else ""
        self.progress.setFormat(f"{label}epoch {last.epoch}/{info.epochs} - step {in_epoch}/"
                                f"{info.steps_per_epoch} - {rate:,.0f} img/s - ETA "
                                f"{'...' if eta is None else f'{eta:,.0f} s'}")

    def _emit_block_norms(self, history: RunHistory) -> None:
        now = time.monotonic()
        if now - self._last_block_emit < BLOCK_NORMS_EVERY_S or history.info is None:
            return
        latest = history.latest_grad_norms()
        norms = block_norms(history.info.layers, latest) if len(latest) else {}
        if norms:
            self._last_block_emit = now
            positive = [v for v in norms.values() if v > 0]
            if positive:
                self.legend.set_range(min(positive), max(positive))
            self.block_gradient_norms.emit(norms)

    # --- drawing and files ---------------------------------------------------------------
    def redraw(self) -> None:
        drawn = self.plots.redraw()
        drawn = self.degradation.redraw() or drawn
        self.redraws += bool(drawn)

    def _show(self, text: str) -> None:
        """One status line; the full text (errors can be long) is in the tooltip."""
        self.status.setToolTip(text)
        metrics = self.status.fontMetrics()
        self.status.setText(metrics.elidedText(text, Qt.ElideRight, max(200, self.status.width())))

    def preview_data(self) -> None:
        if self.loader is not None and self.loader.isRunning():
            return
        self.loader = DataLoader(self.form.settings().dataset, self)
        self.loader.loaded.connect(self.preview.set_data)
        self.loader.status.connect(self._show)
        self.loader.failed.connect(self._show)
        self.loader.start()
        self.tabs.setCurrentWidget(self.preview)

    def open_run_log(self, path: Path) -> RunHistory:
        """Reload a .jsonl run log and show the same plots as when it ran."""
        history = read_run_log(Path(path))
        self.histories, self.history = [history], history
        self.plots.set_history(history)
        if history.confusion is not None and history.info is not None:
            self.confusion.set_matrix(history.confusion, history.info.class_names)
        self._show(f"Opened {path}: {len(history.steps)} steps, {len(history.epochs)} epochs, "
                   f"status {history.status or 'unfinished'}.")
        return history

    def open_run_log_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open run log", str(self.runs_dir),
                                              "Run logs (*.jsonl)")
        if path:
            try:
                self.open_run_log(Path(path))
            except (OSError, ValueError) as exc:
                self._show(f"Cannot open {path}: {exc}")

    def export_png(self, path: Path) -> None:
        self.tabs.currentWidget().grab().save(str(path))

    def export_csv(self, path: Path) -> None:
        if self.history is None or self.history.info is None:
            raise ValueError("no run to export yet")
        export_metrics_csv(self.history, Path(path))

    def export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "plots.png", "PNG (*.png)")
        if path:
            self.export_png(Path(path))

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export metrics", "metrics.csv",
                                              "CSV (*.csv)")
        if path:
            try:
                self.export_csv(Path(path))
            except (OSError, ValueError) as exc:
                self._show(f"Cannot export: {exc}")
