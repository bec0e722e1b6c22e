"""Training plots: loss/accuracy, gradient norm over time, gradient-by-depth, layer x step heatmap,
weight norms and update-to-weight ratios.

Every plot reads a RunHistory (growing numpy buffers) and is redrawn from the panel's frame
timer with `setData` on existing items, never once per message (pyqtgraph's scrollingPlots
habit): each frame brings the plots whose data changed up to date with the latest data, as
many as fit in a small time budget (the rest next frame), and skips plots that cannot be seen
(another tab, scrolled away, a hidden dock) until they can. The per-layer plots draw all their
layers as one item (LayerLines). The colour scale is the one the canvas uses
(cnn_explorer.ui.gradient).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cnn_explorer.training.history import RunHistory
from cnn_explorer.ui.gradient import STOPS, stop_colour
from cnn_explorer.ui.training.layer_lines import LayerLines
from cnn_explorer.ui.training.plot_kit import ExplorerPlot, off_scale, snap_span
from cnn_explorer.ui.training.plot_window import PlotGrid, PlotSlot

FLOOR = 1e-30  # log axes cannot show zero; a dead layer's norm is drawn at this floor
MAX_HEATMAP_COLUMNS = 600
MAX_TIME_POINTS = 400  # per layer curve: more is invisible at panel size and slow to paint
FRAME_BUDGET_S = 0.004  # CPU per frame (update + repaint); plots left over wait their turn


def depth_colour(depth: int, layers: int) -> QColor:
    """Curves of the gradient-over-time plot: shallow layers blue, deep layers red."""
    return stop_colour(depth / max(1, layers - 1))


def colour_map() -> pg.ColorMap:
    return pg.ColorMap([t for t, _ in STOPS], [c for _, c in STOPS])


def _log_safe(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values) & (values > FLOOR), values, FLOOR)


def kernel_columns(history: RunHistory) -> list[int]:
    """Conv and dense layers (not batch-norm scales): what 'depth' means in these plots."""
    if history.info is None:
        return []
    norm_free = ("BatchNormalization", "LayerNormalization", "GroupNormalization")
    return [i for i, layer in enumerate(history.info.layers) if layer["kind"] not in norm_free]


def frozen_note(h: RunHistory) -> tuple[str, str]:
    """The gradient plot's note on frozen blocks: trained by no step, they have no curve."""
    frozen = list(getattr(h.info, "frozen", None) or [])
    if not frozen:
        return "", ""
    return (f"{len(frozen)} frozen", "Frozen blocks (not trained, so no gradient curve): "
            + ", ".join(frozen))

class TrainingPlots(QWidget):
    """The live plots of one run, each in a slot that can be enlarged and exported, laid out
    at a readable size (PlotGrid scrolls rather than squeezing them)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.history: RunHistory | None = None
        self.layer_lines: dict[ExplorerPlot, LayerLines] = {}  # one item: every layer's curve
        self.plot_draws = 0  # plots brought up to date so far (the benchmark reads it)
        floor = math.log10(FLOOR) + 1  # dead layers sit at FLOOR: keep them out of the range
        self.loss_plot = ExplorerPlot(
            ["Loss", "Loss"], "step", "loss", robust_y=True,
            tip="Cross-entropy per training batch, and on the validation data after each "
                "epoch. The y range leaves out spikes (right-click, View All, keeps that).")
        self.acc_plot = ExplorerPlot(
            ["Accuracy", "Acc."], "step", "accuracy",
            tip="Share of correctly classified images per training batch, and on the "
                "validation data after each epoch.")
        self.time_plot = ExplorerPlot(
            ["Gradient norm per layer over steps", "Gradient norm per layer", "Grad. norm"],
            "step", "L2 norm", log_y=True, floor=floor,
            tip="The L2 norm of each layer's gradient at every recorded step, one curve a "
                "layer: blue for the first layer, red for the last.")
        self.depth_plot = ExplorerPlot(
            ["Gradient norm by depth, latest step", "Gradient by depth", "By depth"],
            "layer depth", "L2 norm", log_y=True, floor=floor, integer_x=True,
            tip="Each layer's gradient norm at the latest recorded step, from the input "
                "(left) to the output (right): falling to the left means vanishing gradients.")
        self.heat_plot = ExplorerPlot(
            ["Gradient norm, layer by step (log10)", "Gradient heatmap", "Heatmap"],
            "recorded step", "layer depth",
            tip="log10 of every layer's gradient norm (rows: depth, first layer at the "
                "bottom) at every recorded step (columns).")
        self.weight_plot = ExplorerPlot(
            ["Weight norm per layer over steps", "Weight norm per layer", "Weights"],
            "step", "L2 norm", log_y=True,
            tip="The L2 norm of each layer's weights at every recorded step, one curve a "
                "layer: blue for the first layer, red for the last.")
        self.ratio_plot = ExplorerPlot(
            ["Update-to-weight ratio per layer", "Update / weight", "Update ratio"],
            "step", "ratio per step", log_y=True, robust_y=True,
            tip="How much each layer's weights change per step, relative to their size: "
                "|change of the weight norm| / weight norm, per step, between recorded steps "
                "(a lower bound of |update| / |weights|). Around 1e-3 is often healthy; far "
                "below means the layer barely learns, far above means it is thrown about.")
        depth_legend = [("first layer", _hex(depth_colour(0, 2)), "\u2501"),
                        ("last layer", _hex(depth_colour(1, 2)), "\u2501")]
        for plot in (self.time_plot, self.weight_plot, self.ratio_plot):
            plot.set_legend(depth_legend)
        for plot in (self.loss_plot, self.acc_plot):
            plot.set_legend([("train", "#1f77b4", "\u2501"), ("validation", "#d62728", "\u25cf")])
        self.train_loss = self.loss_plot.plot(pen=pg.mkPen("#1f77b4", width=1), name="train")
        self.val_loss = self.loss_plot.plot(pen=pg.mkPen("#d62728", width=2), symbol="o",
                                            symbolSize=6, name="validation")
        self.train_acc = self.acc_plot.plot(pen=pg.mkPen("#1f77b4", width=1), name="train")
        self.val_acc = self.acc_plot.plot(pen=pg.mkPen("#d62728", width=2), symbol="o",
                                          symbolSize=6, name="validation")
        self.depth_curve = self.depth_plot.plot(pen=pg.mkPen("#333", width=2), symbol="o",
                                                symbolSize=5, symbolBrush="#d62728",
                                                name="latest gradient norm")
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.row_label = "depth"
        self.heatmap.setColorMap(colour_map())
        self.heat_plot.addItem(self.heatmap)
        self.heat_bar = pg.ColorBarItem(colorMap=colour_map(), interactive=False, width=10)
        self.heat_bar.setImageItem(self.heatmap, insert_in=self.heat_plot.getPlotItem())
        self.heat_bar.axis.enableAutoSIPrefix(False)
        for plot in (self.loss_plot, self.acc_plot, self.time_plot, self.weight_plot,
                     self.ratio_plot):
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
        reference = pg.mkPen("#555", width=2, style=Qt.DashLine)
        self.reference: RunHistory | None = None  # an earlier run, dashed, until cleared
        self.ref_loss = self.loss_plot.plot(pen=reference, name="earlier run")
        self.ref_depth = self.depth_plot.plot(pen=reference, name="earlier run")
        self.all_plots = (self.loss_plot, self.acc_plot, self.time_plot, self.depth_plot,
                          self.heat_plot, self.weight_plot, self.ratio_plot)
        for plot in self.all_plots:  # ranges that change seldom: axes are slow to lay out
            plot.getViewBox().snap = {self.depth_plot: "y", self.heat_plot: "x"}.get(plot, "xy")
        self._parts = [(self.loss_plot, self._draw_loss), (self.acc_plot, self._draw_accuracy),
                       (self.time_plot, self._draw_time), (self.depth_plot, self._draw_depth),
                       (self.heat_plot, self._draw_heat), (self.weight_plot, self._draw_weights),
                       (self.ratio_plot, self._draw_ratios)]
        self._drawn = [-1] * len(self._parts)  # the history version each plot shows
        # CPU seconds each plot's update and paint took; until measured, a whole frame's worth
        self._cost = [FRAME_BUDGET_S] * len(self._parts)
        self._next = 0  # where the next frame starts looking, so every plot gets its turn
        off_scale([np.arange(16.0)])  # numpy imports its percentile helpers now, not mid-run
        self.slots = [PlotSlot(plot) for plot in self.all_plots]
        self.grid = PlotGrid(self.slots)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.grid)

    def set_history(self, history: RunHistory | None) -> None:
        """Show another run (a new live run, or a reopened log)."""
        self.history = history
        self._drawn = [-1] * len(self._parts)
        for plot, lines in self.layer_lines.items():
            plot.removeItem(lines)
        self.layer_lines = {}
        self.redraw_all()

    def set_reference(self, history: RunHistory | None) -> None:
        """Overlay an earlier run's loss and gradient-by-depth, dashed ("train again and
        compare"); None clears them. Live runs and reopened logs leave it in place."""
        self.reference = history
        loss = [("train", "#1f77b4", "\u2501"), ("validation", "#d62728", "\u25cf")]
        if history is None:
            self.ref_loss.setData([], [])
            self.ref_depth.setData([], [])
            self.loss_plot.set_legend(loss)
            return
        self.ref_loss.setData(history.steps, history.loss)
        columns = kernel_columns(history)
        if columns and len(history.grad_norms):
            self.ref_depth.setData(np.arange(len(columns)),
                                   _log_safe(history.grad_norms[-1, columns]))
        self.loss_plot.set_legend(loss + [("earlier run", "#555", "\u2504")])

    def emphasise(self, blocks: list[str]) -> None:
        """Thicken the gradient-over-time curves of these blocks' layers and fade the rest
        (a selected finding); an empty list draws every curve as usual."""
        h, chosen = self.history, set(blocks)
        if h is None or h.info is None:
            return
        lines = self.layer_lines.get(self.time_plot)
        columns = kernel_columns(h)
        if lines is None or len(lines.names) != len(columns):
            return
        for d, col in enumerate(columns):
            colour = QColor(depth_colour(d, len(columns)))
            picked = h.info.layers[col].get("block") in chosen
            if chosen and not picked:
                colour.setAlpha(50)
            lines.set_pen(d, pg.mkPen(colour, width=3 if chosen and picked else 1))

    def redraw(self, force: bool = False) -> bool:
        """One frame (the panel's timer): bring plots whose data changed up to date with the
        latest data, in turn, until FRAME_BUDGET_S is spent; plots nobody can see wait until
        they are shown. `force`: every plot, seen or not. True if it drew anything.

        However many progress batches arrived since the last frame, a plot draws once, from
        the history as it is now; the budget keeps one frame's work (and its repaint) short:
        each plot's cost is what its last update and the repaints after it took (CPU time).
        """
        h = self.history
        if h is None:
            return False
        spent, drawn, count, first = 0.0, False, len(self._parts), self._next
        for k in range(count):
            i = (first + k) % count
            plot, draw = self._parts[i]
            if self._drawn[i] == h.version or not (force or self.seen(plot)):
                continue
            if drawn and not force and spent + self._cost[i] > FRAME_BUDGET_S:
                self._next = i  # its turn comes first in the next frame
                break
            start, painted = time.thread_time(), plot.paint_s  # the repaints of its last update
            plot.paint_s = 0.0
            self._drawn[i] = h.version
            draw(h)
            # the new auto range now, not in the paint: a range change there repaints twice
            plot.getViewBox().prepareForPaint()
            self._cost[i] = time.thread_time() - start + painted
            spent += self._cost[i]
            self.plot_draws += 1
            drawn, self._next = True, (i + 1) % count
        return drawn

    def seen(self, plot: ExplorerPlot) -> bool:
        """Whether the plot is on show: not in a hidden tab or dock, not scrolled out of the
        grid (an enlarged plot, in its own window, is on show while the window is)."""
        if not plot.isVisible():
            return False
        viewport = self.grid.viewport()
        if not viewport.isAncestorOf(plot):
            return True
        return QRect(plot.mapTo(viewport, QPoint(0, 0)), plot.size()).intersects(viewport.rect())

    def stale(self) -> list[ExplorerPlot]:
        """Plots that do not show the latest data yet (hidden ones, or left for a later
        frame)."""
        version = self.history.version if self.history is not None else -1
        return [plot for (plot, _), drawn in zip(self._parts, self._drawn) if drawn != version]

    def redraw_all(self) -> None:
        """Everything at once (reopened logs, the end of a run, exports, tests)."""
        self.redraw(force=True)

    def _draw_loss(self, h: RunHistory) -> None:
        val_steps, val_loss = h.epoch_series("val_loss")
        self.train_loss.setData(h.steps, h.loss)
        self.val_loss.setData(val_steps, val_loss)
        self.loss_plot.set_note(*off_scale([h.loss, val_loss]))  # a spike is named, not drawn

    def _draw_accuracy(self, h: RunHistory) -> None:
        self.train_acc.setData(h.steps, h.accuracy)
        self.val_acc.setData(*h.epoch_series("val_accuracy"))

    def _lines(self, plot: ExplorerPlot, h: RunHistory) -> tuple[list[int], LayerLines]:
        """The item holding one curve per conv/dense layer on `plot` (coloured by depth,
        named by layer), made once per run."""
        columns = kernel_columns(h)
        lines = self.layer_lines.get(plot)
        if lines is None or len(lines.names) != len(columns):
            if lines is not None:
                plot.removeItem(lines)
            names = h.layer_names
            lines = LayerLines([names[col] for col in columns],
                               [pg.mkPen(depth_colour(d, len(columns)), width=1)
                                for d in range(len(columns))])
            plot.addItem(lines)
            self.layer_lines[plot] = lines
        return columns, lines

    def _draw_time(self, h: RunHistory) -> None:
        """One curve per layer; long runs are thinned to ~MAX_TIME_POINTS per curve first."""
        rows = _thinned(len(h.norm_steps))
        self._draw_layers(self.time_plot, h, h.norm_steps[rows],
                          lambda cols: _log_safe(h.grad_norms[rows][:, cols]))
        self.time_plot.set_note(*frozen_note(h))

    def _draw_weights(self, h: RunHistory) -> None:
        rows = _thinned(len(h.norm_steps))
        self._draw_layers(self.weight_plot, h, h.norm_steps[rows],
                          lambda cols: _positive_or_nan(h.weight_norms[rows][:, cols]))

    def _draw_ratios(self, h: RunHistory) -> None:
        rows = 1 + _thinned(max(0, len(h.norm_steps) - 1))  # each against the step before it
        steps, ratios = ratios_at(h.norm_steps, h.weight_norms, rows)
        self._draw_layers(self.ratio_plot, h, steps, lambda cols: ratios[:, cols])

    def _draw_layers(self, plot: ExplorerPlot, h: RunHistory, steps: np.ndarray,
                     values) -> None:
        columns, lines = self._lines(plot, h)
        if columns and len(steps):
            lines.set_series(steps, values(columns))

    def _draw_depth(self, h: RunHistory) -> None:
        columns = kernel_columns(h)
        if columns and len(h.grad_norms):
            self.depth_curve.setData(np.arange(len(columns)),
                                     _log_safe(h.grad_norms[-1, columns]))

    def _draw_heat(self, h: RunHistory) -> None:
        columns = kernel_columns(h)
        if columns and len(h.grad_norms):
            stride = max(1, math.ceil(len(h.grad_norms) / MAX_HEATMAP_COLUMNS))
            self._draw_heatmap(h.grad_norms[::stride][:, columns], stride)

    def _draw_heatmap(self, norms: np.ndarray, stride: int) -> None:
        """norms: (recorded steps, thinned by `stride`; layers)."""
        image = np.log10(_log_safe(norms)).T  # rows = depth, columns = steps
        lo, hi = float(np.min(image)), float(np.max(image))
        levels = snap_span(lo, hi if hi > lo else lo + 1)  # the colour bar re-lays out seldom
        self.heatmap.setImage(image, autoLevels=False, levels=levels)
        self.heatmap.setRect(QRectF(0, 0, image.shape[1] * stride, image.shape[0]))
        if tuple(self.heat_bar.levels()) != levels:
            self.heat_bar.setLevels(levels)


def update_ratios(steps: np.ndarray, weight_norms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(steps, ratios): each layer's |change of weight norm| / weight norm, per step, between
    consecutive recorded steps. NaN where a norm is missing (0) or no step passed."""
    return ratios_at(steps, weight_norms, np.arange(1, len(steps)))


def ratios_at(steps: np.ndarray, weight_norms: np.ndarray,
              rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """update_ratios at recorded steps `rows` only (each against the step before it): a
    thinned plot costs what it shows, not the whole run."""
    steps = np.asarray(steps, dtype=float)
    norms = np.asarray(weight_norms, dtype=float)
    rows = np.asarray(rows, dtype=int)
    if len(steps) < 2 or norms.ndim != 2 or len(rows) == 0:
        return np.zeros(0), np.zeros((0, norms.shape[1] if norms.ndim == 2 else 0))
    gap = (steps[rows] - steps[rows - 1])[:, None]
    before, after = norms[rows - 1], norms[rows]
    valid = (before > 0) & (after > 0) & (gap > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(after - before) / after / gap
    return steps[rows], np.where(valid & (ratio > 0), ratio, np.nan)


def _thinned(count: int) -> np.ndarray:
    """Every k-th of `count` rows, k chosen so ~MAX_TIME_POINTS remain."""
    return np.arange(0, count, max(1, math.ceil(count / MAX_TIME_POINTS)))


def _positive_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def _hex(colour: QColor) -> str:
    return colour.name()
