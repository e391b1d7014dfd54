"""Trends across commits: a metric's value per commit on one machine, and where it changed.

Change points come from ruptures' PELT search over the logarithms of the
per-commit figures (a change is a ratio, as in a compare). Its penalty grows
with the series' own noise, estimated robustly from commit-to-commit steps
(the median step, so one jump does not count as noise), and never falls below
the metric's threshold: a step smaller than what a compare
would call a change is no change point. A series regressed when the segment
holding the newest commit is worse than the one before it by more than the
threshold, and the same segments of the figures per CPU-second of the load
(as a compare weighs them) agree: on a shared machine the load's share of a core
moves from run to run, and a change that it explains is named, not a regression.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .compare import COMPARED_METRICS, Kind
from .history import Point
from .units import format_figure

SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class ChangePoint:
    """The first commit of a new segment, and how that segment compares with the one before."""

    commit: str
    ratio: float
    """Segment after / segment before (geometric means)."""
    regression: bool
    """Worse by more than the threshold, per CPU-second too."""
    machine_may_explain: bool = False
    """Worse by more than the threshold on the wall clock only: the load's share of a core explains it."""


@dataclass(frozen=True, slots=True)
class Series:
    """One metric of one scenario row on one machine and implementation, by commit (oldest first)."""

    machine: str
    implementations: tuple[str, ...]
    """The implementation(s) each commit ran (``--impl``), joined by ``+``."""
    loop: str
    scenario: str
    step: str
    metric: str
    kind: Kind
    threshold: float
    commits: tuple[str, ...]
    values: tuple[float, ...]
    """The median of each commit's runs."""
    change_points: tuple[ChangePoint, ...]

    @property
    def implementation(self) -> str:
        """The implementations in the order the commits ran them: ``nimsync..trio`` when it changed."""
        return "..".join(dict.fromkeys(self.implementations))

    @property
    def row(self) -> str:
        """The row's name as a run prints it."""
        return f"{self.scenario}.{self.step}" if self.step else self.scenario

    @property
    def regressed(self) -> bool:
        """The newest commit sits after a change point that is a regression past the threshold."""
        return bool(self.change_points) and self.change_points[-1].regression

    def sparkline(self) -> str:
        """The values as block characters, lowest to highest."""
        low, high = min(self.values), max(self.values)
        if high == low:
            return SPARKS[0] * len(self.values)
        return "".join(SPARKS[round((v - low) / (high - low) * (len(SPARKS) - 1))] for v in self.values)


def series_of(points: Sequence[Point], thresholds: dict[Kind, float]) -> list[Series]:
    """The judged metrics' series, grouped by machine, loop, row and metric (filter by implementation first)."""
    grouped: dict[tuple[str, str, str, str, str], dict[str, list[float]]] = {}
    implementations: dict[tuple[str, str, str, str, str], dict[str, list[str]]] = {}
    per_cpu: dict[tuple[str, str, str, str, str], dict[str, list[float | None]]] = {}
    shares = {
        (p.run, p.implementation, p.loop, p.scenario, p.step): p.value / 100
        for p in points
        if p.metric == "cpu_percent" and p.value > 0
    }
    for p in points:
        if p.metric not in COMPARED_METRICS:
            continue
        key = (p.machine, p.loop, p.scenario, p.step, p.metric)
        # The implementation is what a commit ran (--impl): a change of it is a change of the code measured.
        grouped.setdefault(key, {}).setdefault(p.commit, []).append(p.value)  # points come oldest first
        implementations.setdefault(key, {}).setdefault(p.commit, []).append(p.implementation or "-")
        share = shares.get((p.run, p.implementation, p.loop, p.scenario, p.step))
        kind = COMPARED_METRICS[p.metric]
        if kind == "memory" or share is None:
            cpu_value = None
        else:  # as a compare weighs it: throughput / share, latency x share
            cpu_value = p.value / share if kind == "throughput" else p.value * share
        per_cpu.setdefault(key, {}).setdefault(p.commit, []).append(cpu_value)
    series = []
    for key, by_commit in grouped.items():
        machine, loop, scenario, step, metric = key
        ran = tuple("+".join(dict.fromkeys(names)) for names in implementations[key].values())
        kind = COMPARED_METRICS[metric]
        commits = tuple(by_commit)
        values = tuple(statistics.median(v) for v in by_commit.values())
        threshold = thresholds[kind]
        cpu_runs = per_cpu[key].values()
        cpu_values = (
            tuple(statistics.median(v for v in runs if v is not None) for runs in cpu_runs)
            if all(v is not None for runs in cpu_runs for v in runs)
            else None
        )
        found = change_points(commits, values, kind=kind, threshold=threshold, per_cpu=cpu_values)
        series.append(Series(machine, ran, loop, scenario, step, metric, kind, threshold, commits, values, found))
    return series


def change_points(
    commits: Sequence[str],
    values: Sequence[float],
    *,
    kind: Kind,
    threshold: float,
    per_cpu: Sequence[float] | None = None,
) -> tuple[ChangePoint, ...]:
    """Where the series changed by more than ``threshold``, each with its ratio and whether it is worse.

    ``per_cpu``: the same figures per CPU-second of the load; a change worse on the wall clock
    is a regression only if these agree over the same segments.
    """
    if len(values) < 2 or any(v <= 0 for v in values):
        return ()
    # Imported here: numpy and ruptures load only for the history command.
    import numpy as np  # noqa: PLC0415
    import ruptures  # noqa: PLC0415

    signal = np.log(np.asarray(values, dtype=float))
    floor = math.log(1 + threshold)
    steps = np.diff(signal)
    # The median |step| over 0.6745 estimates a normal sd; a step between two commits has twice one value's variance.
    noise = float(np.median(np.abs(steps))) / 0.6745 / math.sqrt(2) if len(steps) >= 2 else 0.0
    penalty = max(2 * noise**2 * math.log(len(values)), floor**2)
    ends = ruptures.Pelt(model="l2", min_size=1, jump=1).fit(signal.reshape(-1, 1)).predict(pen=penalty)
    starts = [0, *ends[:-1]]
    found = []
    for i in range(1, len(starts)):
        before = float(signal[starts[i - 1] : starts[i]].mean())
        after = float(signal[starts[i] : ends[i]].mean())
        ratio = math.exp(after - before)
        if abs(after - before) <= floor:
            continue  # a segment boundary smaller than the threshold is no change worth naming
        worse = _worse(ratio, kind, threshold)
        explained = False
        if worse and per_cpu is not None and all(v > 0 for v in per_cpu):
            cpu = np.log(np.asarray(per_cpu, dtype=float))
            cpu_ratio = math.exp(float(cpu[starts[i] : ends[i]].mean() - cpu[starts[i - 1] : starts[i]].mean()))
            explained = not _worse(cpu_ratio, kind, threshold)
        found.append(ChangePoint(commits[starts[i]], ratio, worse and not explained, explained))
    return tuple(found)


def _worse(ratio: float, kind: Kind, threshold: float) -> bool:
    return ratio < 1 - threshold if kind == "throughput" else ratio > 1 + threshold


def series_table(series: Sequence[Series]) -> list[str]:
    """The series as a table: row, implementation(s), metric, oldest and newest, trend, change points."""
    rows = [("row", "impl", "metric", "oldest", "newest", "trend", "change points")]
    for s in series:
        found = ", ".join(f"at {c.commit}: x{c.ratio:.3g}{_mark(c)}" for c in s.change_points)
        rows.append(
            (
                s.row,
                s.implementation,
                s.metric,
                format_figure(s.metric, s.values[0]),
                format_figure(s.metric, s.values[-1]),
                s.sparkline(),
                found or "none",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + " ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _mark(point: ChangePoint) -> str:
    if point.regression:
        return " REGRESSION"
    return " (the load's CPU share explains it)" if point.machine_may_explain else ""
