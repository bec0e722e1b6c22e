"""The inspector (right dock): the selected block's form, the design's totals and problems,
and the table of every layer. It reads the model and sends edits to the controller only.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.model import format as fmt
from cnn_explorer.model.graph import (
    BlockRemoved,
    GraphEvent,
    ParamChanged,
    Renamed,
    Replaced,
    TrainableChanged,
)
from cnn_explorer.model.inference import Report
from cnn_explorer.model.kinds import kind as lookup_kind
from cnn_explorer.model.settings import RunSettings
from cnn_explorer.model.spec import spec_fields
from cnn_explorer.ui.editing.controller import EditController
from cnn_explorer.ui.editing.document import Document
from cnn_explorer.ui.inspector.layer_table import COLUMNS, LayerTableModel
from cnn_explorer.ui.param_editors import ParamEditor


class BlockForm(QWidget):
    """Name and typed parameter editors of one block; every change is an undo command."""

    def __init__(self, document: Document, controller: EditController, parent=None) -> None:
        super().__init__(parent)
        self.document, self.controller = document, controller
        self.block_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        layout = QVBoxLayout(self)
        self.header = QLabel("Select a block to edit it")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        layout.addLayout(self.form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d62728")
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.name_edit: QLineEdit | None = None
        self.trainable: QCheckBox | None = None
        document.graph_event.connect(self.on_graph_event)

    def show_block(self, block_id: str | None) -> None:
        if block_id == self.block_id:
            return
        self.block_id = block_id
        self._build()

    def _build(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        self.error.clear()
        self.name_edit = self.trainable = None
        graph = self.document.graph
        if self.block_id is None or self.block_id not in graph.block_ids():
            self.block_id = None
            self.header.setText("Select a block to edit it")
            return
        block = graph.block(self.block_id)
        bk = lookup_kind(block.kind)
        self.header.setText(f"<b>{bk.title}</b><br><span style='color:#566573'>{bk.doc}</span>")
        self.name_edit = QLineEdit(block.name)
        self.name_edit.editingFinished.connect(self._rename)
        self.form.addRow("name", self.name_edit)
        self.trainable = QCheckBox("trainable")
        self.trainable.setChecked(block.trainable)
        self.trainable.setToolTip("Unticked: the block is frozen for fine-tuning; training "
                                  "leaves its weights as they are (shown with a lock on its card)")
        self.trainable.toggled.connect(self._set_trainable)
        self.form.addRow("fine-tuning", self.trainable)
        for field in spec_fields(bk.spec):
            name = field["name"]
            editor = ParamEditor(field, lambda v, n=name: self._commit(n, v))
            editor.show(block.params.get(name, field["default"]))
            self.editors[name] = editor
            label = QLabel(name)
            label.setToolTip(field.get("doc") or "")
            self.form.addRow(label, editor.widget)

    def _commit(self, name: str, value) -> None:
        if self.block_id is None:
            return
        reason = self.controller.set_param(self.block_id, name, value)
        self.error.setText(reason or "")
        if reason:  # refused: show the model's value again
            self.editors[name].show(self.document.graph.block(self.block_id).params.get(name))

    def _set_trainable(self, checked: bool) -> None:
        if self.block_id is not None:
            self.controller.set_trainable(self.block_id, checked)

    def _rename(self) -> None:
        if self.block_id is None or self.name_edit is None:
            return
        reason = self.controller.rename(self.block_id, self.name_edit.text().strip())
        self.error.setText(reason or "")
        if reason:
            self.name_edit.setText(self.document.graph.block(self.block_id).name)

    def on_graph_event(self, event: GraphEvent) -> None:
        if self.block_id is None or (event.block_id != self.block_id
                                     and not isinstance(event, Replaced)):
            return
        if isinstance(event, (BlockRemoved, Replaced)):  # another design: its card is gone
            self.block_id = None
            self._build()
        elif isinstance(event, ParamChanged):
            block = self.document.graph.block(self.block_id)
            for name, editor in self.editors.items():
                editor.show(block.params.get(name))
        elif isinstance(event, Renamed) and self.name_edit is not None:
            self.name_edit.setText(self.document.graph.block(self.block_id).name)
        elif isinstance(event, TrainableChanged) and self.trainable is not None:
            self.trainable.blockSignals(True)  # the model's state, not a new edit
            self.trainable.setChecked(event.trainable)
            self.trainable.blockSignals(False)


class Inspector(QWidget):
    """Block form on top; totals, problems and the layer table below, in a splitter."""

    block_activated = Signal(str)  # a problem or a table row was clicked: select its block

    def __init__(self, document: Document, controller: EditController, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.form = BlockForm(document, controller)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        summary = QWidget()
        col = QVBoxLayout(summary)
        col.setContentsMargins(4, 4, 4, 4)
        row = QFormLayout()
        batch_field = next(f for f in spec_fields(RunSettings) if f["name"] == "batch_size")
        self.batch_editor = ParamEditor(batch_field,
                                        lambda v: controller.set_setting("batch_size", v))
        self.batch = self.batch_editor.widget  # the run's batch size: one setting, two views
        self.batch.setToolTip("the run's batch size (also sets the activation-memory estimate)")
        self.batch_editor.show(document.design.settings.batch_size)
        document.settings_changed.connect(self._show_settings)
        row.addRow("batch size", self.batch)
        col.addLayout(row)
        self.totals = QLabel()
        self.totals.setTextInteractionFlags(Qt.TextSelectableByMouse)
        col.addWidget(self.totals)
        col.addWidget(QLabel("Problems"))
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems.itemClicked.connect(self._problem_clicked)
        self.problems.itemActivated.connect(self._problem_clicked)
        col.addWidget(self.problems)
        self.layers = LayerTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.layers)
        self.table.setSelectionBehavior(QTableView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((160, 100, 100, 90)):
            self.table.setColumnWidth(col, width)
        self.table.clicked.connect(self._row_clicked)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(scroll)
        splitter.addWidget(summary)
        splitter.addWidget(self.table)
        splitter.setSizes([330, 200, 330])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        document.report_changed.connect(self.on_report)
        self.on_report(document.report())

    def _show_settings(self) -> None:
        self.batch_editor.show(self.document.design.settings.batch_size)
        self.on_report(self.document.report())

    def on_report(self, report: Report) -> None:
        batch = self.document.design.settings.batch_size
        mem = report.activation_bytes(batch)
        self.totals.setText(
            f"<b>{report.total_params:,}</b> parameters "
            f"({report.trainable_params:,} trainable)<br>"
            f"<b>{fmt.flops(report.flops)}</b> per image<br>"
            f"<b>{fmt.size_bytes(mem)}</b> activations at batch {batch}<br>"
            f"{fmt.design_size(len(report.order), len(report.layers))}")
        self.problems.clear()
        graph = self.document.graph
        for p in report.problems:
            where = graph.block(p.block_id).name if p.block_id in graph.block_ids() else "design"
            item = QListWidgetItem(f"{where}: {p.message}")
            item.setData(Qt.UserRole, p.block_id)
            item.setForeground(Qt.red)
            item.setToolTip(item.text())  # the whole text, however narrow the dock
            self.problems.addItem(item)
        if not report.problems:
            self.problems.addItem(QListWidgetItem("No problems: every shape fits."))
        self.layers.set_report(report)

    def show_layers_of(self, block_id: str) -> None:
        """Scroll the layer table to the block's first layer and select its rows."""
        first = self.layers.row_of_block(block_id)
        if first < 0:
            return
        last = first
        while self.layers.block_at(last + 1) == block_id:
            last += 1
        model = self.table.selectionModel()
        model.clearSelection()
        top, bottom = self.layers.index(first, 0), self.layers.index(last, len(COLUMNS) - 1)
        model.select(QItemSelection(top, bottom), QItemSelectionModel.Select)
        # after a model reset the table lays itself out on the next turn: scroll after that
        QTimer.singleShot(0, lambda: self.table.scrollTo(top, QTableView.PositionAtTop))

    def totals_text(self) -> str:
        return self.totals.text()

    def _problem_clicked(self, item: QListWidgetItem) -> None:
        bid = item.data(Qt.UserRole)
        if bid:
            self.block_activated.emit(bid)

    def _row_clicked(self, index) -> None:
        bid = self.layers.block_at(index.row())
        if bid:
            self.block_activated.emit(bid)
