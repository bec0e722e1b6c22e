"""The Search tab: a search in its worker thread fills the leaderboard and the scatter; a row
opens its candidate on the canvas as one undo step, diffs against the best, trains fully."""

from PySide6.QtWidgets import QTabBar

from cnn_explorer.model.files import design_to_dict


def fake_scorer(design, proxy, control, data):
    """The proxy run replaced by a score from the design alone (the search tests train)."""
    return (design.graph.report().total_params % 89) / 89, "finished"


def test_search_tab_shows_leaderboard_and_opens_a_candidate(window, qtbot, tmp_path):
    window.show_search()
    panel = window.search_panel
    assert panel is not None and window.search_dock.widget().widget() is panel  # in a scroll
    assert "9 choices" in panel.space_note.text()  # the blocks space: 3 stages x 3
    panel.space.setCurrentText("cells")
    assert "choices" in panel.space_note.text() and "normal_b1_op1" in panel.space_note.toolTip()
    panel.space.setCurrentText("blocks")
    panel.scorer = fake_scorer
    panel.trials.setValue(5)
    panel.seed.setValue(2)
    with qtbot.waitSignal(panel.search_ended, timeout=60000):
        assert panel.start(tmp_path / "study")
        assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    assert panel.table.rowCount() == 5 and len(panel.records) == 5
    assert panel.start_button.isEnabled()
    xs, ys = panel.scatter.getData()
    assert len(xs) == 5 and sorted(ys) == sorted(r["accuracy"] for r in panel.records)
    assert panel.front_numbers  # the Pareto front is drawn
    best = panel.best()
    assert panel.table.item(0, 0).data(0x0100) == best["number"]  # sorted by accuracy

    other = next(r for r in panel.records if r["number"] != best["number"]
                 and r["choices"] != best["choices"])
    assert panel.select(other["number"])
    lines = panel.diff_selected()
    assert lines[0].startswith(f"Candidate {other['number']} against the best")
    assert any("->" in line for line in lines) and panel.diff_text.toPlainText()

    stack = window.document.undo_stack
    before, depth = design_to_dict(window.document.design), stack.count()
    assert panel.open_selected()
    opened = design_to_dict(window.document.design)
    assert opened["blocks"] == other["design"]["blocks"]
    assert stack.count() == depth + 1
    stack.undo()
    assert design_to_dict(window.document.design)["blocks"] == before["blocks"]

    tabs = next(bar for bar in window.findChildren(QTabBar)
                if "Search" in [bar.tabText(i) for i in range(bar.count())])
    assert tabs.tabText(tabs.currentIndex()) == "Search"
    assert panel.train_selected()  # opens it and switches to the Training tab
    assert design_to_dict(window.document.design)["blocks"] == other["design"]["blocks"]
    assert tabs.tabText(tabs.currentIndex()) == "Training"


def test_stop_ends_a_search_early(window, qtbot, tmp_path):
    import time

    def slow(design, proxy, control, data):
        for _ in range(200):  # a "training run" that obeys Stop between steps
            if control.stopped:
                return None, "stopped"
            time.sleep(0.01)
        return 0.5, "finished"

    window.show_search()
    panel = window.search_panel
    panel.scorer = slow
    with qtbot.waitSignal(panel.search_ended, timeout=60000) as ended:
        panel.start(tmp_path / "study")
        qtbot.wait(300)
        panel.stop()
    assert "stopped" in ended.args[0]
    assert all(r["accuracy"] is None for r in panel.records)


def test_the_space_is_editable_and_the_search_uses_what_the_panel_shows(qtbot):
    from cnn_explorer.ui.search.panel import SearchPanel

    panel = SearchPanel()
    qtbot.addWidget(panel)
    panel.space.setCurrentText("blocks")
    full = panel.space_note.text()
    panel.space_editor.kinds["dense"].setChecked(False)
    panel.space_editor.widths.setText("16, 32")
    panel.space_editor.widths.editingFinished.emit()
    assert panel.space_note.text() != full
    options = panel.settings().space_options
    assert options["kinds"] == ("residual", "se_residual", "mbconv")
    assert options["widths"] == (16, 32)
    assert panel.settings().make_space().size < 1e12
    panel.space_editor.depths.setText("two")
    panel.space_editor.depths.editingFinished.emit()
    assert "depths" in panel.space_note.text() and not panel.start_button.isEnabled()
    panel.space_editor.depths.setText("1")
    panel.space_editor.depths.editingFinished.emit()
    assert panel.start_button.isEnabled()
    panel.space.setCurrentText("cells")
    three = panel.settings().make_space().size
    panel.space_editor.cell_blocks.setValue(2)
    assert panel.settings().space_options == {"blocks": 2, "cells_per_stage": 1, "filters": 8}
    assert panel.settings().make_space().size < three  # fewer blocks, fewer candidates
