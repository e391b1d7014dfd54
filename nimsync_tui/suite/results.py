"""What one scenario's measured phase came to, and ``intervals.csv``.

A figure that was not measured is ``None`` (``null`` in JSON), never a zero
that reads as a measurement: an empty histogram has a sample count and no
percentiles, and a throughput spread needs at least three intervals.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from ..core.histogram import LatencySummary, summarize
from ..core.protocol import IntervalRecord, Phase, RunStarted, Status

MIN_STABILITY_INTERVALS = 3
"""A spread over fewer intervals than this says nothing about steadiness."""


@dataclass(frozen=True, slots=True)
class Stability:
    """How steady throughput was across the measured intervals (the suite's CV check)."""

    intervals: int
    """Measured intervals counted: those at least half the nominal interval long."""
    mean_ops_s: float | None
    """Mean of the per-interval throughputs; ``None`` without a counted interval."""
    stddev_ops_s: float | None
    """Their sample standard deviation; ``None`` with fewer than two intervals."""
    cv: float | None
    """Coefficient of variation, stddev / mean; ``None`` (not measured) with fewer than
    :data:`MIN_STABILITY_INTERVALS` intervals."""


def stability_of(rates: Sequence[float]) -> Stability:
    """The :class:`Stability` of per-interval throughputs."""
    mean = statistics.fmean(rates) if rates else None
    stddev = statistics.stdev(rates) if len(rates) > 1 else None
    cv = None
    if len(rates) >= MIN_STABILITY_INTERVALS and mean and stddev is not None:
        cv = stddev / mean
    return Stability(intervals=len(rates), mean_ops_s=mean, stddev_ops_s=stddev, cv=cv)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """What one scenario's measured phase came to (one repetition, or all of them together)."""

    name: str
    measures: str
    operation: str
    status: Status
    """``completed``; ``stopped`` (interrupted before its planned end); ``failed`` (the load
    raised or its process died: see ``error``); ``timed_out`` (stopped by the suite's timeout)."""
    duration_s: float
    operations: int
    throughput_ops_s: float
    latency_ns: LatencySummary
    """Summary of the histogram of what ``measures`` says, in nanoseconds."""
    overflow: int
    """Samples outside the histogram's 1 ns .. 1 h range."""
    rss_bytes: int
    """Peak resident set size of the load process, up to the end of this scenario."""
    cpu_percent: float
    """Mean CPU use of the load process (100 = one core)."""
    stability: Stability
    parameters: dict[str, Any] = field(default_factory=dict)
    """The load's parameters as run (see :func:`reported_parameters`)."""
    scenario: str = ""
    """The scenario this row belongs to: ``name`` itself, or the scenario of a step row."""
    title: str = ""
    """The suite's test name."""
    category: str = ""
    """The suite's category."""
    step: dict[str, Any] | None = None
    """``{"param": ..., "value": ...}`` for a step row, else ``None``."""
    metrics: dict[str, float | None] = field(default_factory=dict)
    """Every figure by its name in ``docs/metrics.md``: targets, checks and compares key on these;
    ``None``: not measured."""
    notes: list[str] = field(default_factory=list)
    """One-line statements about the row: verdict rules, caveats, warnings."""
    error: str | None = None
    """Why a ``failed`` or ``timed_out`` scenario ended, one line; ``None`` otherwise.
    The figures then cover what was measured before that."""


def reported_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a result states: ``yield_every`` only where it took effect.

    Trio's channel checkpoints on every operation whatever ``yield_every`` says,
    so a trio result that listed it would claim a rule it never ran.
    """
    shown = dict(params)
    if shown.get("impl") == "trio":
        shown.pop("yield_every", None)
    return shown


def checkpoint_rule(params: Mapping[str, Any]) -> str:
    """In words, when the load's channel yields to Trio's scheduler."""
    impl = params.get("impl", "nimsync")
    if impl == "trio":
        return "trio: a checkpoint on every operation (Trio's rule)"
    every = params.get("yield_every")
    if every == 1:
        return f"{impl}: a checkpoint on every operation (--yield-every 1, Trio's rule)"
    return f"{impl}: a checkpoint every {every}th operation, otherwise only when it must wait"


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)


def _common_metrics(
    *,
    operations: int,
    duration_s: float,
    latency: LatencySummary,
    peak_rss_bytes: int,
    cpu_percent: float,
) -> dict[str, float | None]:
    """The figures every row carries (``docs/metrics.md``, "On every row") that the parent can work out."""
    return {
        "operations": float(operations),
        "duration_s": duration_s,
        "throughput_ops_s": operations / duration_s if duration_s > 0 else None,
        "latency_samples": float(latency.count),
        "latency_mean_ns": latency.mean,
        "latency_stddev_ns": latency.stddev,
        "latency_min_ns": _float(latency.min),
        "latency_p50_ns": _float(latency.p50),
        "latency_p95_ns": _float(latency.p95),
        "latency_p99_ns": _float(latency.p99),
        "latency_p999_ns": _float(latency.p999),
        "latency_max_ns": _float(latency.max),
        "peak_rss_bytes": float(peak_rss_bytes),
        "cpu_percent": cpu_percent,
    }


def scenario_result(
    started: RunStarted,
    intervals: Sequence[IntervalRecord],
    histogram: HdrHistogram,
    *,
    status: Status,
    duration_s: float,
    operations: int,
    name: str | None = None,
    error: str | None = None,
) -> ScenarioResult:
    """Summarise one row from its measured intervals and their merged histogram.

    ``name`` is the row (a step's tag) when not the scenario itself.
    """
    # A last interval cut short by the end of the run is no sample of the
    # steady rate: it would only add noise to the stability figure.
    rates = [i.ops_per_s for i in intervals if i.length_s >= started.interval_s / 2]
    cpu_time = sum(i.cpu_percent * i.length_s for i in intervals)
    measured = sum(i.length_s for i in intervals)
    latency = summarize(histogram)
    peak_rss = max((i.peak_rss_bytes for i in intervals), default=0)
    cpu_percent = cpu_time / measured if measured > 0 else 0.0
    metrics = _common_metrics(
        operations=operations,
        duration_s=duration_s,
        latency=latency,
        peak_rss_bytes=peak_rss,
        cpu_percent=cpu_percent,
    )
    return ScenarioResult(
        name=name or started.scenario,
        measures=started.measures,
        operation=started.operation,
        status=status,
        duration_s=duration_s,
        operations=operations,
        throughput_ops_s=operations / duration_s if duration_s > 0 else 0.0,
        latency_ns=latency,
        overflow=sum(i.overflow for i in intervals),
        rss_bytes=peak_rss,
        cpu_percent=cpu_percent,
        stability=stability_of(rates),
        parameters=reported_parameters(started.params),
        metrics=metrics,
        error=error,
    )


INTERVAL_SAMPLE_METRICS = ("throughput_ops_s", "latency_mean_ns", "latency_p99_ns", "peak_rss_bytes")
"""The metrics each full-length measured interval gives one sample of (for significance tests)."""


def interval_samples(
    intervals: Sequence[tuple[IntervalRecord, LatencySummary]], nominal_s: float
) -> dict[str, list[float]]:
    """Per-interval figures of the measured, full-length intervals, by metric name.

    A short last interval is left out, as for the stability figure; an interval
    without latency samples gives no latency sample.
    """
    samples: dict[str, list[float]] = {name: [] for name in INTERVAL_SAMPLE_METRICS}
    for record, latency in intervals:
        if record.phase != Phase.MEASURE or record.length_s < nominal_s / 2:
            continue
        samples["throughput_ops_s"].append(record.ops_per_s)
        samples["peak_rss_bytes"].append(float(record.rss_bytes))
        if latency.mean is not None and latency.p99 is not None:
            samples["latency_mean_ns"].append(latency.mean)
            samples["latency_p99_ns"].append(float(latency.p99))
    return samples


INTERVAL_COLUMNS = (
    "scenario",
    "phase",
    "start_s",
    "length_s",
    "ops",
    "ops_per_s",
    "p50_ns",
    "p99_ns",
    "max_ns",
    "overflow",
    "rss_bytes",
    "cpu_percent",
    "allocated_blocks",
)


def intervals_csv(rows: Sequence[tuple[IntervalRecord, LatencySummary]]) -> str:
    """The text of ``intervals.csv``: one row per interval, for spreadsheets and plots.

    An interval without latency samples leaves its latency cells empty.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(INTERVAL_COLUMNS)
    for rec, lat in rows:
        writer.writerow(
            [
                rec.tag,
                rec.phase,
                f"{rec.start_s:.3f}",
                f"{rec.length_s:.3f}",
                rec.ops,
                f"{rec.ops_per_s:.1f}",
                _cell(lat.p50),
                _cell(lat.p99),
                _cell(lat.max),
                rec.overflow,
                rec.rss_bytes,
                f"{rec.cpu_percent:.1f}",
                rec.allocated_blocks,
            ]
        )
    return buf.getvalue()


def _cell(value: int | None) -> str | int:
    return "" if value is None else value
