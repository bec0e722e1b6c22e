"""The Search tab: choose a space, a strategy and a budget; Start and Stop; a live leaderboard
and a scatter of accuracy against FLOPs with the Pareto front. A row or a point opens that
candidate on the canvas (one undo step), diffs it against the best, or trains it fully.

The panel only observes the study (through the worker's one signal per candidate) and hands
candidates to the window as designs; it edits nothing itself.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.model import format as fmt
from cnn_explorer.model.design_diff import diff_designs
from cnn_explorer.model.errors import DesignError
from cnn_explorer.model.files import Design, design_from_dict
from cnn_explorer.model.search_space import SPACES
from cnn_explorer.ui.search.space_editor import SpaceEditor

if TYPE_CHECKING:  # pragma: no cover
    from cnn_explorer.training.search import SearchSettings
    from cnn_explorer.ui.main_window import MainWindow

COLUMNS = ("#", "accuracy", "FLOPs", "params", "seconds", "choices")
FRONT_COLOUR, POINT_COLOUR, BEST_COLOUR = "#d62728", "#1f77b4", "#2ca02c"


def pareto_front(records: list[dict]) -> list[dict]:
    from cnn_explorer.training.search import pareto_front as front

    return front(records)


class SearchPanel(QWidget):
    open_candidate = Signal(object, str)  # Design, undo text
    train_candidate = Signal(object, str)  # Design, undo text: open it, then train it
    search_ended = Signal(str)  # message

    def __init__(self, parent: QWidget | None = None, scorer=None,
                 out_root: Path | None = None) -> None:
        super().__init__(parent)
        self.scorer = scorer  # tests put a fake proxy here
        self.out_root = out_root
        self.worker = None
        self.records: list[dict] = []
        self._build()

    # ---- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        layout.addLayout(left, 0)
        form = QFormLayout()
        left.addLayout(form)
        self.space = QComboBox()
        self.space.addItems(list(SPACES))
        self.space.setCurrentText("blocks")  # the cheaper candidates
        self.space.setToolTip("blocks: per stage a block kind, width and depth; cells: "
                              "NASNet-style normal and reduction cells")
        self.strategy = QComboBox()
        self.strategy.addItems(["random", "evolution"])
        self.strategy.setToolTip("random: the baseline; evolution: NSGA-II on accuracy and "
                                 "FLOPs together")
        self.budget = QDoubleSpinBox()
        self.budget.setRange(5, 7 * 24 * 3600)
        self.budget.setDecimals(0)
        self.budget.setValue(600)
        self.budget.setSuffix(" s")
        self.trials = QSpinBox()
        self.trials.setRange(0, 100000)
        self.trials.setSpecialValueText("no limit")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2 ** 31 - 1)
        for label, widget in (("Space", self.space), ("Strategy", self.strategy),
                              ("Budget", self.budget), ("Candidates", self.trials),
                              ("Seed", self.seed)):
            form.addRow(label, widget)
        self.space_editor = SpaceEditor()
        form.addRow(self.space_editor)
        self.space_note = QLabel()
        self.space_note.setWordWrap(True)
        form.addRow(self.space_note)
        self.space.currentTextChanged.connect(self._describe_space)
        self.space_editor.changed.connect(lambda: self._describe_space(self.space.currentText()))
        self._describe_space(self.space.currentText())
        row = QHBoxLayout()
        self.start_button = self._button("Start", self.start, "Search in a worker thread; "
                                         "every candidate is trained for a short proxy run")
        self.stop_button = self._button("Stop", self.stop, "Stop within one training step")
        row.addWidget(self.start_button)
        row.addWidget(self.stop_button)
        left.addLayout(row)
        self.status = QLabel("No search yet")
        self.status.setWordWrap(True)
        left.addWidget(self.status)
        row = QHBoxLayout()
        self.open_button = self._button("Open", self.open_selected,
                                        "Open the chosen candidate on the canvas (undoable)")
        self.diff_button = self._button("Diff against best", self.diff_selected,
                                        "Block-level differences from the most accurate")
        self.train_button = self._button("Train fully", self.train_selected,
                                         "Open it and switch to the Training panel")
        for b in (self.open_button, self.diff_button, self.train_button):
            row.addWidget(b)
        left.addLayout(row)
        self.diff_text = QPlainTextEdit()
        self.diff_text.setReadOnly(True)
        self.diff_text.setMaximumBlockCount(200)
        left.addWidget(self.diff_text, 1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellDoubleClicked.connect(lambda *_: self.open_selected())
        layout.addWidget(self.table, 2)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLogMode(x=True)
        self.plot.setLabel("bottom", "FLOPs per image")
        self.plot.setLabel("left", "validation accuracy (proxy)")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.scatter = pg.ScatterPlotItem(size=9, pen=pg.mkPen(None),
                                          brush=pg.mkBrush(POINT_COLOUR))
        self.scatter.sigClicked.connect(self._point_clicked)
        self.front = pg.PlotCurveItem(pen=pg.mkPen(FRONT_COLOUR, width=2))
        self.chosen = pg.ScatterPlotItem(size=15, pen=pg.mkPen(BEST_COLOUR, width=2),
                                         brush=pg.mkBrush(None))
        for item in (self.front, self.scatter, self.chosen):
            self.plot.addItem(item)
        layout.addWidget(self.plot, 2)
        self._set_running(False)

    def _describe_space(self, name: str) -> None:
        """What the space offers: its choices and how many candidates they make."""
        self.space_editor.show_space(name)
        start = getattr(self, "start_button", None)  # None while the panel is being built
        try:
            space = SPACES[name](**self.space_editor.options(name))
        except (ValueError, TypeError, DesignError) as exc:
            self.space_note.setText(f"<span style='color:#d62728'>{exc}</span>")
            if start is not None:
                start.setEnabled(False)
            return
        if start is not None:
            start.setEnabled(self.worker is None)
        self.space_note.setText(f"{space.description}: {len(space.choices)} choices, "
                                f"{space.size:.3g} candidates")
        self.space_note.setToolTip("\n".join(f"{k}: {', '.join(map(str, v))}"
                                             for k, v in space.choices.items()))

    def _button(self, text: str, slot, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda checked=False: slot())
        return button

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for w in (self.space, self.space_editor, self.strategy, self.budget, self.trials,
                  self.seed):
            w.setEnabled(not running)
        has = self.selected_record() is not None
        for b in (self.open_button, self.diff_button, self.train_button):
            b.setEnabled(has)

    # ---- running --------------------------------------------------------------------------
    def settings(self) -> SearchSettings:
        from cnn_explorer.training.search import SearchSettings

        name = self.space.currentText()
        return SearchSettings(space=name, strategy=self.strategy.currentText(),
                              budget_s=float(self.budget.value()), trials=self.trials.value(),
                              seed=self.seed.value(),
                              space_options=self.space_editor.options(name))

    def out_folder(self) -> Path:
        from cnn_explorer.ui.files.recovery import state_dir

        root = self.out_root or state_dir() / "searches"
        return Path(root) / time.strftime("%Y%m%d-%H%M%S")

    def start(self, out: Path | None = None) -> bool:
        """Start a new search (or resume the one in `out`); False if one is running."""
        if self.worker is not None:
            return False
        from cnn_explorer.ui.search.worker import SearchWorker

        self.records = []
        self.table.setRowCount(0)
        self._redraw()
        self.out = Path(out) if out is not None else self.out_folder()
        self.worker = SearchWorker(self.settings(), self.out, self.scorer, self)
        self.worker.status.connect(self.status.setText)
        self.worker.candidate.connect(self.add_record)
        self.worker.ended.connect(self._ended)
        self._set_running(True)
        self.status.setText(f"Searching; the study is in {self.out}")
        self.worker.start()
        return True

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.status.setText("Stopping after this training step\u2026")

    def stop_and_join(self, timeout_s: float = 5.0) -> bool:
        if self.worker is None:
            return True
        self.worker.stop()
        return self.worker.wait(int(timeout_s * 1000))

    def _ended(self, status: str, message: str) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
        text = f"Search {status}: {message}"
        self.status.setText(text)
        self._set_running(False)
        self.search_ended.emit(text)

    # ---- observing ------------------------------------------------------------------------
    def add_record(self, record: dict) -> None:
        """One finished candidate: a leaderboard row and a point."""
        self.records.append(record)
        sorting = self.table.isSortingEnabled()
        self.table.setSortingEnabled(False)
        row = self.table.rowCount()
        self.table.insertRow(row)
        acc = record.get("accuracy")
        cells = (record["number"], acc if acc is not None else -1.0, record["flops"],
                 record["params"], record["seconds"], _choices_text(record["choices"]))
        for col, value in enumerate(cells):
            item = QTableWidgetItem()
            if col == 1 and acc is None:
                item.setData(Qt.DisplayRole, record.get("error") or "failed")
            elif col == 2:
                item.setData(Qt.DisplayRole, fmt.flops(int(value)))
            elif col == 1:
                item.setData(Qt.DisplayRole, round(float(value), 4))
            else:
                item.setData(Qt.DisplayRole, value)
            item.setData(Qt.UserRole, record["number"])
            self.table.setItem(row, col, item)
        self.table.setSortingEnabled(sorting)
        if sorting:
            self.table.sortItems(1, Qt.DescendingOrder)
        self._redraw()

    def _redraw(self) -> None:
        scored = [r for r in self.records if r.get("accuracy") is not None]
        self.scatter.setData([max(1, r["flops"]) for r in scored],
                             [r["accuracy"] for r in scored],
                             data=[r["number"] for r in scored])
        front = pareto_front(self.records)
        self.front.setData([max(1, r["flops"]) for r in front], [r["accuracy"] for r in front])
        self.front_numbers = [r["number"] for r in front]

    def record(self, number: int) -> dict | None:
        return next((r for r in self.records if r["number"] == number), None)

    def best(self) -> dict | None:
        from cnn_explorer.training.search import best_record

        return best_record(self.records)

    def selected_record(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.record(self.table.item(rows[0].row(), 0).data(Qt.UserRole))

    def select(self, number: int) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.UserRole) == number:
                self.table.selectRow(row)
                return True
        return False

    def _selection_changed(self) -> None:
        record = self.selected_record()
        self._set_running(self.worker is not None)
        if record is not None and record.get("accuracy") is not None:
            self.chosen.setData([max(1, record["flops"])], [record["accuracy"]])
        else:
            self.chosen.setData([], [])

    def _point_clicked(self, item, points, *args) -> None:
        if len(points):
            self.select(int(points[0].data()))

    # ---- acting on a candidate ------------------------------------------------------------
    def design_of(self, record: dict) -> Design | None:
        try:
            design = design_from_dict(record["design"])
        except DesignError as exc:
            self.status.setText(f"Cannot open candidate {record['number']}: {exc}")
            return None
        design.title = f"search candidate {record['number']}"
        return design

    def open_selected(self) -> bool:
        record = self.selected_record()
        design = self.design_of(record) if record else None
        if design is None:
            return False
        self.open_candidate.emit(design, f"Open search candidate {record['number']}")
        return True

    def diff_selected(self) -> list[str]:
        record, best = self.selected_record(), self.best()
        if record is None or best is None:
            return []
        if record["number"] == best["number"]:
            lines = ["This is the best candidate."]
        else:
            changed = [f"{k}: {best['choices'].get(k)} -> {v}"
                       for k, v in record["choices"].items() if best["choices"].get(k) != v]
            blocks = diff_designs(self.design_of(record), self.design_of(best))
            lines = ([f"Candidate {record['number']} against the best ({best['number']}):"]
                     + changed + ["", "Blocks (+ only here, - only in the best, ~ changed):"]
                     + (blocks or ["(the same blocks)"]))
        self.diff_text.setPlainText("\n".join(lines))
        return lines

    def train_selected(self) -> bool:
        record = self.selected_record()
        design = self.design_of(record) if record else None
        if design is None:
            return False
        self.train_candidate.emit(design, f"Open search candidate {record['number']} to train")
        return True


def _choices_text(choices: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in choices.items())


def install(window: MainWindow) -> SearchPanel:
    """Put the panel in the window's Search dock and wire it to the edit controller."""
    from PySide6.QtWidgets import QScrollArea

    panel = SearchPanel(window)
    scroll = QScrollArea()  # like the training panel: never taller than the screen allows
    scroll.setWidgetResizable(True)
    scroll.setWidget(panel)
    window.search_dock.setWidget(scroll)
    window.search_panel = panel

    def open_design(design: Design, text: str) -> None:
        window.controller.load_design(design, text)
        window.document.flush()
        window.view.fit_all()

    def train_design(design: Design, text: str) -> None:
        open_design(design, text)
        window.training_dock.show()
        window.training_dock.raise_()
        window.statusBar().showMessage("Candidate opened: choose its run settings and Train",
                                       8000)

    panel.open_candidate.connect(open_design)
    panel.train_candidate.connect(train_design)
    panel.search_ended.connect(lambda m: window.statusBar().showMessage(m, 8000))
    return panel
