"""What each chart shows, built from a snapshot as plain data (no Textual): traces, ticks and legends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..monitor.curves import MAX_NINES
from ..monitor.snapshot import RunView, Snapshot
from . import units
from .canvas import NINES_LABELS, Scale, decade_ticks, linear_scale_for, log_scale_for, nice_ticks, nines

RUN_COLOURS = ("#5fd7ff", "#87d75f")
"""The run so far: ours, then the compared implementation."""
LATEST_COLOUR = "#ffd75f"
BASELINE_COLOUR = "#d787d7"
TARGET_COLOUR = "#ff5f5f"
GC_COLOUR = "#ff8700"


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
    legend: tuple[tuple[str, str], ...] = ()
    """(text, colour) pairs shown above the plot."""
    note: str = ""
    """Shown instead of the plot when there is nothing to draw."""


def percentile_figure(snapshot: Snapshot) -> Figure:
    """Latency by percentile, x on the log scale of 1/(1-p), y on a log scale with units."""
    curves: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    for index, run in enumerate(snapshot.runs):
        colour = RUN_COLOURS[index % len(RUN_COLOURS)]
        if not run.total.empty:
            name = "run so far" if len(snapshot.runs) == 1 else short_label(run.label)
            curves.append((name, colour, run.total.levels, run.total.values_ns))
        if index == 0 and not run.latest.empty and snapshot.mode == "live":
            curves.append(("latest interval", LATEST_COLOUR, run.latest.levels, run.latest.values_ns))
    if not snapshot.baseline.empty:
        label = f"baseline {snapshot.baseline_label}".strip()
        curves.append((label, BASELINE_COLOUR, snapshot.baseline.levels, snapshot.baseline.values_ns))
    if not curves:
        return Figure(note="waiting for the first measured interval")
    y = log_scale_for([c[3] for c in curves])
    x = Scale(0.0, float(MAX_NINES))
    return Figure(
        traces=tuple(Trace(x.unit(nines(levels)), y.unit(values), colour) for _, colour, levels, values in curves),
        x_ticks=tuple((k / MAX_NINES, label) for k, label in enumerate(NINES_LABELS)),
        y_ticks=tuple((float(y.unit(np.array([t]))[0]), units.latency(t)) for t in decade_ticks(y)),
        legend=tuple((name, colour) for name, colour, _, _ in curves),
    )


def throughput_figure(snapshot: Snapshot) -> Figure:
    """Operations per second per interval over time, with the target line."""
    runs = [r for r in snapshot.runs if not r.throughput.empty]
    if not runs:
        note = "no throughput in this log" if snapshot.mode == "replay" else "waiting for throughput"
        return Figure(note=note)
    target = snapshot.target_ops_s
    x = _time_scale(runs, lambda r: r.throughput.t_s)
    y = linear_scale_for([r.throughput.values for r in runs], include=[target] if target else [])
    legend = []
    traces = []
    for index, run in enumerate(snapshot.runs):
        if run.throughput.empty:
            continue
        colour = RUN_COLOURS[index % len(RUN_COLOURS)]
        traces.append(Trace(x.unit(run.throughput.t_s), y.unit(run.throughput.values), colour))
        s = run.throughput
        # Compared runs share the legend line: the stddev is left to the CV there.
        sd = f" sd {units.count(s.stddev)}" if len(runs) == 1 else ""
        stats = f"mean {units.count(s.mean)}/s{sd} cv {s.cv:.1%}"
        legend.append((f"{short_label(run.label)} {stats}", colour))
    if len(runs) == 2 and runs[1].throughput.mean > 0:
        legend.insert(0, (f"ratio {runs[0].throughput.mean / runs[1].throughput.mean:.2f}x", "white"))
    hlines = ((float(y.unit(np.array([target]))[0]), TARGET_COLOUR),) if target else ()
    if target:
        legend.append((f"target {units.count(target)}/s", TARGET_COLOUR))
    return Figure(
        traces=tuple(traces),
        x_ticks=_ticks(x, units.seconds),
        y_ticks=_ticks(y, units.count),
        hlines=hlines,
        legend=tuple(legend),
    )


def memory_figure(snapshot: Snapshot) -> Figure:
    """The load process's RSS over time, full garbage collections marked."""
    run = snapshot.runs[0] if snapshot.runs else None
    if run is None or run.rss.empty:
        note = "no memory figures in this log" if snapshot.mode == "replay" else "waiting for memory figures"
        return Figure(note=note)
    x = _time_scale([run], lambda r: r.rss.t_s)
    y = linear_scale_for([run.rss.values], zero=False)
    heap = run.heap.values[-1] if not run.heap.empty else 0.0
    legend = [
        (f"RSS {units.mebibytes(run.rss.values[-1])}", RUN_COLOURS[0]),
        (f"heap {units.count(heap)} blocks", "white"),
    ]
    if run.gc_marks_s.size:
        legend.append((f"▁ full GC x{run.gc_marks_s.size}", GC_COLOUR))
    return Figure(
        traces=(Trace(x.unit(run.rss.t_s), y.unit(run.rss.values), RUN_COLOURS[0]),),
        x_ticks=_ticks(x, units.seconds),
        y_ticks=_ticks(y, units.mebibytes),
        marks=tuple((float(v), GC_COLOUR) for v in x.unit(run.gc_marks_s)),
        legend=tuple(legend),
    )


def short_label(label: str) -> str:
    """A run's label in a few letters, for legends and table columns."""
    if label.startswith("trio"):
        return "trio"
    if label.startswith("nimsync"):
        return "nimsync/1" if "every op)" in label else "nimsync"
    return label


def _time_scale(runs: list[RunView], times: Callable[[RunView], np.ndarray]) -> Scale:
    arrays = [times(r) for r in runs]
    lo = min(float(a.min()) for a in arrays)
    hi = max(float(a.max()) for a in arrays)
    return Scale(lo, hi if hi > lo else lo + 1.0)


def _ticks(scale: Scale, label: Callable[[float], str]) -> tuple[tuple[float, str], ...]:
    return tuple((float(scale.unit(np.array([t]))[0]), label(t)) for t in nice_ticks(scale))
