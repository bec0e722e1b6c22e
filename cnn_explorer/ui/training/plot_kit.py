"""What makes a training plot readable: decade ticks on log axes, a y range that a spike cannot
flatten, a title that fits its width (full text on hover) and a legend that never sits on the data.

`ExplorerPlot` is a pyqtgraph PlotWidget with all four; `decade_ticks` and `robust_span` are the
pure rules behind them, so tests can check them without drawing.
"""

from __future__ import annotations

import html
import math
import time
from typing import Iterable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QPaintEvent, QResizeEvent

TITLE_PT = 9
SPIKE_REACH = 1.0  # a value further than this many body-spans beyond the 1st..99th percentile
MIN_ROBUST_POINTS = 12  # below this a percentile means little: the range holds every point
LABEL_GAP = 1.6  # tick labels at least this many text heights apart
AXIS_WIDTH = 52  # px of the y axis: its label and tick labels such as "10⁻¹²" or "0.125"
SNAP_PARTS = 8  # an auto range snaps outward to a grid of ~1/8 of its span
SNAP_SLACK = 0.05  # ...unless it is past a grid line by less than this share of a step


def decade_ticks(lo: float, hi: float, length_px: float, label_px: float,
                 max_labels: int = 6) -> list[float]:
    """Ticks for a log axis whose visible range is 10**lo .. 10**hi, drawn `length_px` long.

    Whole decades only, every 1st, 2nd, 3rd, 5th or 10th... one, so that neighbouring labels
    are at least LABEL_GAP text heights apart and there are at most `max_labels` of them.
    Less than one decade in view: 1, 2 and 5 times a power of ten, thinned the same way.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or length_px <= 0:
        return []
    px_per_unit = length_px / (hi - lo)
    most = max(1, min(max_labels, int(length_px // (LABEL_GAP * label_px)) + 1))
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    if last - first >= 1:
        for step in (1, 2, 3, 5, 10, 20, 50, 100, 200, 500):
            if step * px_per_unit < LABEL_GAP * label_px:
                continue
            ticks = [float(d) for d in range(first, last + 1) if d % step == 0]
            if len(ticks) <= most:
                return ticks or [float(first)]
        return [float(first)]
    ticks: list[float] = []
    for mantissas in ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):  # two labels at least, if room
        candidates = sorted(math.log10(m) + d for d in range(first - 1, last + 1)
                            for m in mantissas)
        ticks = []
        for value in candidates:
            if lo - 1e-9 <= value <= hi + 1e-9 and len(ticks) < most and (
                    not ticks or (value - ticks[-1]) * px_per_unit >= LABEL_GAP * label_px):
                ticks.append(value)
        if len(ticks) >= 2:
            break
    return ticks


def power_label(exponent: float) -> str:
    """10**exponent as a short label: 1, 10, 100 as such, else 10⁻⁴, 10⁵ or 2e-3."""
    value = 10.0 ** exponent
    if abs(exponent - round(exponent)) > 1e-6:  # 2 or 5 times a power of ten
        if 1e-3 <= value < 1e4:
            return f"{float(f'{value:.1g}'):g}"
        return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
    k = int(round(exponent))
    if 0 <= k <= 2:
        return str(10 ** k)
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return "10" + str(k).translate(sup)


class DecadeAxis(pg.AxisItem):
    """A log axis that labels only decades, as many as fit without touching."""

    def __init__(self, orientation: str = "left", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def label_height(self) -> float:
        font = self.style.get("tickFont") or QFont()
        metrics = QFontMetrics(font)
        return metrics.height() if self.orientation in ("left", "right") else 40.0

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        return [(1.0, decade_ticks(min(minVal, maxVal), max(minVal, maxVal), size,
                                   self.label_height()))]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:  # noqa: N802
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [power_label(v) for v in values]


def off_scale(series: Iterable[np.ndarray]) -> tuple[str, str]:
    """("↑1 off scale", "1 point above the range: 21") when robust_span leaves points out."""
    arrays = [np.asarray(s, dtype=float).ravel() for s in series]
    span = robust_span(arrays)
    if span is None:
        return "", ""
    values = np.concatenate(arrays)
    values = values[np.isfinite(values)]
    above, below = values[values > span[1]], values[values < span[0]]
    short = " ".join(([f"\u2191{len(above)}"] if len(above) else []) +
                     ([f"\u2193{len(below)}"] if len(below) else []))
    detail = "; ".join(
        ([f"{len(above)} above the range, up to {above.max():.3g}"] if len(above) else []) +
        ([f"{len(below)} below the range, down to {below.min():.3g}"] if len(below) else []))
    return (f"{short} off scale", f"Points left out of the y range: {detail}") if short \
        else ("", "")


class IntegerAxis(pg.AxisItem):
    """An axis of whole things (layer depth): ticks only at integers."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802
        levels = super().tickValues(minVal, maxVal, size)
        whole = [(max(1.0, spacing), [v for v in values if float(v).is_integer()])
                 for spacing, values in levels]
        return [level for level in whole if level[1]] or [(1.0, [float(math.ceil(minVal))])]


def robust_span(series: Iterable[np.ndarray], floor: float | None = None
                ) -> tuple[float, float] | None:
    """The y range that holds every point except spikes, over all series pooled.

    The body is the 1st..99th percentile of all finite points (above `floor`, if given); a
    point stays in range unless it lies more than SPIKE_REACH body-spans beyond it, so a loss
    that starts high and falls keeps its start, and one validation loss of 21 among losses
    near 2 is left out. With few points, every point counts.
    """
    arrays = [np.asarray(s, dtype=float).ravel() for s in series]
    values = np.concatenate(arrays) if arrays else np.zeros(0)
    values = values[np.isfinite(values)]
    if floor is not None:
        values = values[values > floor]
    if len(values) == 0:
        return None
    if len(values) < MIN_ROBUST_POINTS:
        return float(values.min()), float(values.max())
    p_lo, p_hi = np.percentile(values, [1.0, 99.0])
    reach = SPIKE_REACH * max(p_hi - p_lo, 1e-12 * max(1.0, abs(p_hi)))
    kept = values[(values >= p_lo - reach) & (values <= p_hi + reach)]
    return float(kept.min()), float(kept.max())


def snap_span(lo: float, hi: float, parts: int = SNAP_PARTS) -> tuple[float, float]:
    """(lo, hi) widened outward to multiples of a round step (1, 2 or 5 times a power of ten)
    near (hi - lo) / parts: as a run grows, the range (and so the axes, which are slow to
    lay out) changes only when the data crosses a grid line, not at every new point."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return lo, hi
    raw = (hi - lo) / parts
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    # a bound past a grid line by a sliver (the pens' pixel padding) stays on the line: the
    # view's own padding still shows it, and the range does not jump a whole step
    return math.floor(lo / step + SNAP_SLACK) * step, math.ceil(hi / step - SNAP_SLACK) * step


class RobustViewBox(pg.ViewBox):
    """Auto-range (also the "A" button and View All) whose y range ignores spikes.

    `robust` leaves out spikes (robust_span); `floor` (in view units, e.g. log10 of the
    floor a dead layer is drawn at) keeps such points out of the range on a log axis; `snap`
    ("x", "y" or "xy") widens the range of those axes to a round grid (snap_span), so that it
    changes seldom while data grows.
    """

    def __init__(self, robust: bool = False, floor: float | None = None, snap: str = "",
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.robust, self.floor, self.snap = robust, floor, snap

    def childrenBounds(self, frac: object = None, orthoRange: tuple = (None, None),  # noqa: N802
                       items: object = None) -> list:
        bounds = super().childrenBounds(frac=frac, orthoRange=orthoRange, items=items)
        if bounds[1] is not None and (self.robust or self.floor is not None):
            bounds[1] = self._robust_y(items) or bounds[1]
        bounds = [list(snap_span(*b)) if b is not None and axis in self.snap else b
                  for b, axis in zip(bounds, "xy")]
        return bounds

    def _robust_y(self, items: object) -> list[float] | None:
        ys = [item.getData()[1] if isinstance(item, pg.PlotDataItem) else item.shown_y()
              for item in (items or self.addedItems) if item.isVisible() and
              (isinstance(item, pg.PlotDataItem) or hasattr(item, "shown_y"))]  # LayerLines
        ys = [np.asarray(y, dtype=float).ravel() for y in ys if y is not None and len(y)]
        if self.robust:
            span = robust_span(ys, self.floor)
        else:
            values = np.concatenate(ys) if ys else np.zeros(0)
            values = values[np.isfinite(values) & (values > self.floor)]
            span = (float(values.min()), float(values.max())) if len(values) else None
        if span is None:
            return None
        lo, hi = span
        return [lo, hi] if hi > lo else [lo - 0.5, hi + 0.5]


def legend_html(entries: Sequence[tuple[str, str, str]]) -> tuple[str, str]:
    """(html, plain text) of legend entries (label, colour, mark): ("train", "#1f77b4", "━")."""
    parts_html = [f'<span style="color:{colour}">{mark}</span>&nbsp;{html.escape(label)}'
                  for label, colour, mark in entries]
    parts_text = [f"{mark} {label}" for label, _, mark in entries]
    return "&nbsp;&nbsp;".join(parts_html), "  ".join(parts_text)


class ExplorerPlot(pg.PlotWidget):
    """A plot with a title that fits (longest variant that fits; all of it on hover), the
    legend in the title line (never on the data), decade ticks on a log y axis and, if asked,
    a y range that ignores spikes and one that snaps to a round grid (live plots)."""

    def __init__(self, titles: Sequence[str], x: str, y: str, log_y: bool = False,
                 robust_y: bool = False, floor: float | None = None, tip: str = "",
                 integer_x: bool = False, snap: str = "", parent=None) -> None:
        box = RobustViewBox(robust=robust_y, floor=floor, snap=snap)
        axes = {"left": DecadeAxis("left")} if log_y else {}
        if integer_x:
            axes["bottom"] = IntegerAxis("bottom")
        super().__init__(parent, viewBox=box, axisItems=axes)
        self.titles = list(titles)
        self.legend_entries: list[tuple[str, str, str]] = []
        self.shown_title = ""
        self.note = ""  # e.g. "↑1 off scale", shown after the legend
        self.note_detail = ""
        self.description = tip or self.titles[0]
        self.paint_s = 0.0  # CPU time of repaints since the live plots last reset it
        self.setBackground("w")
        self.setLabel("bottom", x)
        self.setLabel("left", y)
        # No grid: it doubles the cost of every repaint (measured), and these plots repaint often.
        self.setLogMode(y=log_y)
        self.getAxis("left").enableAutoSIPrefix(False)
        # A fixed width: a wider tick label would re-lay out (and repaint) the whole plot.
        self.getAxis("left").setWidth(AXIS_WIDTH)
        self.getAxis("bottom").enableAutoSIPrefix(False)
        self.setMinimumSize(150, 90)
        self._update_tooltip()
        self.fit_title()

    def set_legend(self, entries: Sequence[tuple[str, str, str]]) -> None:
        self.legend_entries = list(entries)
        self._update_tooltip()
        self.fit_title()

    def set_note(self, note: str, detail: str = "") -> None:
        """A short remark in the title line, such as how many points a spike put off scale
        (`detail` goes in the tooltip)."""
        if note != self.note or detail != self.note_detail:
            self.note, self.note_detail = note, detail
            self._update_tooltip()
            self.fit_title()

    def _update_tooltip(self) -> None:
        legend = legend_html(self.legend_entries)[1]
        self.setToolTip(f"<b>{html.escape(self.titles[0])}</b><br>{html.escape(self.description)}"
                        + (f"<br>{html.escape(legend)}" if legend else "")
                        + (f"<br>{html.escape(self.note_detail or self.note)}"
                           if self.note else "")
                        + "<br><i>Double-click: open in its own window. Right-click: export "
                        "PNG and CSV.</i>")

    def title_width(self, text: str) -> int:
        return QFontMetrics(_title_font()).horizontalAdvance(text)

    def fit_title(self) -> None:
        """The longest title variant (with the legend, if one fits) that fits the width."""
        axis = self.getAxis("left")  # the title is centred over the data area, not the axis
        room = max(40, self.width() - 24 - (int(axis.width()) if axis.isVisible() else 0))
        legend, legend_text = legend_html(self.legend_entries)
        marks = legend_html([(label[:1], colour, mark)
                             for label, colour, mark in self.legend_entries])
        if self.note:
            note = f'<span style="color:#b00">{html.escape(self.note)}</span>'
            legend, legend_text = f"{legend}&nbsp;&nbsp;{note}", f"{legend_text}  {self.note}"
            marks = (f"{marks[0]}&nbsp;&nbsp;{note}", f"{marks[1]}  {self.note}")
        options = [(t, legend, legend_text) for t in self.titles]
        options += [(self.titles[-1], *marks), (self.titles[-1], "", "")]
        chosen = None
        for title, extra, extra_text in options:
            text = f"{title}   {extra_text}" if extra_text else title
            if self.title_width(text) <= room:
                chosen = (title, extra, text)
                break
        if chosen is None:
            elided = QFontMetrics(_title_font()).elidedText(self.titles[-1], Qt.ElideRight, room)
            chosen = (elided, "", elided)
        title, extra, text = chosen
        self.shown_title = text
        body = html.escape(title) + (f"&nbsp;&nbsp;&nbsp;{extra}" if extra else "")
        self.setTitle(body, size=f"{TITLE_PT}pt")

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        start = time.thread_time()
        super().paintEvent(event)
        self.paint_s += time.thread_time() - start  # the live plots budget frames by it

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if "legend_entries" in self.__dict__:  # pyqtgraph resizes once before __init__ ends
            self.fit_title()

    def data_rows(self) -> list[list]:
        """What the plot shows, for CSV: one row per point, series by name (original values,
        not the log10 the axis draws)."""
        rows: list[list] = [["series", "x", "y"]]
        for k, item in enumerate(self.getPlotItem().listDataItems()):
            xs, ys = item.getOriginalDataset()
            if xs is None or ys is None:
                continue
            name = item.name() or f"curve {k + 1}"
            rows += [[name, _num(x), _num(y)] for x, y in zip(xs, ys)]
        for item in self.getPlotItem().items:
            if hasattr(item, "rows"):  # LayerLines: every layer's curve
                rows += [[name, _num(x), _num(y)] for name, x, y in item.rows()]
            if isinstance(item, pg.ImageItem) and item.image is not None:
                image = np.asarray(item.image)
                rect = item.mapRectToParent(item.boundingRect())
                dx = rect.width() / max(1, image.shape[1])
                label = getattr(item, "row_label", "row")
                rows += [[f"{label} {r}", _num(rect.left() + c * dx), _num(image[r, c])]
                         for r in range(image.shape[0]) for c in range(image.shape[1])]
        return rows


def _title_font() -> QFont:
    font = QFont()
    font.setPointSizeF(TITLE_PT)
    return font


def _num(value) -> str:
    value = float(value)
    return f"{value:.6g}" if math.isfinite(value) else ""
