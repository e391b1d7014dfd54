"""One runner's event stream, summed up into result rows: one per histogram tag, plus the scenario's.

A scenario without steps gives one row under its name (two in an open-loop
run: the service time and ``<name>.corrected``). A stepped scenario gives a
row per step (``<name>.<param>-<value>``) and then a summary row under its
name, over the steps' merged histogram, holding the figures across steps.
Every row carries ``metrics``: the figures the suite's judgement keys on.

:class:`RunRows` strings runs together: the one loop from events to rows that
the recorder and headless replay share.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

from ..core.histogram import LatencySummary, add, new_histogram, summarize
from ..core.probe import NEAR_FLOOR_FACTOR
from ..core.protocol import Event, IntervalRecord, Phase, RunEnded, RunStarted, StepEnded
from ..suite.report import RowMeasurement, add_repetition
from ..suite.results import ScenarioResult, scenario_result

Metrics = dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Row:
    """A result row and the histogram it summarises."""

    result: ScenarioResult
    histogram: HdrHistogram


class ScenarioCollector:
    """Accumulates one scenario's events; :meth:`rows` sums them up."""

    def __init__(self) -> None:
        self.started: RunStarted | None = None
        self.ended: RunEnded | None = None
        self._steps: list[StepEnded] = []
        self._intervals: dict[str, list[IntervalRecord]] = {}
        self._histograms: dict[str, HdrHistogram] = {}

    def feed(self, event: Event) -> None:
        """Take a ``started``, ``step`` or ``ended`` event (others are no row's business)."""
        if isinstance(event, RunStarted):
            self.started = event
        elif isinstance(event, StepEnded):
            self._steps.append(event)
        elif isinstance(event, RunEnded):
            self.ended = event

    def add_interval(self, record: IntervalRecord, histogram: HdrHistogram) -> None:
        """Take a measured interval and its decoded histogram (warm-up intervals are ignored)."""
        if record.phase != Phase.MEASURE:
            return
        self._intervals.setdefault(record.tag, []).append(record)
        add(self._histograms.setdefault(record.tag, new_histogram()), histogram)

    def rows(self) -> list[Row]:
        """One row per measured tag in the order the steps ended, then the stepped scenario's summary."""
        started, ended = self.started, self.ended
        if started is None or ended is None or ended.phase != Phase.MEASURE:
            return []
        rows = [self._step_row(started, ended, step) for step in self._steps]
        if not any(r.result.name == started.scenario for r in rows):
            rows.append(self._summary_row(started, ended, sum(r.result.duration_s for r in rows)))
        return rows

    def _step_row(self, started: RunStarted, ended: RunEnded, step: StepEnded) -> Row:
        histogram = self._histograms.get(step.tag) or new_histogram()
        intervals = self._intervals.get(step.tag, [])
        # A load that timed itself (worker processes on their own clocks, their
        # start-up left out) knows its duration better than the runner does.
        duration_s = step.metrics.get("load_duration_s") or step.measured_s
        result = scenario_result(
            started, intervals, histogram, status=step.status, duration_s=duration_s, operations=step.total_ops
        )
        metrics = {**measured_metrics(result, intervals, started.overhead), **step.metrics}
        metrics.update(ended.step_metrics.get(step.tag, {}))
        notes = [*step.notes]
        if step.tag == started.scenario:
            metrics.update(ended.metrics)
            notes += ended.notes
        parameters = dict(result.parameters)
        if step.param is not None:
            parameters[step.param] = step.value
        result = dataclasses.replace(
            result,
            name=step.tag,
            parameters=parameters,
            step=None if step.param is None else {"param": step.param, "value": step.value},
        )
        return Row(_described(result, started, metrics, notes), histogram)

    def _summary_row(self, started: RunStarted, ended: RunEnded, duration_s: float) -> Row:
        merged = new_histogram()
        for histogram in self._histograms.values():
            add(merged, histogram)
        intervals = [i for tag in self._intervals for i in self._intervals[tag]]
        result = scenario_result(
            started, intervals, merged, status=ended.status, duration_s=duration_s, operations=ended.total_ops
        )
        metrics = {**measured_metrics(result, intervals, started.overhead), **ended.metrics}
        return Row(_described(result, started, metrics, list(ended.notes)), merged)


class RunRows:
    """Runner runs, one after another, turned into result rows and interval rows.

    Each run (from :meth:`begin`) goes through its own :class:`ScenarioCollector`;
    each of its result rows is then counted (:meth:`count`) as a repetition of
    the row of that name, with the run's interval rows.
    """

    def __init__(self) -> None:
        self._first = 0
        self.measured: dict[str, RowMeasurement] = {}
        """Per row name, its repetitions so far."""
        self.intervals: list[tuple[IntervalRecord, LatencySummary]] = []
        """Every interval of every run, warm-up included, without its histogram, and its latency summary."""
        self.collector: ScenarioCollector | None = None
        """The run under way, from :meth:`begin` to :meth:`end`."""

    def begin(self) -> ScenarioCollector:
        """Start a run: its events go to the collector returned."""
        self.collector = ScenarioCollector()
        self._first = len(self.intervals)
        return self.collector

    def add_interval(self, record: IntervalRecord, histogram: HdrHistogram) -> LatencySummary:
        """One interval of the run (``record`` as kept: without its payload) and its decoded histogram."""
        assert self.collector is not None, "an interval outside a run"
        summary = summarize(histogram)
        self.intervals.append((record, summary))
        self.collector.add_interval(record, histogram)
        return summary

    @property
    def run_intervals(self) -> list[IntervalRecord]:
        """The intervals of the run under way, warm-up included."""
        return [record for record, _ in self.intervals[self._first :]]

    def count(self, row: Row) -> None:
        """Count one of the run's result rows as a repetition of its row."""
        assert self.collector is not None and self.collector.started is not None, "a row of a run never started"
        add_repetition(self.measured, self.collector.started, row.result, row.histogram, self.intervals[self._first :])

    def end(self) -> None:
        """The run is over: what it had to count is counted."""
        self.collector = None


def _described(result: ScenarioResult, started: RunStarted, metrics: Metrics, notes: list[str]) -> ScenarioResult:
    if metrics.get("near_floor"):
        notes.append(
            f"latency p50 within {NEAR_FLOOR_FACTOR:.0f}x of the instrument's own floor "
            f"({metrics['overhead_floor_ns']:.0f} ns: a clock-read pair plus a probe record); "
            "much of it is the measurement"
        )
    return dataclasses.replace(
        result,
        scenario=started.scenario,
        title=started.title,
        category=started.category,
        parameters={**result.parameters, "affinity": list(started.affinity)},
        metrics=metrics,
        notes=[*notes, *started.notes],
    )


def measured_metrics(result: ScenarioResult, intervals: list[IntervalRecord], overhead: dict[str, float]) -> Metrics:
    """The figures every row has (see the scenarios' metric list): rate, latency, CPU, memory, GC, overhead.

    Rate, latency (Java's percentile rank, as the ``.hgrm``), CPU and memory come
    from ``result.metrics``; this adds what only the runner's events know.
    """
    latency = result.latency_ns
    floor = overhead.get("floor_ns")
    metrics: Metrics = dict(result.metrics)
    if not intervals:
        metrics["cpu_percent"] = metrics["peak_rss_bytes"] = None
    metrics.update(
        {
            "gc_collections": float(sum(i.gc_count for i in intervals)),
            "gc_pause_total_s": sum(i.gc_pause_s for i in intervals),
            "gc_pause_max_s": max((i.gc_pause_max_s for i in intervals), default=0.0),
            "overhead_clock_pair_ns": overhead.get("clock_pair_ns"),
            "overhead_probe_ns": overhead.get("probe_ns"),
            "overhead_floor_ns": floor,
            "near_floor": None
            if latency.p50 is None or floor is None
            else float(latency.p50 < NEAR_FLOOR_FACTOR * floor),
        }
    )
    if latency.mean and latency.stddev is not None:
        metrics["stddev_over_mean"] = latency.stddev / latency.mean
    return metrics
