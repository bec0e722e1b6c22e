"""The training dock (a view): settings, Train / Pause / Stop, progress, live plots, the experiment.

What runs and what it reported lives in the TrainingSession (`self.session`); this widget lays
it out and turns clicks into session calls. It never imports TensorFlow (the worker thread
does, on first Train) and redraws its plots from one timer at ~25 fps however fast progress
arrives. Train is enabled only while the design can train; the first reason why not is in its
tooltip and the status line, with a button to show the block (and a fix when there is one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.training.history import RunHistory
from cnn_explorer.ui.gradient import GradientLegend
from cnn_explorer.ui.training.diagnosis_view import DiagnosisView
from cnn_explorer.ui.training.form import RunSettingsForm
from cnn_explorer.ui.training.plot_window import PlotSlot
from cnn_explorer.ui.training.plots import TrainingPlots
from cnn_explorer.ui.training.session import Hurdle, TrainingSession, hurdle
from cnn_explorer.ui.training.views import ConfusionMatrixView, DatasetPreview, DegradationPlots

REDRAW_MS = 40  # 25 frames a second at most: each draws the latest data of the plots in view
TRAIN_TIP = "Train the current design"


class TrainingPanel(QWidget):
    """Bottom dock of the main window. `get_design()` returns a frozen snapshot of the design
    (what trains); `get_live()`, the open design itself, whose cached report the checks read
    after every edit (a snapshot would infer its shapes again)."""

    block_requested = Signal(str)  # "Show block": the window selects it on the canvas
    fix_requested = Signal(str, str, object)  # block id, parameter, value (an undoable edit)
    feature_maps_requested = Signal()  # the window shows the selected block's feature maps

    def __init__(self, get_design: Callable[[], object],
                 get_live: Callable[[], object] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.get_design = get_design
        self.get_live = get_live or get_design
        self.session = TrainingSession(self)
        self.session.choose_dataset = self.ask_for_dataset
        self.hurdle: Hurdle | None = None
        self.redraws = 0  # plot redraws so far (the responsiveness benchmark reads it)
        self._build()
        self._wire()
        self.load_settings_from_design()
        self.estimate_experiment()
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
        self.train_button = self._button("Train", self.start_training, TRAIN_TIP)
        self.pause_button = self._button("Pause", self.session.toggle_pause, "Pause or resume")
        self.stop_button = self._button("Stop", self.session.stop, "Stop after the current batch")
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
        self.degradation_button = self._button("Plain vs residual", self.start_degradation)
        buttons = QHBoxLayout()
        for w in (self.train_button, self.pause_button, self.stop_button,
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
        self.show_block_button = self._button("Show block", self._show_hurdle_block,
                                              "Select the block with the problem")
        self.fix_button = self._button("Fix", self._fix_hurdle, "Apply the suggested fix")
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.show_block_button)
        status_row.addWidget(self.fix_button)
        self.plots = TrainingPlots()
        self.degradation = DegradationPlots()
        self.preview = DatasetPreview()
        self.confusion = ConfusionMatrixView()
        self.diagnosis = DiagnosisView()
        self._fixed = False  # a fix went in since the last run started: "train again" may run
        self.tabs = QTabWidget()
        for widget, name in ((self.plots, "Live plots"), (self.diagnosis, "Diagnosis"),
                             (self.degradation, "Plain vs residual"),
                             (self.preview, "Dataset"),
                             (PlotSlot(self.confusion, scroll=True), "Confusion matrix")):
            self.tabs.addTab(widget, name)
        right = QVBoxLayout()
        right.addLayout(buttons)
        right.addWidget(self.progress)
        right.addLayout(status_row)
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
                           ("Export metrics as CSV...", self.export_csv_dialog),
                           ("Feature maps of the selected block...",
                            self.feature_maps_requested.emit)):
            menu.addAction(text, slot)
        self.tensorboard_action = menu.addAction("Write TensorBoard events")
        self.tensorboard_action.setCheckable(True)
        self.tensorboard_action.setToolTip("Also write each run as TensorBoard event files, in "
                                           "a 'tensorboard' folder beside its run log")
        self.tensorboard_action.toggled.connect(
            lambda on: setattr(self.session, "tensorboard", on))
        button = QToolButton()
        button.setText("Data and files")
        button.setMenu(menu)
        button.setPopupMode(QToolButton.InstantPopup)
        return button

    def _button(self, text: str, slot, tip: str = "") -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda checked=False: slot())
        button.setToolTip(tip)
        return button

    def _wire(self) -> None:
        s = self.session
        s.status.connect(self._show)
        s.progress.connect(self._set_progress)
        s.running_changed.connect(self._set_running)
        s.paused_changed.connect(lambda p: self.pause_button.setText("Resume" if p else "Pause"))
        s.histories_reset.connect(self._reset_plots)
        s.history_shown.connect(self.plots.set_history)
        s.run_info.connect(lambda i, info: self.degradation.relabel()
                           if len(s.histories) > 1 else None)
        s.confusion.connect(self.confusion.set_matrix)
        s.data_ready.connect(self.preview.set_data)
        s.colouring.connect(self.legend.show_colouring)
        s.experiment_started.connect(lambda: self.tabs.setCurrentWidget(self.degradation))
        s.dataset_replaced.connect(lambda name: self.form.replace(dataset=name))
        s.run_finished.connect(self._on_finished)
        s.history_shown.connect(self._show_findings)
        s.findings_changed.connect(self._findings_changed)
        s.run_started.connect(self._fix_tried)
        self.diagnosis.train_again.connect(self.train_again)
        self.diagnosis.blocks_selected.connect(self.plots.emphasise)
        self.diagnosis.reference_cleared.connect(lambda: self.set_reference(None))
        self.form.dataset.currentTextChanged.connect(lambda _text: self.check_design())
        self.depth.valueChanged.connect(lambda _v: self.estimate_experiment())
        self.batch_norm.toggled.connect(lambda _on: self.estimate_experiment())
        s.run_finished.connect(lambda *_a: self.estimate_experiment())  # measured speed

    # --- state ---------------------------------------------------------------------------
    def load_settings_from_design(self) -> None:
        """Fill the form from the design's run settings: at start, and
        whenever the window calls it (after opening a file or choosing a preset)."""
        try:
            self.form.set_settings(self.get_design().settings)
        except Exception:  # no design yet: keep the defaults
            pass
        self.check_design()

    def check_design(self) -> Hurdle | None:
        """Enable Train only when the design can train on the form's settings (the window
        calls this after every edit); the first reason why not goes in the tooltip."""
        try:
            found = hurdle(self.get_live(), self.form.settings())
        except Exception as exc:  # settings the form cannot make: say so, do not train
            found = Hurdle(f"Check the settings: {exc}")
        changed = found != self.hurdle
        self.hurdle = found
        self._set_running(self.session.running())
        if found is not None and changed:
            self._show(found.message)
        elif found is None and changed:
            self._show("Ready to train.")
        return found

    def _set_running(self, running: bool) -> None:
        found = self.hurdle
        blocked = found is not None and found.blocks_training
        self.train_button.setEnabled(not running and not blocked)
        self.train_button.setToolTip(found.message if found is not None else TRAIN_TIP)
        for w in (self.degradation_button, self.form):
            w.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("Pause")
        self.diagnosis.set_can_train_again(not running and self._fixed and not blocked,
                                           self.diagnosis.fix_note.toolTip())
        self.show_block_button.setVisible(bool(found is not None and found.block_id))
        self.fix_button.setVisible(bool(found is not None and found.fix))
        if found is not None and found.fix:
            self.fix_button.setText(found.fix_text)

    def _show_hurdle_block(self) -> None:
        if self.hurdle is not None and self.hurdle.block_id:
            self.block_requested.emit(self.hurdle.block_id)

    def _fix_hurdle(self) -> None:
        if self.hurdle is not None and self.hurdle.fix:
            self.fix_requested.emit(*self.hurdle.fix)

    # --- actions -------------------------------------------------------------------------
    def start_training(self) -> bool:
        """Train a frozen snapshot of the current design with the form's settings."""
        try:
            design, settings = self.get_design(), self.form.settings()
        except Exception as exc:
            self._show(f"Cannot start: {exc}")
            return False
        return self.session.start_training(design, settings)

    def train_again(self) -> bool:
        """Train the design as it is now (after a fix), the last run dashed in the plots."""
        earlier = self.session.history
        if not self.start_training():
            return False
        if earlier is not None and len(earlier.steps):
            self.set_reference(earlier)
        self.tabs.setCurrentWidget(self.plots)
        return True

    def set_reference(self, history: RunHistory | None) -> None:
        self.plots.set_reference(history)
        self.diagnosis.set_reference_shown(history is not None)

    def fix_applied(self, text: str) -> None:
        """The window applied a diagnosis fix: offer to train again and compare."""
        self._fixed = True
        self.diagnosis.set_can_train_again(not self.session.running(), f"Applied: {text}")

    def _fix_tried(self) -> None:
        """A run started: the fixes so far are in it, "train again" waits for the next one."""
        self._fixed = False
        self.diagnosis.set_can_train_again(False, "")

    def start_degradation(self) -> bool:
        try:
            settings = self.form.settings()
        except Exception as exc:
            self._show(f"Cannot start the experiment: {exc}")
            return False
        return self.session.start_experiment(settings, self.depth.value(),
                                             self.batch_norm.isChecked())

    def estimate_experiment(self) -> str:
        """Say on the experiment's button, before it starts, how long it will take here."""
        try:
            plan = self.session.plan_experiment(self.form.settings(), self.depth.value(),
                                                self.batch_norm.isChecked())
        except Exception as exc:  # a depth the presets refuse: the tooltip says why
            text, label = f"Cannot run the experiment at this depth: {exc}", "Plain vs residual"
        else:
            text, label = plan.describe(), f"Plain vs residual (~{plan.seconds:.0f} s)"
        self.degradation_button.setText(label)
        self.degradation_button.setToolTip("Train plain-N and residual-N on the same data, "
                                           "overlaid: " + text)
        return text

    def ask_for_dataset(self, name: str, reason: str) -> str | None:
        """The chosen dataset cannot be had: offer the bundled sample or a local file."""
        box = QMessageBox(QMessageBox.Warning, "Dataset not available",
                          f"Dataset {name} cannot be loaded: {reason}.\n\nTrain on the bundled "
                          "sample (1,800 real CIFAR-10 images) or on a local file instead?",
                          QMessageBox.No, self)
        sample = box.addButton("Use the sample", QMessageBox.AcceptRole)
        local = box.addButton("Choose a file...", QMessageBox.ActionRole)
        box.setDefaultButton(sample)
        box.exec()
        clicked = box.clickedButton()
        if clicked is sample:
            return "sample"
        if clicked is local:
            path, _ = QFileDialog.getOpenFileName(
                self, "Dataset file", "", "Datasets (*.npz *.tar.gz);;All files (*)")
            return path or None
        return None

    def stop_and_join(self, timeout_s: float = 5.0) -> bool:
        """For the window's closeEvent: stop the run and wait for the thread. True if joined."""
        self.timer.stop()
        return self.session.stop_and_join(timeout_s)

    # --- session reports -----------------------------------------------------------------
    def _reset_plots(self, histories: list) -> None:
        self.degradation.set_runs(histories if len(histories) > 1 else [])
        self.plots.set_history(histories[0] if histories else RunHistory())  # empty plots

    def _set_progress(self, step: int, total: int, text: str) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(step)
        self.progress.setFormat(text)

    def _show_findings(self, history: RunHistory | None) -> None:
        self.diagnosis.show_findings(history)
        count = len(history.findings) if history is not None else 0
        self.tabs.setTabText(self.tabs.indexOf(self.diagnosis),
                             f"Diagnosis ({count})" if count else "Diagnosis")

    def _findings_changed(self, history: RunHistory | None) -> None:
        if history is None or history is self.session.history:
            self._show_findings(history)

    def _on_finished(self, status: str, message: str) -> None:
        self.check_design()
        self.plots.redraw_all()
        self.degradation.redraw(force=True)

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
        if self.session.preview(self.form.settings().dataset):
            self.tabs.setCurrentWidget(self.preview)

    def open_run_log_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open run log", str(self.session.runs_dir),
                                              "Run logs (*.jsonl)")
        if path:
            try:
                self.session.open_run_log(Path(path))
            except (OSError, ValueError) as exc:
                self._show(f"Cannot open {path}: {exc}")

    def export_png(self, path: Path) -> None:
        self.tabs.currentWidget().grab().save(str(path))

    def export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "plots.png", "PNG (*.png)")
        if path:
            self.export_png(Path(path))

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export metrics", "metrics.csv",
                                              "CSV (*.csv)")
        if path:
            try:
                self.session.export_csv(Path(path))
            except (OSError, ValueError) as exc:
                self._show(f"Cannot export: {exc}")
