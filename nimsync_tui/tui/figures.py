"""What each chart shows, built from a snapshot as plain data (no Textual): traces, ticks and legends."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..monitor.curves import MAX_NINES
from ..monitor.snapshot import LatencyOverTime, RunView, Series, Snapshot, TargetLine
from . import units
from .canvas import NINES_LABELS, Scale, decade_ticks, linear_scale_for, log_scale_for, nice_ticks, nines

RUN_COLOURS = ("#5fd7ff", "#87d75f", "#af87ff", "#ff875f", "#5fafaf", "#d7af5f", "#87afd7", "#d75f87")
"""Each implementation's run so far: ours (or the first compared), each other compared, then each
implementation measured before a switch (:attr:`Snapshot.others`), in turn."""
CORRECTED_COLOURS = ("#ff87d7", "#d7d787")
"""An open-loop run's corrected latency (from each operation's intended start), per run."""
LATEST_COLOUR = "#ffd75f"
BASELINE_COLOUR = "#d787d7"
TARGET_COLOUR = "#ff5f5f"
"""A target missed (and the throughput target's line before the app judged it)."""
PASS_COLOUR = "#5fd75f"
"""A target met."""
UNJUDGED_COLOUR = "#8a8a8a"
"""A target whose figure is not measured yet."""
GC_COLOUR = "#ff8700"
OVERLAY_COLOURS = ("#af87ff", "#ff875f", "#5fafaf", "#d7af5f", "#87afd7", "#d75f87")
"""Further curves drawn over the run's (other tags, implementations, baselines), in turn."""
OVER_TIME_COLOURS = (
    ("p50", "#5fd7ff"),
    ("p90", "#87d75f"),
    ("p99", "#ffd75f"),
    ("p99.9", "#ff87d7"),
    ("max", "#d7d7d7"),
)
"""The percentiles over time, from the median up, as HistogramLogAnalyzer draws them."""


@dataclass(frozen=True, slots=True, eq=False)
class Trace:
    """One curve, as fractions of the plot area (0..1, y upwards)."""

    x: np.ndarray
    y: np.ndarray
    colour: str
    connect: bool = True


@dataclass(frozen=True, slots=True, eq=False)
class Figure:
    """A chart's content, independent of its size on screen."""

    traces: tuple[Trace, ...] = ()
    x_ticks: tuple[tuple[float, str], ...] = ()
    y_ticks: tuple[tuple[float, str], ...] = ()
    hlines: tuple[tuple[float, str], ...] = ()
    marks: tuple[tuple[float, str], ...] = ()
    """Events in time (garbage collections): a tick on the bottom edge at each x."""
    vlines: tuple[tuple[float, str], ...] = ()
    """Vertical lines at x (the bounds of a chosen range)."""
    legend: tuple[tuple[str, str], ...] = ()
    """(text, colour) pairs shown above the plot."""
    note: str = ""
    """Shown instead of the plot when there is nothing to draw."""
    x_span: tuple[float, float] | None = None
    """The x values at the plot's left and right edges, for a chart whose x a range is chosen on (seconds)."""


def percentile_figure(snapshot: Snapshot) -> Figure:
    """Latency by percentile, x on the log scale of 1/(1-p), y on a log scale with units."""
    curves: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    single = len(snapshot.runs) == 1 and not snapshot.others
    for index, run in enumerate(snapshot.runs):
        colour = run_colour(index)
        if not run.total.empty:
            name = "run so far" if single else short_label(run.label)
            curves.append((name, colour, run.total.levels, run.total.values_ns))
        if not run.corrected.empty:
            name = "corrected" if single else f"{short_label(run.label)} corrected"
            corrected = CORRECTED_COLOURS[index % len(CORRECTED_COLOURS)]
            curves.append((name, corrected, run.corrected.levels, run.corrected.values_ns))
        if index == 0 and not run.latest.empty and snapshot.mode == "live" and snapshot.range_s is None:
            curves.append(("latest interval", LATEST_COLOUR, run.latest.levels, run.latest.values_ns))
    for index, other in enumerate(snapshot.others):
        if not other.total.empty:
            name, colour = short_label(other.label), other_colour(snapshot, index)
            curves.append((name, colour, other.total.levels, other.total.values_ns))
    for index, (name, curve) in enumerate(snapshot.overlays):
        if not curve.empty:
            curves.append((name, OVERLAY_COLOURS[index % len(OVERLAY_COLOURS)], curve.levels, curve.values_ns))
    if not snapshot.baseline.empty:
        label = f"baseline {snapshot.baseline_label}".strip()
        curves.append((label, BASELINE_COLOUR, snapshot.baseline.levels, snapshot.baseline.values_ns))
    if not curves:
        return Figure(note="waiting for the first measured interval")
    targets = latency_targets(snapshot)
    y = log_scale_for([c[3] for c in curves] + [np.array([t.value for t in targets])])
    x = Scale(0.0, float(MAX_NINES))
    return Figure(
        traces=tuple(Trace(x.unit(nines(levels)), y.unit(values), colour) for _, colour, levels, values in curves),
        x_ticks=tuple((k / MAX_NINES, label) for k, label in enumerate(NINES_LABELS)),
        y_ticks=_decades(y),
        hlines=_target_hlines(targets, y),
        legend=tuple((name, colour) for name, colour, _, _ in curves) + _target_legend(targets),
    )


def over_time_figure(snapshot: Snapshot) -> Figure:
    """p50, p90, p99, p99.9 and max of each interval over time, on a log latency axis, with the latency targets.

    With a range chosen (replay or live), the whole run is drawn and the range is marked by two lines.
    """
    run = snapshot.whole or (snapshot.runs[0] if snapshot.runs else None)
    line = run.over_time if run is not None else LatencyOverTime()
    if line.empty:
        return Figure(note="waiting for the first measured interval")
    curves = [(name, colour, values) for (name, colour), values in zip(OVER_TIME_COLOURS, _tail(line), strict=True)]
    targets = latency_targets(snapshot)
    y = log_scale_for([values for _, _, values in curves] + [np.array([t.value for t in targets])])
    x = _time_axis(line)
    return Figure(
        traces=tuple(Trace(x.unit(line.t_s), y.unit(values), colour) for _, colour, values in curves),
        x_ticks=_ticks(x, units.seconds),
        y_ticks=_decades(y),
        hlines=_target_hlines(targets, y),
        vlines=_range_lines(snapshot, x),
        legend=tuple((name, colour) for name, colour, _ in curves) + _target_legend(targets),
        x_span=(x.lo, x.hi),
    )


def _tail(line: LatencyOverTime) -> tuple[np.ndarray, ...]:
    return (line.p50, line.p90, line.p99, line.p999, line.max)


def _time_axis(line: LatencyOverTime) -> Scale:
    """From the run's start (a point is drawn at its interval's end) to the last point."""
    step = float(line.t_s[1] - line.t_s[0]) if line.t_s.size > 1 else 1.0
    lo = max(0.0, float(line.t_s[0]) - step)
    return Scale(lo, max(float(line.t_s[-1]), lo + step))


def count_figure(snapshot: Snapshot) -> Figure:
    """Values recorded per interval: what a log without throughput comments says of its load.

    Like the timeline, the whole run is drawn and a chosen range marked; the mean is the range's.
    """
    run = snapshot.runs[0] if snapshot.runs else None
    whole = snapshot.whole or run
    if run is None or whole is None or whole.over_time.empty:
        return Figure(note="waiting for the first measured interval")
    line = whole.over_time
    x = _time_axis(line)
    y = linear_scale_for([line.count])
    shown = run.over_time.count
    mean = units.count(float(shown.mean())) if shown.size else "-"
    return Figure(
        traces=(Trace(x.unit(line.t_s), y.unit(line.count), RUN_COLOURS[0]),),
        x_ticks=_ticks(x, units.seconds),
        y_ticks=_ticks(y, units.count),
        vlines=_range_lines(snapshot, x),
        legend=((f"values per interval  mean {mean}", RUN_COLOURS[0]),),
        x_span=(x.lo, x.hi),
    )


def _range_lines(snapshot: Snapshot, x: Scale) -> tuple[tuple[float, str], ...]:
    if snapshot.range_s is None:
        return ()
    return tuple((float(x.unit(np.array([t]))[0]), LATEST_COLOUR) for t in snapshot.range_s)


_LATENCY_PERCENTILE = {"latency_p50_ns": "p50", "latency_p95_ns": "p95", "latency_p99_ns": "p99",
                       "latency_p999_ns": "p99.9", "latency_max_ns": "max", "latency_mean_ns": "mean"}  # fmt: skip


def latency_targets(snapshot: Snapshot) -> tuple[TargetLine, ...]:
    """The selected scenario's targets on a latency (drawn on the spectrum and the timeline)."""
    return tuple(t for t in snapshot.targets if t.metric in _LATENCY_PERCENTILE)


def verdict_colour(target: TargetLine) -> str:
    """Green when met, red when missed, grey before its figure is measured."""
    return UNJUDGED_COLOUR if target.passed is None else PASS_COLOUR if target.passed else TARGET_COLOUR


def _target_hlines(targets: tuple[TargetLine, ...], y: Scale) -> tuple[tuple[float, str], ...]:
    return tuple((float(y.unit(np.array([t.value]))[0]), verdict_colour(t)) for t in targets)


def _target_legend(targets: tuple[TargetLine, ...]) -> tuple[tuple[str, str], ...]:
    marks = {None: "", True: " ✓", False: " ✗"}
    return tuple(
        (f"─ {_LATENCY_PERCENTILE[t.metric]} {t.op} {units.latency(t.value)}{marks[t.passed]}", verdict_colour(t))
        for t in targets
    )


def _decades(y: Scale) -> tuple[tuple[float, str], ...]:
    return tuple((float(y.unit(np.array([t]))[0]), units.latency(t)) for t in decade_ticks(y))


def throughput_figure(snapshot: Snapshot) -> Figure:
    """Operations per second per interval over time, with the target line.

    A target far below the curve would sit on the zero line and read as a collapse:
    its line carries its own label on the axis.
    """
    runs = [r for r in snapshot.runs if not r.throughput.empty]
    if not runs:
        return Figure(note="waiting for throughput")
    target = snapshot.target_ops_s
    x = _time_scale(runs, lambda r: r.throughput.t_s)
    y = linear_scale_for([r.throughput.values for r in runs], include=[target] if target else [])
    legend = []
    traces = []
    first = snapshot.runs[0].throughput
    for index, run in enumerate(snapshot.runs):
        if run.throughput.empty:
            continue
        colour = run_colour(index)
        traces.append(Trace(x.unit(run.throughput.t_s), y.unit(run.throughput.values), colour))
        legend.append((f"{short_label(run.label)} {_rate_stats(run.throughput, index, len(runs), first)}", colour))
    y_ticks = _ticks(y, units.count)
    y_ticks = _ticks(y, units.count)
    hlines: tuple[tuple[float, str], ...] = ()
    if target:
        line = next((t for t in snapshot.targets if t.metric == "throughput_ops_s"), None)
        colour = TARGET_COLOUR if line is None else verdict_colour(line)
        at = float(y.unit(np.array([target]))[0])
        hlines = ((at, colour),)
        # The target's own label on its row, in place of any tick it would be mistaken for.
        y_ticks = (*y_ticks, (at, units.count(target)))
        verdict = "" if line is None or line.passed is None else " ✓" if line.passed else " ✗"
        legend.append((f"─ target {units.count(target)}/s{verdict}", colour))
    return Figure(
        traces=tuple(traces),
        x_ticks=_ticks(x, units.seconds),
        y_ticks=y_ticks,
        hlines=hlines,
        legend=tuple(legend),
    )


def _rate_stats(s: Series, index: int, compared: int, first: Series) -> str:
    """A run's throughput in the legend: alone its mean, stddev and CV; compared, the first's mean and CV, then
    each other's ratio to it (as the side-by-side table has it), with its mean and CV when there are only two."""
    if not s.measured:
        # Only intervals cut short so far: a mean of them would not be the steady rate.
        return "mean unmeasured (no full interval)"
    mean = f"mean {units.count(s.mean)}/s"
    if compared == 1:
        return f"{mean} sd {units.count(s.stddev)} cv {s.cv:.1%}"
    if index == 0 or not (first.measured and first.mean > 0):
        return f"{mean} cv {s.cv:.1%}"
    ratio = f"{s.mean / first.mean:.2f}x"
    # Three or more share two legend lines: the ratio alone.
    return f"{mean} {ratio} cv {s.cv:.1%}" if compared == 2 else ratio


def memory_figure(snapshot: Snapshot) -> Figure:
    """The load process's RSS over time, full garbage collections marked."""
    run = snapshot.runs[0] if snapshot.runs else None
    if run is None or run.rss.empty:
        return Figure(note="waiting for memory figures")
    x = _time_scale([run], lambda r: r.rss.t_s)
    y = linear_scale_for([run.rss.values], zero=False)
    heap = run.heap.values[-1] if not run.heap.empty else 0.0
    legend = [
        (f"RSS {units.mebibytes(run.rss.values[-1])}", RUN_COLOURS[0]),
        (f"heap {units.count(heap)} blocks", "white"),
    ]
    if run.full_gcs:
        legend.append((f"▁ full GC x{run.full_gcs}", GC_COLOUR))
    ticks = nice_ticks(y)
    # As many decimals as the ticks' step needs: a flat RSS must not label three rows alike.
    step = (ticks[1] - ticks[0]) / 2**20 if len(ticks) > 1 else 1.0
    decimals = max(1, math.ceil(-math.log10(step))) if step > 0 else 1
    return Figure(
        traces=(Trace(x.unit(run.rss.t_s), y.unit(run.rss.values), RUN_COLOURS[0]),),
        x_ticks=_ticks(x, units.seconds),
        y_ticks=tuple((float(y.unit(np.array([t]))[0]), units.mebibytes(t, decimals)) for t in ticks),
        marks=tuple((float(v), GC_COLOUR) for v in x.unit(run.gc_marks_s)),
        legend=tuple(legend),
    )


def short_label(label: str) -> str:
    """A run's label in a few letters, for legends and table columns: its loop only when not its own name."""
    if label.startswith("trio.open_memory_channel ("):
        return "trio"
    if label.startswith("nimsync ("):
        return "nimsync/1" if "every op)" in label else "nimsync"
    impl, on, loop = label.rpartition(" on ")
    return impl if on and impl == loop else label


def run_colour(index: int) -> str:
    """The colour of a snapshot's ``runs[index]``: on the spectrum, the throughput and its table column."""
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def other_colour(snapshot: Snapshot, index: int) -> str:
    """The colour of ``snapshot.others[index]``, after the runs'."""
    return RUN_COLOURS[(len(snapshot.runs) + index) % len(RUN_COLOURS)]


def _time_scale(runs: list[RunView], times: Callable[[RunView], np.ndarray]) -> Scale:
    arrays = [times(r) for r in runs]
    lo = min(float(a.min()) for a in arrays)
    hi = max(float(a.max()) for a in arrays)
    return Scale(lo, hi if hi > lo else lo + 1.0)


def _ticks(scale: Scale, label: Callable[[float], str]) -> tuple[tuple[float, str], ...]:
    return tuple((float(scale.unit(np.array([t]))[0]), label(t)) for t in nice_ticks(scale))
