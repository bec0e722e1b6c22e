"""The search space, editable: which block kinds, widths and depths a block-level search may
pick, or how many blocks a cell has, how many cells a stage stacks and their filters.

It only produces the options `model.search_space.search_space(name, **options)` takes; the
panel shows how many candidates they make and refuses options the space refuses.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QWidget,
)

from cnn_explorer.model.search_space import BLOCK_KINDS, DEPTHS, WIDTHS


class SpaceEditor(QStackedWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        blocks = QWidget()
        form = QFormLayout(blocks)
        form.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.kinds = {}
        for kind in BLOCK_KINDS:
            box = QCheckBox(kind.replace("_", "-"))
            box.setChecked(True)
            box.toggled.connect(self.changed)
            self.kinds[kind] = box
            row.addWidget(box)
        form.addRow("Kinds", row)
        self.widths = self._numbers(WIDTHS, "widths a stage may have, e.g. 16, 32")
        self.depths = self._numbers(DEPTHS, "blocks a stage may stack, e.g. 1, 2")
        form.addRow("Widths", self.widths)
        form.addRow("Depths", self.depths)
        cells = QWidget()
        form = QFormLayout(cells)
        form.setContentsMargins(0, 0, 0, 0)
        self.cell_blocks = self._spin(3, 1, 5, "blocks in each cell (B)")
        self.cells_per_stage = self._spin(1, 1, 4, "normal cells stacked per stage (N)")
        self.filters = self._spin(8, 4, 64, "filters of the first stage's cells")
        form.addRow("Blocks per cell", self.cell_blocks)
        form.addRow("Cells per stage", self.cells_per_stage)
        form.addRow("Filters", self.filters)
        self.pages = {"blocks": self.addWidget(blocks), "cells": self.addWidget(cells)}

    def _numbers(self, values: tuple, tip: str) -> QLineEdit:
        edit = QLineEdit(", ".join(map(str, values)))
        edit.setToolTip(tip)
        edit.editingFinished.connect(self.changed)
        return edit

    def _spin(self, value: int, low: int, high: int, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setValue(value)
        box.setToolTip(tip)
        box.valueChanged.connect(self.changed)
        return box

    def show_space(self, name: str) -> None:
        self.setCurrentIndex(self.pages.get(name, 0))

    def options(self, name: str) -> dict:
        """The options for `search_space(name, ...)`; ValueError names a field it cannot read."""
        if name == "cells":
            return {"blocks": self.cell_blocks.value(),
                    "cells_per_stage": self.cells_per_stage.value(),
                    "filters": self.filters.value()}
        return {"kinds": tuple(k for k, box in self.kinds.items() if box.isChecked()),
                "widths": _ints(self.widths.text(), "widths"),
                "depths": _ints(self.depths.text(), "depths")}


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.replace(",", " ").split())
    except ValueError:
        raise ValueError(f"{what}: whole numbers separated by commas") from None
    if not values:
        raise ValueError(f"{what}: give at least one")
    return values
