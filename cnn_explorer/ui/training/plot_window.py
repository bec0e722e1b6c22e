"""Any plot can be enlarged into its own window and exported as PNG and CSV.

A `PlotSlot` holds one plot (or the confusion matrix) where the panel lays it out. Enlarge
moves the very same widget into a `PlotWindow`, so a live plot keeps updating there; closing
the window puts it back. `PlotGrid` lays slots out at a readable size: as many columns as fit,
and a scroll bar rather than plots squeezed flat.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

READABLE_W, READABLE_H = 270, 180  # a plot smaller than this cannot be read


def plot_title(widget: QWidget) -> str:
    titles = getattr(widget, "titles", None)
    return titles[0] if titles else (widget.accessibleName() or "Plot")


def export_png(widget: QWidget, path: Path) -> None:
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")


def export_csv(widget: QWidget, path: Path) -> None:
    """The numbers behind a plot: `data_rows()` of an ExplorerPlot or the confusion matrix."""
    rows = widget.data_rows() if hasattr(widget, "data_rows") else None
    if rows is None:
        raise ValueError("this view has no data to export")
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def export_both(widget: QWidget, path: Path) -> tuple[Path, Path]:
    """Write `<stem>.png` and `<stem>.csv` next to each other; returns both paths."""
    png, table = Path(path).with_suffix(".png"), Path(path).with_suffix(".csv")
    export_png(widget, png)
    export_csv(widget, table)
    return png, table


class PlotWindow(QWidget):
    """A plot on its own, sized to the screen; closing it returns the plot to its slot."""

    closed = Signal()

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.Window)
        self.setWindowTitle(f"{plot_title(widget)} \u2014 CNN Explorer")
        self.setAttribute(Qt.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(widget)
        self.widget = widget
        screen = (parent.screen() if parent is not None else None) or \
            QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        self.resize(min(1000, int(area.width() * 0.8)), min(700, int(area.height() * 0.8)))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.closed.emit()
        super().closeEvent(event)


class PlotSlot(QWidget):
    """Where a plot lives in the panel; it offers Enlarge and Export on the plot itself."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None,
                 scroll: bool = False) -> None:
        super().__init__(parent)
        self.widget = widget
        self.window_: PlotWindow | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.scroll: QScrollArea | None = None
        if scroll:  # a view with a readable minimum size scrolls in a short dock
            self.scroll = QScrollArea()
            self.scroll.setWidgetResizable(True)
            self.scroll.setFrameShape(QScrollArea.NoFrame)
            self.scroll.setWidget(widget)
            layout.addWidget(self.scroll)
        else:
            layout.addWidget(widget)
        self.placeholder = QWidget()
        hold = QVBoxLayout(self.placeholder)
        note = QLabel(f"{plot_title(widget)}: shown in its own window")
        note.setWordWrap(True)
        note.setAlignment(Qt.AlignCenter)
        hold.addWidget(note)
        back = QPushButton("Bring it back here")
        back.clicked.connect(self.restore)
        hold.addWidget(back, 0, Qt.AlignCenter)
        self.placeholder.hide()
        layout.addWidget(self.placeholder)
        self._install_actions()

    def _install_actions(self) -> None:
        enlarge = QAction("Open in its own window", self.widget)
        enlarge.triggered.connect(self.enlarge)
        export = QAction("Export PNG and CSV\u2026", self.widget)
        export.triggered.connect(self.export_dialog)
        self.actions_ = (enlarge, export)
        if isinstance(self.widget, pg.PlotWidget):
            menu = self.widget.getPlotItem().getViewBox().menu
            menu.addSeparator()
            menu.addAction(enlarge)
            menu.addAction(export)
            self.widget.scene().sigMouseClicked.connect(self._clicked)
        else:
            self.widget.setContextMenuPolicy(Qt.ActionsContextMenu)
            self.widget.addAction(enlarge)
            self.widget.addAction(export)
            self._filter = _DoubleClick(self.enlarge, self.widget)
            self.widget.installEventFilter(self._filter)

    def _clicked(self, event) -> None:
        if event.double() and event.button() == Qt.LeftButton:
            self.enlarge()

    def enlarge(self) -> PlotWindow:
        """Move the plot into its own window (or raise the window it is already in)."""
        if self.window_ is None:
            if self.scroll is not None:
                self.scroll.takeWidget()
            self.window_ = PlotWindow(self.widget, self.window())
            self.window_.closed.connect(self.restore)
            self.placeholder.show()
            self.widget.show()
            self.window_.show()
        self.window_.raise_()
        self.window_.activateWindow()
        return self.window_

    def restore(self) -> None:
        if self.window_ is None:
            return
        window, self.window_ = self.window_, None
        if self.scroll is not None:
            self.scroll.setWidget(self.widget)
        else:
            self.layout().insertWidget(0, self.widget)
        self.widget.show()
        self.placeholder.hide()
        window.close()

    def export_dialog(self) -> None:
        stem = "".join(c if c.isalnum() else "_" for c in plot_title(self.widget).lower())
        path, _ = QFileDialog.getSaveFileName(self, "Export plot (PNG and CSV)",
                                              f"{stem.strip('_')[:40]}.png", "PNG (*.png)")
        if not path:
            return
        try:
            png, table = export_both(self.widget, Path(path))
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Cannot export", f"The plot was not exported: {exc}")
            return
        QMessageBox.information(self, "Exported", f"Wrote {png.name} and {table.name} in "
                                f"{png.parent}.")


class _DoubleClick(QObject):
    def __init__(self, callback, parent: QObject) -> None:
        super().__init__(parent)
        self.callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.MouseButtonDblClick:
            self.callback()
            return True
        return False


class PlotGrid(QScrollArea):
    """Slots in rows of as many readable columns as the width allows; rows share the height
    and never shrink below READABLE_H (a scroll bar appears instead)."""

    def __init__(self, slots: list[PlotSlot], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slots = slots
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.grid = QGridLayout(self.inner)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        self.setWidget(self.inner)
        self.columns = 0
        self.arrange(3)

    def arrange(self, columns: int) -> None:
        columns = max(1, min(columns, len(self.slots)))
        if columns == self.columns:
            return
        self.columns = columns
        for slot in self.slots:
            self.grid.removeWidget(slot)
        for col in range(len(self.slots)):
            self.grid.setColumnStretch(col, 1 if col < columns else 0)
        rows = math.ceil(len(self.slots) / columns)
        for k, slot in enumerate(self.slots):
            r, c = divmod(k, columns)
            span = columns - c if k == len(self.slots) - 1 else 1  # the last fills its row
            self.grid.addWidget(slot, r, c, 1, span)
        for r in range(len(self.slots)):  # rows left over from more rows stretch no more
            self.grid.setRowStretch(r, 1 if r < rows else 0)
        self.inner.setMinimumHeight(rows * READABLE_H + (rows - 1) * self.grid.spacing())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.arrange(max(1, self.viewport().width() // READABLE_W))
