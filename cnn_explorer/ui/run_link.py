"""Wires the training panel to the open design, both ways, so that what the canvas shows of a
run is true: its gradient colours only on the network that produced them, plots that start
over when another design opens, Train enabled only while the design can train, the problem's
block one click away, and a status bar that says how the run ended."""

from __future__ import annotations

from PySide6.QtCore import QObject

from cnn_explorer.model.errors import DesignError
from cnn_explorer.ui.gradient import GradientColouring
from cnn_explorer.ui.training.panel import TrainingPanel
from cnn_explorer.ui.training.session import same_network

WHOLE_NETWORK = ("residual", "batch_norm")  # fixes applied to every block, not the finding's


class RunLink(QObject):
    def __init__(self, window, panel: TrainingPanel) -> None:
        super().__init__(window)
        self.window, self.panel, self.session = window, panel, panel.session
        self.document, self.scene = window.document, window.scene
        self.plotted = self.document.snapshot()  # the design open while the plots were made
        status = window.statusBar()
        self.session.colouring.connect(self.show_colouring)
        self.session.run_started.connect(lambda: status.showMessage("Training\u2026", 4000))
        self.session.run_finished.connect(self.run_finished)
        # a new file or preset brings its settings, and its own (empty) plots
        self.document.file_changed.connect(panel.load_settings_from_design)
        self.document.file_changed.connect(self.design_replaced)
        self.document.settings_changed.connect(panel.load_settings_from_design)
        self.document.report_changed.connect(self.design_changed)
        panel.block_requested.connect(lambda bid: self.scene.select_block(bid, True))
        panel.fix_requested.connect(window.controller.set_param)
        panel.diagnosis.blocks_selected.connect(self.show_finding_blocks)
        panel.diagnosis.fix_requested.connect(self.apply_fix)
        panel.feature_maps_requested.connect(self.show_feature_maps)
        self.feature_maps = None  # the open Feature maps window
        panel.check_design()

    def is_this_design(self, colouring: GradientColouring) -> bool:
        design = colouring.design
        return design is None or same_network(design.graph, self.document.graph)

    def show_colouring(self, colouring: GradientColouring | None) -> None:
        """Colours reach the canvas only when they are this design's: not the experiment's
        networks, not a run of the design before an edit."""
        if colouring is not None and not self.is_this_design(colouring):
            colouring = None
        self.scene.show_colouring(colouring)

    def clear_colours(self) -> None:
        self.session.clear_colours()

    def design_changed(self) -> None:
        self.plotted = self.document.snapshot()  # edits keep the plots; opening does not
        self.panel.check_design()
        last = self.session.last_colouring
        if last is not None and not self.is_this_design(last):
            self.scene.show_colouring(None)  # edited since: these colours are another net's

    def design_replaced(self) -> None:
        """Another design opened (not a save of this one, nor an edit): its plots and colours
        start empty. Runs at once when the file changes, before the edit's report arrives."""
        if not same_network(self.plotted.graph, self.document.graph):
            self.plotted = self.document.snapshot()
            self.session.reset()

    def run_finished(self, status: str, message: str) -> None:
        text = {"stopped": "Stopped", "error": message}.get(status, "Training finished")
        self.window.statusBar().showMessage(text, 8000)

    # --- diagnosis -------------------------------------------------------------------------
    def finding_is_this_design(self) -> bool:
        """Whether the findings on show are about the open design's network."""
        design = self.session.run_design(self.panel.diagnosis.history)
        return design is not None and same_network(design.graph, self.document.graph)

    def show_finding_blocks(self, blocks: list) -> None:
        """Select the finding's blocks on the canvas, if the run was this design's."""
        present = [b for b in blocks if b in self.scene.cards]
        if not present or not self.finding_is_this_design():
            if blocks:
                self.window.statusBar().showMessage(
                    "This finding is about another network than the open one (edited or "
                    "another design): its blocks are not shown.", 6000)
            return
        self.scene.select_block(present[0], True)
        for bid in present[1:]:
            self.scene.cards[bid].setSelected(True)

    def apply_fix(self, code: str, blocks: list) -> None:
        """One suggested fix as one undo step on the open design (which keeps its file)."""
        from cnn_explorer.model.fixes import apply_fix
        from cnn_explorer.training.diagnosis import FIXES

        # A gradient reaching a block has passed every block after it, so shortcuts and
        # normalisation help only along the whole path to the output: those fixes apply to
        # the whole network, as the headless check does. The others stay on the finding's
        # blocks (those the open design still has; none left: all blocks).
        present = [] if code in WHOLE_NETWORK else [
            b for b in blocks if b in self.document.graph.block_ids()]
        text = FIXES.get(code, code)
        try:
            fixed = apply_fix(self.document.snapshot(), code, present)
        except DesignError as exc:
            self.window.statusBar().showMessage(f"Cannot apply \u201c{text}\u201d: {exc}", 8000)
            return
        self.window.controller.edit_design(fixed, f"Fix: {text}")
        self.panel.fix_applied(text)
        self.window.statusBar().showMessage(f"Applied \u201c{text}\u201d (Ctrl+Z undoes it). "
                                            "Train again to compare.", 8000)

    def show_feature_maps(self) -> None:
        """The selected block's output for a test image, from the shown run's checkpoint."""
        from cnn_explorer.ui.training.feature_maps_view import FeatureMapsDialog

        history, bar = self.session.history, self.window.statusBar()
        info = history.info if history is not None else None
        selected = self.scene.selected_block_ids()
        if info is None or not info.checkpoint or self.session.running():
            bar.showMessage("Feature maps need a finished run (train, or open a run log).", 6000)
            return
        design = self.session.run_design(history)
        if len(selected) != 1 or design is None or not same_network(design.graph,
                                                                     self.document.graph):
            bar.showMessage("Select one block of the design the run trained (unedited since) "
                            "to see its feature maps.", 6000)
            return
        if self.feature_maps is not None:
            self.feature_maps.close()
        self.feature_maps = FeatureMapsDialog(
            info.checkpoint, selected[0], info.dataset, self.window, history,
            self.document.graph.block(selected[0]).name)
        self.feature_maps.show()
