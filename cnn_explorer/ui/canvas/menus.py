"""Right-click menus: on a card (rename, delete, duplicate, expand, wrap, add SE after it) and
on empty canvas (add a block here, paste here, fit view, tidy layout).

Every edit goes through the edit controller as one undo step; expand/collapse and fit view
only change the view. The window gives the menus its paste; nothing here holds design state.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QPointF
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from cnn_explorer.model.kinds import KINDS, PALETTE_HIDDEN
from cnn_explorer.model.layout import CARD_HEIGHT, CARD_WIDTH
from cnn_explorer.ui.canvas.items import BlockCard
from cnn_explorer.ui.editing import card_edits


class CanvasMenus(QObject):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.scene, self.view = window.scene, window.view
        self.controller = window.controller

    def card_at(self, scene_pos: QPointF) -> BlockCard | None:
        for item in self.scene.items(scene_pos):
            while item is not None and not isinstance(item, BlockCard):
                item = item.parentItem()
            if item is not None:
                return item
        return None

    def show(self, scene_pos: QPointF, global_pos: QPoint) -> None:
        """The context menu for what is under the mouse."""
        card = self.card_at(scene_pos)
        if card is not None:
            if not card.isSelected():
                self.scene.select_block(card.block_id, centre=False)
            menu = self.card_menu(card.block_id)
        else:
            menu = self.canvas_menu(scene_pos)
        self.popup(menu, global_pos)

    def popup(self, menu: QMenu, global_pos: QPoint) -> None:
        """Run the menu (tests replace this to pick an entry as a user would)."""
        menu.exec(global_pos)

    # ---- on a card ------------------------------------------------------------------------
    def card_menu(self, block_id: str) -> QMenu:
        graph, c = self.controller.graph, self.controller
        menu = QMenu(self.view)
        menu.addAction("Rename\u2026", lambda: self.rename(block_id))
        menu.addAction("Duplicate", lambda: card_edits.duplicate(c, block_id))
        menu.addAction("Delete", lambda: self.delete(block_id))
        if self.scene.cards[block_id].composite:
            text = "Collapse" if block_id in self.scene.expanded else "Expand (show its layers)"
            menu.addAction(text, lambda: self.scene.toggle_expanded(block_id))
        menu.addSeparator()
        wrap = menu.addAction("Wrap in residual block (add its input back)",
                              lambda: card_edits.wrap_in_residual(c, block_id))
        wrap.setEnabled(0 in graph.incoming(block_id))
        menu.addAction("Add squeeze-excitation after it",
                            lambda: card_edits.insert_after(c, "squeeze_excite", block_id))
        return menu

    def rename(self, block_id: str) -> None:
        old = self.controller.graph.block(block_id).name
        name, ok = QInputDialog.getText(self.view, "Rename block", "New name:", text=old)
        if ok and name.strip():
            self.controller.rename(block_id, name.strip())

    def delete(self, block_id: str) -> None:
        if block_id in self.scene.selected_block_ids():
            self.scene.delete_selection()  # the whole selection, as the Delete key does
        else:
            self.controller.remove_blocks([block_id])

    # ---- on empty canvas --------------------------------------------------------------------
    def canvas_menu(self, scene_pos: QPointF) -> QMenu:
        menu = QMenu(self.view)
        add = menu.addMenu("Add block here")
        for category in ("Layers", "Blocks"):
            sub = add.addMenu(category)
            for name, bk in KINDS.items():
                if bk.category == category and name not in PALETTE_HIDDEN:
                    sub.addAction(bk.title, lambda n=name: self.add_here(n, scene_pos))
        paste = menu.addAction("Paste here", lambda: self.window.paste(at=scene_pos))
        paste.setEnabled(self.window.can_paste())
        menu.addSeparator()
        menu.addAction("Fit view", self.view.fit_all)
        menu.addAction("Tidy layout", self.controller.auto_layout)
        return menu

    def add_here(self, kind: str, scene_pos: QPointF) -> str | None:
        at = self.scene.free_place((scene_pos.x() - CARD_WIDTH / 2,
                                    scene_pos.y() - CARD_HEIGHT / 2))
        bid = self.controller.add_block(kind, at)
        if bid is not None:
            self.scene.select_block(bid, centre=False)
        return bid
