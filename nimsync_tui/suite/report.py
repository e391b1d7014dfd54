"""A run's rows, each over its repetitions, judged against the targets; ``results.json``.

The recorder fills one :class:`RowMeasurement` per row (a scenario, or one of its
steps) as repetitions finish; :func:`judge` turns them into the
:class:`SuiteReport` that the summary, ``results.json``, ``--stats``,
``--baseline`` and ``--compare`` all read.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from hdrh.histogram import HdrHistogram

from ..core.histogram import LatencySummary, add, new_histogram
from ..core.protocol import IntervalRecord, Phase, RunStarted, Status
from .analysis import BenchmarkAnalysis, BenchmarkResult, analyze_results
from .results import ScenarioResult, interval_samples, scenario_result
from .targets import Target, TargetCheck, check_row


@dataclass(frozen=True, slots=True)
class Repetition:
    """One measured repetition of a row: its result and its per-interval samples."""

    result: ScenarioResult
    samples: dict[str, list[float]]
    """Per full-length interval figures by metric name (``results.interval_samples``)."""


@dataclass(slots=True)
class RowMeasurement:
    """Everything measured for one row so far, over its repetitions."""

    started: RunStarted
    """The first repetition's start (name, what it measures, parameters)."""
    histogram: HdrHistogram = field(default_factory=new_histogram)
    """All repetitions' histograms merged."""
    intervals: list[IntervalRecord] = field(default_factory=list)
    """All repetitions' measured intervals."""
    repetitions: list[Repetition] = field(default_factory=list)

    def add(self, repetition: Repetition, intervals: Iterable[IntervalRecord], histogram: HdrHistogram) -> None:
        """Count one more repetition in."""
        self.repetitions.append(repetition)
        self.intervals.extend(intervals)
        add(self.histogram, histogram)

    @property
    def name(self) -> str:
        """The row's name (the first repetition's)."""
        return self.repetitions[0].result.name

    def combined(self) -> ScenarioResult:
        """The row over all its repetitions: one merged histogram, summed operations and time.

        The figures :func:`.results.scenario_result` works out come from the merged
        histogram and summed time; the others (the load's own, like a leak
        slope) are averaged over the repetitions that measured them. What
        describes the row (title, step, notes) is the last repetition's; its
        status and error are those of the last repetition that did not complete.
        """
        results = [r.result for r in self.repetitions]
        unfinished = [r for r in results if r.status != Status.COMPLETED]
        whole = scenario_result(
            self.started,
            self.intervals,
            self.histogram,
            status=unfinished[-1].status if unfinished else Status.COMPLETED,
            duration_s=sum(r.duration_s for r in results),
            operations=sum(r.operations for r in results),
            name=self.name,
            error=unfinished[-1].error if unfinished else None,
        )
        measured = {f: getattr(whole, f) for f in _MEASURED_FIELDS}
        return dataclasses.replace(results[-1], **measured, metrics={**_mean_metrics(results), **whole.metrics})


_MEASURED_FIELDS = (
    "status",
    "duration_s",
    "operations",
    "throughput_ops_s",
    "latency_ns",
    "overflow",
    "rss_bytes",
    "cpu_percent",
    "stability",
    "error",
)


def _mean_metrics(results: Sequence[ScenarioResult]) -> dict[str, float | None]:
    merged: dict[str, float | None] = {}
    for name in results[0].metrics:
        values = [v for r in results if (v := r.metrics.get(name)) is not None]
        merged[name] = statistics.fmean(values) if values else None
    return merged


def add_repetition(
    measured: dict[str, RowMeasurement],
    started: RunStarted,
    result: ScenarioResult,
    histogram: HdrHistogram,
    rows: Sequence[tuple[IntervalRecord, LatencySummary]],
) -> Repetition:
    """Count one run's result row as a repetition of that row in ``measured``.

    ``rows`` are the run's intervals (all tags); the row's own are the measured
    ones of its tag, or all measured ones for a row that sums up several tags
    (a stepped scenario's warm-up carries the scenario's own tag, so only
    measured intervals decide).
    """
    in_phase = [(r, lat) for r, lat in rows if r.phase == Phase.MEASURE]
    own = [(r, lat) for r, lat in in_phase if r.tag == result.name] or in_phase
    repetition = Repetition(result, interval_samples(own, started.interval_s))
    measured.setdefault(result.name, RowMeasurement(started)).add(repetition, [r for r, _ in own], histogram)
    return repetition


@dataclass(frozen=True, slots=True)
class RowReport:
    """One row judged: over all repetitions, each repetition, the suite's analysis, the targets."""

    result: ScenarioResult
    repetitions: tuple[Repetition, ...]
    analysis: BenchmarkAnalysis
    checks: tuple[TargetCheck, ...]


@dataclass(frozen=True, slots=True)
class SuiteReport:
    """A run judged."""

    rows: tuple[RowReport, ...]

    @property
    def missed(self) -> list[TargetCheck]:
        """Every target or check that failed (not those no code can meet here: see :meth:`missed_strictly`)."""
        return [c for row in self.rows for c in row.checks if c.missed()]

    def missed_strictly(self) -> list[TargetCheck]:
        """Every target or check not met, UNREACHABLE and N/A included (``--strict-targets``)."""
        return [c for row in self.rows for c in row.checks if c.missed(strict=True)]


def judge(measured: Sequence[RowMeasurement], targets: Sequence[Target]) -> SuiteReport:
    """Combine each row's repetitions, analyse them and check every target that applies."""
    return SuiteReport(tuple(_row_report(m.combined(), m.repetitions, targets) for m in measured))


def judge_single_runs(results: Sequence[ScenarioResult], targets: Sequence[Target]) -> SuiteReport:
    """The report of rows measured once each, without interval samples (the app's export of a live run)."""
    return SuiteReport(tuple(_row_report(r, [Repetition(r, {})], targets) for r in results))


def _row_report(result: ScenarioResult, repetitions: Sequence[Repetition], targets: Sequence[Target]) -> RowReport:
    analysis = analyze_results([BenchmarkResult.of(r.result) for r in repetitions])
    checks = tuple(check_row(result.name, result.metrics, targets, result.parameters))
    return RowReport(result, tuple(repetitions), analysis, checks)


def row_document(row: RowReport) -> dict[str, Any]:
    """One row of ``results.json`` (and of ``--stats``): the result, each repetition, analysis, targets."""
    return {
        **asdict(row.result),
        "repetitions": [asdict(BenchmarkResult.of(r.result)) for r in row.repetitions],
        "analysis": asdict(row.analysis),
        "targets": [{**asdict(c), "verdict": c.verdict} for c in row.checks],
    }


def results_json(
    report: SuiteReport,
    *,
    started_at: datetime,
    environment: dict[str, Any],
    not_run: Sequence[str] = (),
) -> str:
    """The text of ``results.json``; ``not_run`` names the scenarios a stopped recording never started."""
    document = {
        "tool": "nimsync-tui",
        "recorded_at": started_at.astimezone(UTC).isoformat(timespec="seconds"),
        "environment": environment,
        "scenarios": [row_document(row) for row in report.rows],
        "not_run": list(not_run),
    }
    return json.dumps(document, indent=2) + "\n"
