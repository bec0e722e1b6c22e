"""Plots a person can read: decade ticks, spike-proof ranges, titles that fit, enlarge and
export, weight norms and update ratios, a confusion matrix with class names, and a window that
fits a 1280x800 or 1366x768 screen."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QScreen

from cnn_explorer.training.history import RunHistory
from cnn_explorer.training.records import EpochRecord, RunInfo, StepRecord
from cnn_explorer.training.runlog import RunLogWriter, read_run_log
from cnn_explorer.ui.training.plot_kit import DecadeAxis, ExplorerPlot, robust_span
from cnn_explorer.ui.training.plot_window import PlotSlot, PlotWindow, export_both
from cnn_explorer.ui.training.plots import TrainingPlots, update_ratios
from cnn_explorer.ui.training.views import ConfusionMatrixView

NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
LAYERS = [{"name": "conv1", "kind": "Conv2D", "depth": 0, "block": "b1"},
          {"name": "bn1", "kind": "BatchNormalization", "depth": 1, "block": "b1"},
          {"name": "predictions", "kind": "Dense", "depth": 2, "block": "b2"}]


def make_run(path=None, steps: int = 300, val_losses=(1.9, 21.0, 1.2)) -> RunHistory:
    """A run as the training loop reports it: start, steps (norms every 5th), epochs."""
    per_epoch = steps // len(val_losses)
    info = RunInfo(layers=LAYERS, epochs=len(val_losses), steps_per_epoch=per_epoch,
                   batch_size=32, class_names=NAMES, settings={}, design_name="test")
    history = RunHistory()
    listeners = [history] + ([RunLogWriter(path)] if path else [])
    rng = np.random.default_rng(0)
    records = []
    for s in range(1, steps + 1):
        recorded = s % 5 == 1
        weights = [10.0 + 0.01 * s, 2.0 + 0.001 * s, 5.0] if recorded else []
        records.append(StepRecord(s, (s - 1) // per_epoch + 1, 2.3 - s / steps + 0.05 *
                                  rng.standard_normal(), 0.5, s * 0.1,
                                  [1e-4, 1e-2, 1e-1] if recorded else [], weights))
    for x in listeners:
        x.on_start(info)
        x.on_steps(records)
        for e, vl in enumerate(val_losses, 1):
            x.on_epoch(EpochRecord(e, 1.5, 0.5, vl, 0.5, 1.0))
        x.on_end("finished", "")
    return history


@pytest.mark.parametrize("height", [60, 120, 300])
def test_decade_axis_labels_few_decades_that_never_overlap(qtbot, height):
    axis = DecadeAxis("left")
    axis.setLogMode(False, True)
    label_px = axis.label_height()
    ticks = [v for _, values in axis.tickValues(-30.0, 2.0, height) for v in values]
    assert 1 <= len(ticks) <= max(1, height // label_px)
    assert all(float(t).is_integer() for t in ticks)  # decades only
    gaps = np.diff(ticks) * height / 32.0
    assert (gaps >= label_px).all()
    assert axis.tickStrings([-3.0, 0.0, 2.0], 1, 1) == ["10\u207b\u00b3", "1", "100"]


def test_robust_range_ignores_a_validation_spike_but_keeps_the_start():
    train = np.linspace(2.3, 0.6, 500)
    lo, hi = robust_span([train, np.array([1.9, 21.0, 1.2])])
    assert hi < 3.0 and hi >= 2.3 and lo <= 0.6


def test_loss_plot_is_not_flattened_by_a_spike(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 500)
    plots.set_history(make_run())
    plots.loss_plot.getViewBox().updateAutoRange()
    _, (y_lo, y_hi) = plots.loss_plot.getViewBox().viewRange()
    assert y_hi < 5.0 and y_lo < 1.5  # 21 would squeeze the training loss into a flat line
    assert plots.loss_plot.note == "\u21911 off scale"  # and the spike is named
    assert "up to 21" in plots.loss_plot.toolTip()


def test_titles_fit_and_keep_the_full_text_on_hover(qtbot):
    plot = ExplorerPlot(["Gradient norm per layer over steps", "Gradient norm", "Grad."],
                        "step", "norm", log_y=True)
    qtbot.addWidget(plot)
    plot.set_legend([("first layer", "#313695", "\u2501"), ("last layer", "#a50026", "\u2501")])
    plot.show()
    qtbot.waitExposed(plot)
    shown = set()
    for width in (180, 300, 900):
        plot.resize(width, 200)
        qtbot.wait(10)
        shown.add(plot.shown_title)
        assert plot.title_width(plot.shown_title) <= width - 24
    assert len(shown) == 3  # the wide plot gets the long title, the narrow one a short one
    assert "Gradient norm per layer over steps" in plot.toolTip()


def test_enlarge_opens_a_window_holding_the_plot_and_closing_brings_it_back(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.set_history(make_run())
    slot = plots.slots[0]
    window = slot.enlarge()
    qtbot.waitExposed(window)
    assert isinstance(window, PlotWindow) and plots.loss_plot.window() is window
    assert window.width() > plots.loss_plot.minimumWidth()
    window.close()
    assert plots.loss_plot.parent() is slot and slot.window_ is None


def test_export_writes_a_png_and_a_csv_of_the_plot(qtbot, tmp_path):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 500)
    plots.set_history(make_run())
    png, table = export_both(plots.loss_plot, tmp_path / "loss.png")
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 100
    rows = list(csv.reader(table.open()))
    assert rows[0] == ["series", "x", "y"]
    val = [float(r[2]) for r in rows[1:] if r[0] == "validation"]
    assert val == [1.9, 21.0, 1.2]  # original values, and the spike is in the data
    assert sum(r[0] == "train" for r in rows) == 300


def test_weight_norms_and_update_ratios_come_from_the_run_records(qtbot, tmp_path):
    make_run(tmp_path / "run.jsonl")
    history = read_run_log(tmp_path / "run.jsonl")
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.set_history(history)
    weight_curves = plots.layer_lines[plots.weight_plot]
    assert weight_curves.names == ["conv1", "predictions"]  # not the BN scale
    xs, ys = weight_curves.series(0)
    assert list(xs[:2]) == [1.0, 6.0] and ys[1] == pytest.approx(10.06)
    rx, ry = plots.layer_lines[plots.ratio_plot].series(0)
    assert rx[0] == 6.0 and ry[0] == pytest.approx(0.05 / 10.06 / 5)
    assert np.isnan(plots.layer_lines[plots.ratio_plot].series(1)[1]).all()


def test_update_ratio_skips_missing_norms():
    steps, ratios = update_ratios(np.array([1.0, 2.0, 4.0]),
                                  np.array([[2.0, 0.0], [2.2, 1.0], [2.2, 1.5]]))
    assert list(steps) == [2.0, 4.0]
    assert ratios[0, 0] == pytest.approx(0.2 / 2.2) and np.isnan(ratios[0, 1])
    assert np.isnan(ratios[1, 0]) and ratios[1, 1] == pytest.approx(0.5 / 1.5 / 2)


def test_confusion_matrix_is_readable_with_class_names(qtbot, tmp_path):
    view = ConfusionMatrixView()
    slot = PlotSlot(view, scroll=True)
    qtbot.addWidget(slot)
    matrix = np.full((10, 10), 3)
    np.fill_diagonal(matrix, 40)
    view.set_matrix(matrix.tolist(), NAMES)
    slot.resize(700, 200)  # a short dock: the matrix scrolls rather than shrinking
    slot.show()
    qtbot.waitExposed(slot)
    left, top, side, every = view.layout_cells()
    assert side >= view.fontMetrics().height() and every == 1  # every name, counts fit
    i, j = view.cell_at(left + 3.5 * side, top + 1.5 * side)
    assert (view.name(i), view.name(j)) == ("automobile", "cat")
    image = view.grab().toImage()
    ink = [image.pixelColor(x, int(top + 0.5 * side)).lightness() < 128
           for x in range(4, int(left) - 2)]
    assert any(ink)  # the row name "airplane" is drawn left of the first row
    export_both(view, tmp_path / "confusion.png")
    rows = list(csv.reader((tmp_path / "confusion.csv").open()))
    assert rows[0][1:] == NAMES and rows[1][0] == "airplane" and rows[1][1] == "40"


@pytest.mark.parametrize("width,height", [(1280, 800), (1366, 768)])
def test_window_fits_small_screens_docks_included(qtbot, monkeypatch, width, height):
    from cnn_explorer.ui.main_window import MainWindow

    area = QRect(0, 0, width, height - 40)  # less a task bar
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: area)
    window = MainWindow(offer_recovery=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.add_training_panel()
    qtbot.wait(50)
    assert area.contains(window.geometry())
    assert window.minimumSizeHint().width() <= area.width()
    assert window.minimumSizeHint().height() <= area.height()
    for dock in (window.training_dock,):
        assert dock.geometry().right() <= window.width()
    scroll = window.training_dock.widget()
    assert scroll.horizontalScrollBar().maximum() == 0  # no plot cut off to the right


def test_less_than_a_decade_still_gets_two_labels_and_depth_ticks_are_whole(qtbot):
    from cnn_explorer.ui.training.plot_kit import IntegerAxis, decade_ticks

    ticks = decade_ticks(np.log10(1.4), np.log10(4.3), 100, 15)
    assert len(ticks) >= 2 and all(np.log10(1.4) <= t <= np.log10(4.3) for t in ticks)
    axis = IntegerAxis("bottom")
    values = [v for _, vs in axis.tickValues(-0.2, 3.2, 300) for v in vs]
    assert values and all(float(v).is_integer() for v in values)
