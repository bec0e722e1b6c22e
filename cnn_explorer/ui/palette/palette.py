"""The block palette (left dock): Layers, Blocks and Presets, with icons, tooltips and a filter.

Entries are dragged onto the canvas with a real QDrag carrying the block kind (or preset name)
as mime data; a double-click asks to add the block after the selected one (or load the preset).
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnn_explorer.model.kinds import KINDS, PALETTE_HIDDEN
from cnn_explorer.model.presets import PRESETS
from cnn_explorer.ui.icons import family, family_icon
from cnn_explorer.ui.mime import KIND_MIME, PRESET_MIME

ROLE_MIME = Qt.UserRole
ROLE_VALUE = Qt.UserRole + 1


def palette_mime(mime_type: str, value: str) -> QMimeData:
    """What a palette drag carries (tests build the same to simulate a drop)."""
    data = QMimeData()
    data.setData(mime_type, value.encode())
    data.setText(value)
    return data


class PaletteTree(QTreeWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragOnly)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setIndentation(12)

    def mimeTypes(self) -> list[str]:
        return [KIND_MIME, PRESET_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData | None:
        """What dragging `items` carries: the block kind or preset name, as mime data."""
        items = [i for i in items if i.data(0, ROLE_MIME) is not None]
        if not items:
            return None
        return palette_mime(items[0].data(0, ROLE_MIME), items[0].data(0, ROLE_VALUE))

    def startDrag(self, actions: Qt.DropAction) -> None:
        item = self.currentItem()
        mime = self.mimeData([item]) if item is not None else None
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(item.icon(0).pixmap(28, 28))
        drag.exec(Qt.CopyAction)


class Palette(QWidget):
    add_requested = Signal(str)     # block kind: add after the selected block
    preset_requested = Signal(str)  # preset name

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter blocks and presets\u2026")
        self.filter.setClearButtonEnabled(True)
        self.tree = PaletteTree()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.categories: dict[str, QTreeWidgetItem] = {}
        self._fill()
        self.filter.textChanged.connect(self.apply_filter)
        self.tree.itemDoubleClicked.connect(self._activated)

    def _category(self, name: str) -> QTreeWidgetItem:
        if name not in self.categories:
            item = QTreeWidgetItem(self.tree, [name])
            item.setFlags(Qt.ItemIsEnabled)
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            item.setExpanded(True)
            self.categories[name] = item
        return self.categories[name]

    def _fill(self) -> None:
        for bk in KINDS.values():
            if bk.name in PALETTE_HIDDEN:
                continue
            item = QTreeWidgetItem(self._category(bk.category), [bk.title])
            item.setIcon(0, family_icon(family(bk.name, bk.composite)))
            item.setToolTip(0, f"<b>{bk.title}</b><br>{bk.doc}")
            item.setData(0, ROLE_MIME, KIND_MIME)
            item.setData(0, ROLE_VALUE, bk.name)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        for preset in PRESETS.values():
            item = QTreeWidgetItem(self._category("Presets"), [preset.name])
            item.setIcon(0, family_icon("preset"))
            item.setToolTip(0, f"<b>{preset.name}</b><br>{preset.description}")
            item.setData(0, ROLE_MIME, PRESET_MIME)
            item.setData(0, ROLE_VALUE, preset.name)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)

    def entries(self) -> list[QTreeWidgetItem]:
        return [cat.child(i) for cat in self.categories.values() for i in range(cat.childCount())]

    def entry(self, value: str) -> QTreeWidgetItem:
        return next(e for e in self.entries() if e.data(0, ROLE_VALUE) == value)

    def apply_filter(self, text: str) -> None:
        """Match the title, the kind id or the tooltip sentence (so 'skip' finds Add)."""
        needle = text.strip().lower()
        for cat in self.categories.values():
            shown = 0
            for i in range(cat.childCount()):
                item = cat.child(i)
                hay = " ".join([item.text(0), str(item.data(0, ROLE_VALUE)),
                                item.toolTip(0)]).lower()
                hide = bool(needle) and needle not in hay
                item.setHidden(hide)
                shown += not hide
            cat.setHidden(shown == 0)

    def _activated(self, item: QTreeWidgetItem, column: int = 0) -> None:
        mime = item.data(0, ROLE_MIME)
        if mime == KIND_MIME:
            self.add_requested.emit(item.data(0, ROLE_VALUE))
        elif mime == PRESET_MIME:
            self.preset_requested.emit(item.data(0, ROLE_VALUE))
