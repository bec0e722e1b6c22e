"""Live plots that keep the GUI responsive: progress batches coalesce into one update per plot
with the latest data, hidden or scrolled-away plots wait until shown, a frame's work is
budgeted, every layer's curve of a per-layer plot is one item, and ranges snap to a round
grid so they change seldom."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel, QTabWidget

from cnn_explorer.training.history import RunHistory
from cnn_explorer.training.records import RunInfo, StepRecord
from cnn_explorer.ui.training.layer_lines import LayerLines
from cnn_explorer.ui.training.plot_kit import snap_span
from cnn_explorer.ui.training.plots import TrainingPlots, ratios_at, update_ratios
from cnn_explorer.ui.training.views import DegradationPlots


def live_run(layers: int = 5) -> RunHistory:
    """A run that has started and reported nothing yet."""
    infos = [{"name": f"conv{i}", "kind": "Conv2D", "depth": i, "block": f"b{i}"}
             for i in range(layers)]
    history = RunHistory()
    history.on_start(RunInfo(layers=infos, epochs=1, steps_per_epoch=1000, batch_size=32,
                             class_names=["a", "b"], settings={}, design_name="t"))
    return history


def batch(history: RunHistory, first: int, count: int = 20) -> None:
    """One progress batch, as the worker sends it (norms on every step)."""
    layers = len(history.info.layers)
    history.on_steps([StepRecord(s, 1, 2.0 / s, 0.5, 0.1 * s,
                                 [10.0 ** -(1 + d / 10) for d in range(layers)],
                                 [1.0 + 0.01 * s] * layers)
                      for s in range(first, first + count)])


def frames(plots: TrainingPlots, most: int = 50) -> int:
    """Run frames until nothing is left to draw; how many frames drew."""
    drawn = 0
    while plots.redraw() and drawn < most:
        drawn += 1
    return drawn


@pytest.fixture
def shown_plots(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(1400, 700)
    plots.show()
    qtbot.waitExposed(plots)
    return plots


def test_several_batches_between_frames_draw_each_plot_once_with_the_latest_data(shown_plots):
    plots, history = shown_plots, live_run()
    plots.set_history(history)
    plots.plot_draws = 0
    for first in (1, 21, 41):  # three batches arrive before the next frame
        batch(history, first)
    assert frames(plots) >= 1
    assert plots.plot_draws == len(plots.all_plots)  # once each, not once per batch
    assert plots.stale() == []
    xs, _ = plots.train_loss.getData()
    assert xs[-1] == 60 and len(xs) == 60  # the latest data, all of it
    steps, _ = plots.layer_lines[plots.time_plot].series(0)
    assert steps[-1] == 60
    assert not plots.redraw()  # nothing new: the next frame draws nothing


def test_a_hidden_plot_waits_until_its_tab_is_shown(qtbot):
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    plots = TrainingPlots()
    tabs.addTab(QLabel("another tab"), "Other")
    tabs.addTab(plots, "Live plots")
    tabs.resize(1400, 700)
    tabs.show()
    qtbot.waitExposed(tabs)
    history = live_run()
    plots.set_history(history)
    plots.plot_draws = 0
    batch(history, 1)
    assert not plots.redraw()  # the tab is hidden: nothing drawn
    assert plots.plot_draws == 0 and len(plots.stale()) == len(plots.all_plots)
    batch(history, 21)
    tabs.setCurrentWidget(plots)
    frames(plots)
    assert plots.stale() == [] and plots.plot_draws == len(plots.all_plots)
    assert plots.train_loss.getData()[0][-1] == 40  # drawn from the data as it is when shown


def test_a_plot_scrolled_out_of_view_waits_and_a_forced_redraw_draws_everything(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(300, 250)  # one readable column: the grid scrolls
    plots.show()
    qtbot.waitExposed(plots)
    history = live_run()
    plots.set_history(history)
    batch(history, 1)
    frames(plots)
    assert plots.seen(plots.loss_plot) and not plots.seen(plots.ratio_plot)
    assert plots.ratio_plot in plots.stale() and plots.loss_plot not in plots.stale()
    plots.grid.verticalScrollBar().setValue(plots.grid.verticalScrollBar().maximum())
    assert plots.seen(plots.ratio_plot)
    frames(plots)
    assert plots.ratio_plot not in plots.stale()
    batch(history, 21)
    plots.redraw_all()  # end of a run, exports: every plot, seen or not
    assert plots.stale() == []


def test_a_frame_over_budget_leaves_the_rest_for_the_next_frames_in_turn(shown_plots):
    plots, history = shown_plots, live_run()
    plots.set_history(history)
    batch(history, 1)
    order = []
    for _ in plots.all_plots:
        plots._cost = [1.0] * len(plots.all_plots)  # every plot costs more than a frame
        before = set(plots.stale())
        assert plots.redraw()
        drawn = before - set(plots.stale())
        assert len(drawn) == 1  # one plot a frame, at least one
        order += drawn
    assert set(order) == set(plots.all_plots)  # each got its turn
    assert plots.stale() == []


def test_the_degradation_overlay_waits_while_its_tab_is_hidden(qtbot):
    view = DegradationPlots()
    qtbot.addWidget(view)
    history = live_run()
    view.set_runs([history])
    batch(history, 1)
    assert not view.isVisible() and not view.redraw()
    assert view.redraw(force=True)
    assert len(view._curves[0][0].getData()[0]) == 20


def test_every_layer_of_a_deep_net_is_one_item_on_a_log_axis(shown_plots):
    plots, history = shown_plots, live_run(layers=60)
    plots.set_history(history)
    batch(history, 1)
    plots.redraw_all()
    item = plots.time_plot.getPlotItem()
    assert [type(i) for i in item.items].count(LayerLines) == 1
    assert item.listDataItems() == []  # no PlotDataItem per layer
    lines = plots.layer_lines[plots.time_plot]
    assert len(lines.names) == 60 and len(lines.paths) == 60
    x, y = lines.series(2)
    assert x[-1] == 20 and y[0] == pytest.approx(10 ** -1.2)  # values as given
    assert lines.shown_y()[0, 2] == pytest.approx(-1.2)  # drawn as log10 on the log axis
    lo, hi = lines.dataBounds(1)
    assert lo == pytest.approx(-6.9) and hi == pytest.approx(-1.0)
    rows = plots.time_plot.data_rows()
    assert {r[0] for r in rows[1:]} == {f"conv{i}" for i in range(60)}
    assert len(rows) == 1 + 60 * 20


def test_snapped_ranges_hold_the_data_and_change_seldom_as_it_grows():
    spans = {snap_span(0.0, float(n)) for n in range(401, 500)}
    assert len(spans) <= 3  # a hundred new points, at most a few ranges
    for lo, hi in [(0.13, 9.7), (-4.2, -1.05), (1.0, 1.0 + 1e-6), (250.0, 26000.0)]:
        a, b = snap_span(lo, hi)
        slack = 0.01 * (hi - lo)  # a sliver past a grid line stays on it
        assert a <= lo + slack and b >= hi - slack and (b - a) <= 1.7 * (hi - lo) + 1e-9
    assert snap_span(-5.0, 476.0) == (0.0, 500.0)  # the pens' padding does not cost a step


def test_thinned_update_ratios_match_the_full_computation():
    rng = np.random.default_rng(1)
    steps = np.arange(1, 101, dtype=float) * 5
    norms = 1.0 + rng.random((100, 3))
    norms[7, 1] = 0.0  # a missing norm stays missing
    full_steps, full = update_ratios(steps, norms)
    rows = np.arange(1, 100, 7)
    got_steps, got = ratios_at(steps, norms, rows)
    assert np.array_equal(got_steps, full_steps[rows - 1])
    assert np.allclose(got, full[rows - 1], equal_nan=True)
