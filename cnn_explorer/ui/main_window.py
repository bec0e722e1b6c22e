"""The main window: palette (left), canvas (centre), inspector (right), training (bottom).

It wires views to the document and controller and owns the menus; it holds no design state of
its own (the title and modified marker come from the document and its undo stack)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea, QWidget

from cnn_explorer.model.errors import DesignFileError
from cnn_explorer.model.files import Design
from cnn_explorer.model.presets import PRESETS, build_preset
from cnn_explorer.ui.canvas.menus import CanvasMenus
from cnn_explorer.ui.canvas.scene import CanvasScene
from cnn_explorer.ui.canvas.view import CanvasView
from cnn_explorer.ui.editing.controller import EditController
from cnn_explorer.ui.editing.document import Document
from cnn_explorer.ui.files.actions import FileActions, adopt
from cnn_explorer.ui.files.app_state import app_settings
from cnn_explorer.ui.files.keras_actions import KerasActions
from cnn_explorer.ui.files.recovery import RecoveryStore
from cnn_explorer.ui.icons import app_icon
from cnn_explorer.ui.inspector.inspector import Inspector
from cnn_explorer.ui.mime import CLIPBOARD_MIME
from cnn_explorer.ui.palette.palette import Palette
from cnn_explorer.ui.palette.preset_dialog import PresetDialog
from cnn_explorer.ui.screen_fit import fit_to_screen

START_PRESET = "plain-cnn"
START_CLASSES = 10  # the default dataset's (the bundled sample, CIFAR-10 classes)
PANEL_DELAY_MS = 30


class MainWindow(QMainWindow):
    def __init__(self, path: str | Path | None = None, offer_recovery: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowIcon(app_icon())
        area = fit_to_screen(self, QSize(1560, 960))  # never larger than the screen
        self.document = Document(self)
        self.controller = EditController(self.document, self)
        self.scene = CanvasScene(self.document, self.controller, self)
        self.view = CanvasView(self.scene)
        self.setCentralWidget(self.view)
        self.palette = Palette()
        self.inspector = Inspector(self.document, self.controller)
        self.files = FileActions(self, self.document)
        self.keras = KerasActions(self, self.document, self.controller)
        self.recovery = RecoveryStore(self.document, parent=self)
        self.training_panel = None
        self.run_link = None  # wires the training panel to the design once it is built
        self.menus = CanvasMenus(self)
        self.tour = None
        self._paste_count = 0
        self._fitted = False  # the first show fits the design and brings the training panel
        self._dock("Blocks", self.palette, Qt.LeftDockWidgetArea, 230)
        self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea,
                   min(500, int(area.width() * 0.3)))
        self.training_dock = self._dock("Training", QLabel("  Loading the training panel\u2026"),
                                        Qt.BottomDockWidgetArea, 300)
        self.resizeDocks([self.training_dock], [min(340, int(area.height() * 0.42))],
                         Qt.Vertical)
        self.search_dock = self._dock("Search", QLabel("  Architecture search"),
                                      Qt.BottomDockWidgetArea, 300)
        self.tabifyDockWidget(self.training_dock, self.search_dock)
        self.training_dock.raise_()
        self.search_panel = None  # built when the Search tab first shows
        self.search_dock.visibilityChanged.connect(
            lambda visible: visible and self.search_panel is None and self.show_search())
        self._build_menus()
        self._wire()
        self.zoom_label = QLabel()
        self.statusBar().addPermanentWidget(self.zoom_label)
        self._restore_layout()
        self._start(path, offer_recovery)

    # ---- construction ---------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area, width: int) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.resizeDocks([dock], [width], Qt.Horizontal)
        return dock

    def add_training_panel(self) -> bool:
        """The training panel, built just after the window first shows (it brings pyqtgraph and
        numpy, a second of imports), then wired to the open design (RunLink)."""
        if self.training_panel is not None:
            return True
        from cnn_explorer.ui.run_link import RunLink
        from cnn_explorer.ui.training.panel import TrainingPanel

        panel = self.training_panel = TrainingPanel(self.document.snapshot,
                                                    lambda: self.document.design, self)
        scroll = QScrollArea()  # the panel may ask for more height than the canvas can spare
        scroll.setWidgetResizable(True)
        scroll.setWidget(panel)
        self.training_dock.setWidget(scroll)
        panel.form.bind(self.document, self.controller)  # the design owns its run settings
        self.run_link = RunLink(self, panel)
        return True

    def clear_gradient_colours(self) -> None:
        if self.run_link is not None:
            self.run_link.clear_colours()
        self.scene.show_colouring(None)

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda checked=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self._action(f, "&New", self.files.new, QKeySequence.New)
        self._action(f, "&Open\u2026", self.files.open, QKeySequence.Open)
        self.recent_menu = f.addMenu("Open &Recent")
        self._action(f, "&Save", self.files.save, QKeySequence.Save)
        self._action(f, "Save &As\u2026", self.files.save_as, "Ctrl+Shift+S")
        f.addSeparator()
        self.keras.add_to_menu(f, self._action)  # Import Keras model, Open checkpoint
        self._action(f, "&Export Python\u2026", self.keras.export_python,
                     tip="Write Keras source that rebuilds this model")
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.Quit)
        e = bar.addMenu("&Edit")
        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        e.addSeparator()
        self._action(e, "Cu&t", self.cut, QKeySequence.Cut)
        self._action(e, "&Copy", self.copy, QKeySequence.Copy)
        self._action(e, "&Paste", self.paste, QKeySequence.Paste)
        self.delete_action = self._action(e, "&Delete", self.scene.delete_selection,
                                          QKeySequence.Delete)
        self._action(e, "Select &All", self.select_all, QKeySequence.SelectAll)
        e.addSeparator()
        self._action(e, "Auto &Layout", self.controller.auto_layout, "Ctrl+L")
        self._action(e, "Compound &Scale\u2026", self.scale_design,
                     tip="Scale width, depth and resolution together by phi (EfficientNet)")
        self._action(e, "Architecture Searc&h\u2026", self.show_search,
                     tip="Search cells or blocks for accurate, cheap designs (Search tab)")
        v = bar.addMenu("&View")
        self._action(v, "&Fit Design", self.view.fit_all, "Ctrl+0")
        self._action(v, "Zoom &In", lambda: self.view.scale(1.25, 1.25), QKeySequence.ZoomIn)
        self._action(v, "Zoom &Out", lambda: self.view.scale(0.8, 0.8), QKeySequence.ZoomOut)
        self._action(v, "&Expand/Collapse Block", self.toggle_selected, "E",
                     tip="Show a composite block's layers on its card (or double-click it)")
        self._action(v, "Clear &Gradient Colours", self.clear_gradient_colours)
        v.addSeparator()
        for dock in self.findChildren(QDockWidget):
            v.addAction(dock.toggleViewAction())
        p = bar.addMenu("&Presets")
        for name, preset in PRESETS.items():
            action = self._action(p, name, lambda n=name: self.choose_preset(n))
            action.setStatusTip(preset.description)
        h = bar.addMenu("&Help")
        self._action(h, "Quick &tour\u2026", self.show_tour, QKeySequence.HelpContents,
                     tip="A few pages: palette, canvas, connecting, problems, training")
        self._action(h, "&About", lambda: QMessageBox.about(
            self, "CNN Explorer", "Design convolutional networks on a canvas, see every shape "
            "and parameter count, train on CIFAR and watch the gradients."))
        self._fill_recent()

    def _wire(self) -> None:
        stack = self.document.undo_stack
        stack.cleanChanged.connect(self._update_title)
        self.document.file_changed.connect(self._update_title)
        self.controller.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.scene.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.scene.selectionChanged.connect(self._selection_changed)
        self.inspector.block_activated.connect(lambda b: self.scene.select_block(b, True))
        self.palette.add_requested.connect(self.add_after_selection)
        self.palette.preset_requested.connect(self.choose_preset)
        self.files.recent_changed.connect(self._fill_recent)
        self.recovery.failed.connect(lambda m: self.statusBar().showMessage(m, 15000))
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.view.context_menu.connect(self.menus.show)
        self.view.preset_dropped.connect(lambda name: self.choose_preset(name, ask_knobs=False))
        self.document.design_opened.connect(self._fit_opened)

    def _start(self, path, offer_recovery: bool) -> None:
        path = path if path is not None else self.files.last_design()  # relaunch: where we were
        if path is None or not self.files.open(path):
            adopt(self.document, starter_design(), None)
        self.document.flush()
        if offer_recovery:
            self.offer_recovery()
        self.recovery.start()
        self._update_title()
        self.statusBar().showMessage("New here? Help \u25b8 Quick tour (F1) shows the way round; "
                                     "right-click a card or the canvas for what you can do.",
                                     20000)

    # ---- behaviour ------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """After a crash: offer the autosaved design back (it opens modified, unsaved)."""
        data = self.recovery.pending()
        if data is None:
            return False
        answer = QMessageBox.question(
            self, "Recover design?", "CNN Explorer did not close properly last time. Recover "
            "the design you were editing?", QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        if answer != QMessageBox.Yes:
            self.recovery.discard_found()
            return False
        try:
            design = self.recovery.design_of(data)
        except DesignFileError as exc:
            self.files.error("Cannot recover", str(exc))
            self.recovery.discard_found()
            return False
        source = data.get("source_path")
        adopt(self.document, design, Path(source) if source else None)
        self.document.undo_stack.resetClean()  # recovered work is not saved anywhere yet
        self.document.flush()
        self.recovery.discard_found()  # it is this session's now, autosaved under its own name
        self.recovery.autosave()
        return True

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] \u2014 CNN Explorer")
        self.setWindowModified(not self.document.undo_stack.isClean())

    def _selection_changed(self) -> None:
        ids = self.scene.selected_block_ids()
        self.inspector.form.show_block(ids[0] if len(ids) == 1 else None)
        if len(ids) == 1:
            self.inspector.show_layers_of(ids[0])

    def add_after_selection(self, kind: str) -> None:
        ids = self.scene.selected_block_ids()
        bid = self.controller.add_after(kind, ids[-1] if ids else None)
        if bid is not None:
            self.scene.select_block(bid, centre=True)

    def choose_preset(self, name: str, ask_knobs: bool = True) -> None:
        """A preset starts an untitled design (undoable); unsaved work is offered a save first."""
        if not self.files.maybe_save():
            return
        params: dict = {}
        if ask_knobs and PresetDialog.has_knobs(name):
            dialog = PresetDialog(name, self)
            if dialog.exec() != PresetDialog.Accepted:
                return
            params = dialog.params()
        self.controller.load_preset(name, **params)
        self.document.flush()
        self.view.fit_all()

    def show_tour(self) -> None:
        """Help > Quick tour: a few pages, reopenable any time (it starts at page one)."""
        from cnn_explorer.ui.tour import Tour
        if self.tour is None:
            self.tour = Tour(self)
        self.tour.restart()
        self.tour.show()
        self.tour.raise_()

    def _fit_opened(self) -> None:
        """Another design came in: show all of it (editing itself never moves the view)."""
        self.document.flush()
        self.view.fit_all()

    def scale_design(self) -> bool:
        """Compound-scale the open design (one undo step); False when cancelled."""
        from cnn_explorer.ui.scaling.dialog import ScaleDialog

        dialog = ScaleDialog(self.document.design, self)
        if dialog.exec() != ScaleDialog.Accepted or dialog.scaled is None:
            return False
        phi = dialog.scaling().phi
        self.controller.edit_design(dialog.scaled, f"Scale by phi = {phi:g}")
        return True

    def show_search(self) -> None:
        """The Search tab, built on first use (it brings pyqtgraph and the search's code)."""
        if self.search_panel is None:
            from cnn_explorer.ui.search.panel import install

            install(self)
        self.search_dock.show()
        self.search_dock.raise_()

    def toggle_selected(self) -> None:
        for bid in self.scene.selected_block_ids():
            self.scene.toggle_expanded(bid)

    def select_all(self) -> None:
        for card in self.scene.cards.values():
            card.setSelected(True)

    def copy(self) -> bool:
        ids = self.scene.selected_block_ids()
        if not ids:
            return False
        mime = QMimeData()
        text = self.controller.copy_blocks(ids)
        mime.setData(CLIPBOARD_MIME, text.encode())
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self._paste_count = 0
        return True

    def cut(self) -> None:
        if self.copy():
            self.scene.delete_selection()

    def can_paste(self) -> bool:
        mime = QGuiApplication.clipboard().mimeData()
        return mime is not None and mime.hasFormat(CLIPBOARD_MIME)

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste the copied blocks shifted a little more each time, or with their top-left
        card at `at` (the canvas menu's Paste here)."""
        mime = QGuiApplication.clipboard().mimeData()
        if not self.can_paste():
            self.statusBar().showMessage("Nothing to paste: copy some blocks first", 5000)
            return []
        text = bytes(mime.data(CLIPBOARD_MIME)).decode()
        self._paste_count += 1
        shift = (40.0 * self._paste_count,) * 2
        if at is not None:
            corner = self.controller.top_left_of(text)
            shift = (at.x() - corner[0], at.y() - corner[1]) if corner else (0.0, 0.0)
        ids = self.controller.paste_blocks(text, shift)
        self.scene.clearSelection()
        for bid in ids:
            self.scene.cards[bid].setSelected(True)
        return ids

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.files.recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(self.files.recent()))

    def _open_recent(self, path: str) -> None:
        if self.files.maybe_save():
            self.files.open(path)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            self.view.fit_all()
            QTimer.singleShot(PANEL_DELAY_MS, self.add_training_panel)  # after the first paint

    def _restore_layout(self) -> None:
        """Window size and dock arrangement as the user left them."""
        settings = app_settings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        fit_to_screen(self)  # a layout saved on a larger screen still fits this one

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        self.files.remember_last()
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        if self.search_panel is not None:
            self.search_panel.stop_and_join(5.0)
        if self.training_panel is not None:
            self.training_panel.stop_and_join(5.0)
        self.recovery.timer.stop()
        self.recovery.discard()
        event.accept()


def starter_design() -> Design:
    """The design a new window opens with: the notes' starter CNN, with a head that fits the
    default dataset, so the first Train works offline on what the form shows."""
    design = build_preset(START_PRESET, classes=START_CLASSES)
    design.title = START_PRESET
    return design
