"""The monitor's widgets: each draws its part of a snapshot, and only when given a new one."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from ..monitor.snapshot import EMPTY_SNAPSHOT, LatencyTable, RunPhase, RunView, Snapshot
from . import units
from .canvas import BrailleCanvas
from .figures import CORRECTED_COLOURS, RUN_COLOURS, TARGET_COLOUR, Figure, other_colour, run_colour, short_label

_GUTTER = 8
"""A chart of fewer rows keeps its legend on one line (cropped): its plot needs them more."""


class BraillePlot(Widget):
    """A chart drawn in braille dots from a :class:`Figure`.

    Lines are built as strips of segments once per figure (or size) and handed
    out by :meth:`render_line`: no markup, no text layout on the way to the screen.
    """

    DEFAULT_CSS = """
    BraillePlot { border: round $primary-background-lighten-2; padding: 0 1; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = title
        self._figure = Figure(note="")
        self._lines: list[Strip] = []
        self._built_for: tuple[Figure, Size] | None = None

    def show(self, figure: Figure) -> None:
        """Draw ``figure`` at the next refresh (the app only builds a figure when its snapshot changed)."""
        self._figure = figure
        self.refresh()

    def render_line(self, y: int) -> Strip:
        size = self.content_size
        if self._built_for != (self._figure, size):
            self._lines = [Strip(line) for line in plot_lines(self._figure, size.width, size.height)]
            self._built_for = (self._figure, size)
        return self._lines[y].crop_extend(0, size.width, None) if y < len(self._lines) else Strip.blank(size.width)


class TimelinePlot(BraillePlot):
    """A chart over the run's time on which a range is chosen by dragging the mouse across it
    (where the terminal reports the mouse): it posts :class:`TimelinePlot.RangeChosen` on release."""

    class RangeChosen(Message):
        """The seconds dragged across, in the order dragged."""

        def __init__(self, start_s: float, end_s: float) -> None:
            super().__init__()
            self.start_s = start_s
            self.end_s = end_s

    _drag_from: int | None = None

    def _seconds_at(self, column: int) -> float | None:
        """The time under ``column`` of the content area, on the figure's axis; ``None`` without one."""
        span = self._figure.x_span
        plot_w = self.content_size.width - _GUTTER
        if span is None or self._figure.note or plot_w < 2:
            return None
        fraction = min(max((column - _GUTTER) / (plot_w - 1), 0.0), 1.0)
        return span[0] + fraction * (span[1] - span[0])

    def on_mouse_down(self, event: events.MouseDown) -> None:
        at = event.get_content_offset(self)
        if event.button == 1 and at is not None and self._seconds_at(at.x) is not None:
            self._drag_from = at.x
            self.capture_mouse()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        start, self._drag_from = self._drag_from, None
        if start is None:
            return
        self.release_mouse()
        # Released beyond the plot (the mouse is captured): the column is clamped onto its edge.
        end = event.get_content_offset_capture(self).x
        if end == start:
            return  # a click, not a drag: nothing chosen
        start_s, end_s = self._seconds_at(start), self._seconds_at(end)
        if start_s is not None and end_s is not None:
            self.post_message(self.RangeChosen(start_s, end_s))


_DIM = Style(dim=True)


@functools.lru_cache(maxsize=32)
def _style(colour: str) -> Style:
    return Style(color=colour) if colour else Style()


def plot_lines(figure: Figure, width: int, height: int) -> list[list[Segment]]:
    """The chart as rows of segments: a legend, the plot with its y labels, the x labels."""
    lines = _legend_lines(figure.legend, width)
    if figure.note or width <= _GUTTER + 2 or height < 4:
        return [*lines[:1], [Segment(figure.note, _DIM)]]
    # A legend wider than the chart goes on as many lines as it needs, while the plot keeps 3 rows.
    lines = lines[: max(1, height - 4)]
    plot_w, plot_h = width - _GUTTER, height - 1 - len(lines)
    canvas = BrailleCanvas(plot_w, plot_h)
    colours: list[str] = []

    def colour_index(colour: str) -> int:
        if colour not in colours:
            colours.append(colour)
        return colours.index(colour)

    for x, colour in figure.marks:
        canvas.marks(np.array([x]), colour_index(colour))
    for y, colour in figure.hlines:
        canvas.hline(y, colour_index(colour))
    for x, colour in figure.vlines:
        canvas.vline(x, colour_index(colour))
    for trace in figure.traces:
        canvas.plot(trace.x, trace.y, colour_index(trace.colour), connect=trace.connect)
    labels = {min(plot_h - 1, max(0, round((1.0 - y) * (plot_h - 1)))): text for y, text in figure.y_ticks}
    for row_index, row in enumerate(canvas.rows()):
        line = [Segment(f"{labels.get(row_index, ''):>{_GUTTER - 1}}┤", _DIM)]
        # One segment per run of a colour, not per cell: a frame has thousands of cells.
        for index, run in itertools.groupby(row, key=lambda cell: cell[1]):
            line.append(Segment("".join(ch for ch, _ in run), _style(colours[index]) if index >= 0 else None))
        lines.append(line)
    axis = [" "] * width
    for x, text in figure.x_ticks:
        at = _GUTTER + round(x * (plot_w - 1)) - len(text) // 2
        at = max(_GUTTER, min(at, width - len(text)))
        if all(c == " " for c in axis[max(at - 1, 0) : at + len(text) + 1]):
            axis[at : at + len(text)] = text
    lines.append([Segment("".join(axis), _DIM)])
    return lines


def _legend_lines(legend: tuple[tuple[str, str], ...], width: int) -> list[list[Segment]]:
    """The legend's entries, two spaces apart, on one line, or on more when they do not fit in ``width``."""
    lines: list[list[Segment]] = [[]]
    used = 0
    for text, colour in legend:
        if used and used + cell_len(text) > width:
            lines.append([])
            used = 0
        lines[-1] += [Segment(text, _style(colour)), Segment("  ")]
        used += cell_len(text) + 2
    return lines


class HeaderBar(Static):
    """Scenario, implementation, mode, load shape, phase, elapsed time and interval."""

    DEFAULT_CSS = (
        "HeaderBar { height: 2; background: $primary-background; padding: 0 1; text-wrap: nowrap; "
        "text-overflow: ellipsis; }"
    )

    def show(self, snapshot: Snapshot, *, paused: bool = False) -> None:
        """Write the snapshot's header (saying so when drawing is paused)."""
        self.update(header_text(snapshot, paused=paused), layout=False)


_PHASE_STYLES = {RunPhase.FAILED: "bold red", RunPhase.MEASURE: "green", RunPhase.DONE: "bold green"}
_PHASE_WORDS = {RunPhase.WARMUP: "warm-up", RunPhase.MEASURE: "measuring"}
"""The load's phases as the header says them."""


def header_text(snapshot: Snapshot, *, paused: bool = False) -> Text:
    """The two header lines: what runs (or was recorded) on which implementation with which load, and where it is."""
    run = snapshot.runs[0] if snapshot.runs else RunView(label="")
    p = run.params
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("nimsync-tui ", style="bold")
    text.append(f"{snapshot.selected or '-'}", style="bold #5fd7ff")
    if len(snapshot.runs) > 1:
        text.append(f"  {' vs '.join(short_label(r.label) for r in snapshot.runs)} in turns")
    elif snapshot.mode == "replay":
        # A tag names the scenario already: say what ran it, as the log's start event recorded.
        impl = p.get("impl")
        text.append(f"  {impl}" if impl else f"  {snapshot.source_name} (no load parameters in it)")
    elif snapshot.runs:
        text.append(f"  {snapshot.runs[0].label}")
    text.append("\n")
    if snapshot.mode == "replay":
        shown, total = snapshot.position
        state = "playing" if snapshot.playing else "stepping"
        more = "" if snapshot.loaded else " (loading)"
        where = f"intervals {snapshot.first + 1}-{shown}" if snapshot.first else f"interval {shown}"
        text.append(f"replay  {where}/{total}{more}  {state}  values in {snapshot.value_unit}")
        if "capacity" in p:
            text.append(f"  capacity {p['capacity']}  {p.get('producers', '-')}x{p.get('consumers', '-')}")
    else:
        # The implementation is on the first line; producers x consumers here.
        if paused:
            text.append("drawing paused", style="reverse yellow")
            text.append(" (the load goes on)  ")
        else:
            text.append("live  ")
        if snapshot.range_s is not None:
            # The figures below are of these intervals; the load goes on past them (w: the whole run again).
            first, (end, total) = snapshot.first, snapshot.position
            text.append(f"range intervals {first + 1}-{end}/{total}", style="reverse #ffd75f")
            text.append("  ")
        text.append(f"capacity {p.get('capacity', '-')}  {p.get('producers', '-')}x{p.get('consumers', '-')}")
    text.append("  phase ")
    for index, each in enumerate(snapshot.runs or (run,)):
        if index:
            text.append("/")
        text.append(_PHASE_WORDS.get(each.phase, each.phase), style=_PHASE_STYLES.get(each.phase, "yellow"))
    interval = f"{run.interval_s:g}s" if run.interval_s else "-"
    # Live, the time the load has measured, whatever range is shown.
    elapsed = (snapshot.whole or run).elapsed_s if snapshot.mode == "live" else run.elapsed_s
    text.append(f"  elapsed {units.seconds(elapsed)}  interval {interval}")
    failed = [r for r in snapshot.runs if r.message]
    if failed:
        text.append(f"  {failed[0].message}", style="bold red")
    return text


class LatencyTableView(Static):
    """p50 .. max, mean, stddev, count, overflow and the measurement floor of the run so far."""

    DEFAULT_CSS = "LatencyTableView { border: round $primary-background-lighten-2; padding: 0 1; }"

    _width = 0

    def show(self, snapshot: Snapshot) -> None:
        """Write the snapshot's table; laid out again only when its width changes (a column's heading can)."""
        text = table_text(snapshot)
        width = max((cell_len(line) for line in text.plain.splitlines()), default=0)
        self.update(text, layout=width != self._width)
        self._width = width


def table_columns(snapshot: Snapshot) -> list[tuple[str, LatencyTable, str]]:
    """(heading, statistics, colour) of each column: each run, and beside it its corrected latency if open-loop;
    then each other implementation measured on the scenario (:attr:`Snapshot.others`)."""
    columns = []
    single = len(snapshot.runs) == 1 and not snapshot.others
    runs = [(run, run_colour(i)) for i, run in enumerate(snapshot.runs)]
    runs += [(run, other_colour(snapshot, i)) for i, run in enumerate(snapshot.others)]
    for index, (run, colour) in enumerate(runs):
        label = short_label(run.label)
        columns.append(("service" if single else label, run.table, colour))
        if run.corrected_table is not None:
            heading = "corrected" if single else f"{label} corr"
            columns.append((heading, run.corrected_table, CORRECTED_COLOURS[index % len(CORRECTED_COLOURS)]))
    if len(columns) == 1:
        columns = [("", columns[0][1], columns[0][2])]  # one run, one column: no heading needed
    return columns


_TABLE_ROWS: tuple[tuple[str, Callable[[LatencyTable], str]], ...] = (
    ("p50", lambda t: units.latency(t.p50)),
    ("p90", lambda t: units.latency(t.p90)),
    ("p99", lambda t: units.latency(t.p99)),
    ("p99.9", lambda t: units.latency(t.p999)),
    ("p99.99", lambda t: units.latency(t.p9999)),
    ("max", lambda t: units.latency(t.max)),
    ("mean", lambda t: units.latency(t.mean)),
    ("stddev", lambda t: units.latency(t.stddev)),
    ("count", lambda t: units.exact_count(t.count)),  # whole while it fits: it is checked against the log
    ("overflow", lambda t: str(t.overflow)),
    ("floor", lambda t: units.latency(t.floor_ns)),
)


def table_text(snapshot: Snapshot) -> Text:
    """The table's lines: one column per run, and per open-loop run's corrected latency."""
    columns = table_columns(snapshot)
    # A column is as wide as its heading and a space, at least 9.
    widths = [max(9, len(heading) + 1) for heading, _, _ in columns]
    text = Text(no_wrap=True, overflow="crop")
    if any(heading for heading, _, _ in columns):
        text.append(" " * 9)
        for (heading, _, colour), width in zip(columns, widths, strict=True):
            text.append(f"{heading:>{width}}", style=colour)
        text.append("\n")
    for name, cell in _TABLE_ROWS:
        text.append(f"{name:<9}", style="dim")
        for (_, table, colour), width in zip(columns, widths, strict=True):
            value = cell(table)
            style = "bold red" if name == "overflow" and value != "0" else colour
            text.append(f"{value:>{width}}", style=style)
        text.append("\n")
    return text


class StepChart(Static):
    """Throughput per step of a stepped scenario, as bars."""

    DEFAULT_CSS = "StepChart { border: round $primary-background-lighten-2; padding: 0 1; }"

    def show(self, snapshot: Snapshot) -> None:
        """Write the snapshot's steps; the pane is hidden when the scenario is not stepped."""
        self.display = has_steps(snapshot)
        self.update(steps_text(snapshot, max(self.content_size.width, 20)), layout=False)


def has_steps(snapshot: Snapshot) -> bool:
    """Whether the run on screen is a stepped scenario with a step measured."""
    return bool(snapshot.runs and snapshot.runs[0].steps)


def steps_text(snapshot: Snapshot, width: int) -> Text:
    """One bar per step."""
    run = snapshot.runs[0] if snapshot.runs else None
    text = Text(no_wrap=True, overflow="crop")
    if run is None or not run.steps:
        return text
    top = max(rate for _, rate in run.steps) or 1.0
    label_w = max(len(step) for step, _ in run.steps)
    bar_w = max(width - label_w - 9, 1)
    for step, rate in run.steps:
        text.append(f"{step:<{label_w}} ", style="dim")
        text.append("█" * max(1, round(bar_w * rate / top)), style=RUN_COLOURS[0])
        text.append(f" {units.count(rate)}\n")
    if snapshot.target_ops_s:
        text.append(f"target {units.count(snapshot.target_ops_s)}/s", style=TARGET_COLOUR)
    return text


__all__ = ["EMPTY_SNAPSHOT", "BraillePlot", "HeaderBar", "LatencyTableView", "StepChart", "TimelinePlot"]
