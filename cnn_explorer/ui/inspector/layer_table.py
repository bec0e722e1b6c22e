"""Every primitive layer of the design with its output shape, parameters and FLOPs.

A QAbstractTableModel over `report.layers`: a reset per report costs nothing per row, and the
view asks only for the rows it shows, so a DenseNet's 350 layers stay instant.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from cnn_explorer.model import format as fmt
from cnn_explorer.model.inference import Report

COLUMNS = ("Layer", "Kind", "Output shape", "Params", "FLOPs")


class LayerTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._layers: list = []
        self._block_of: dict[str, str] = {}
        self._problem_blocks: set[str] = set()

    def set_report(self, report: Report) -> None:
        self.beginResetModel()
        self._layers = report.layers
        self._block_of = report.block_of_layer()
        self._problem_blocks = {p.block_id for p in report.problems}
        self.endResetModel()

    def block_at(self, row: int) -> str | None:
        if 0 <= row < len(self._layers):
            return self._block_of.get(self._layers[row].name)
        return None

    def row_of_block(self, block_id: str) -> int:
        for row, layer in enumerate(self._layers):
            if self._block_of.get(layer.name) == block_id:
                return row
        return -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._layers)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.DisplayRole) -> str | None:
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.DisplayRole) -> object:
        if not index.isValid():
            return None
        layer = self._layers[index.row()]
        col = index.column()
        if role == Qt.DisplayRole:
            if col == 0:
                return layer.name
            if col == 1:
                return layer.kind
            if col == 2:
                return fmt.tensor_shape(layer.output_shape)
            if col == 3:
                return f"{layer.trainable + layer.non_trainable:,}"
            return fmt.short(layer.flops)
        if role == Qt.TextAlignmentRole and col >= 3:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ToolTipRole and col == 3:
            return f"trainable {layer.trainable:,}, non-trainable {layer.non_trainable:,}"
        if role == Qt.ForegroundRole and self._block_of.get(layer.name) in self._problem_blocks:
            return QColor("#d62728")
        return None
