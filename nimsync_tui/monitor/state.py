"""One run's accumulated state: the events of a load (or a replayed log) in, views out."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import re
from collections.abc import Sequence
from types import EllipsisType

from hdrh.histogram import HdrHistogram

from ..core.histogram import (
    PartFigures,
    add,
    decode_histogram,
    new_histogram,
    percentiles_and_max,
    summarize,
)
from ..core.protocol import CORRECTED_SUFFIX, IntervalRecord, Phase, RunEnded, RunStarted, Status
from .curves import latency_table, percentile_curve, timer_floor_ns
from .snapshot import EMPTY_CURVE, LatencyOverTime, LatencyTable, RunPhase, RunView
from .spool import IntervalSpool
from .timeline import RunningStats, Timeline

CHANGES = itertools.count(1)
"""One clock of changes for every state: a replaced state can never repeat an old version."""
_STEP_TAG = re.compile(r"^(?P<scenario>[^.]+)\.(?P<step>.+)$")
_FULL_GC_GENERATION = 2
_OVER_TIME = ("p50", "p90", "p99", "p999", "max", "count")
OVER_TIME_PERCENTILES = (50.0, 90.0, 99.0, 99.9)
"""The percentiles of an interval's point of the latency over time (its max and count follow them)."""
_TIME_SLACK_S = 1e-6
"""Interval times are rounded to the microsecond: a bound that far off is the same bound."""

OverTimeRow = tuple[float, ...]
"""One interval's point of the latency over time: p50, p90, p99, p99.9, max (ns) and count."""


class RunState:
    """Accumulates one run's intervals: the merged histogram, the series drawn, and what an export needs.

    Memory stays the same however long the run: the histograms are merged as
    they come, the series are timelines of a fixed number of points,
    and the intervals an export writes go to an :class:`IntervalSpool` on disk.
    Interval times are put on one timeline, seconds since ``origin_s``, so that
    the turns of a comparison and the restarts of a runner line up.
    """

    def __init__(self, label: str, *, origin_s: float = 0.0, ns_per_unit: float = 1.0, spool: bool = True) -> None:
        self.label = label
        """Which implementation (or log tag) this run is."""
        self.origin_s = origin_s
        """The timeline's zero, seconds since the epoch (0 for a replay: its own base time)."""
        self.ns_per_unit = ns_per_unit
        """Nanoseconds per recorded value (1 for our logs)."""
        self.started: RunStarted | None = None
        """The first start event: the scenario, its parameters and interval."""
        self.ended: RunEnded | None = None
        """The last end event, if the load has ended."""
        self.phase = RunPhase.STARTING
        self.message = ""
        self.merged: HdrHistogram | None = None
        """Every measured interval's histogram added up."""
        self.corrected: HdrHistogram | None = None
        """An open-loop run's (``--rate``) measured ``.corrected`` histograms added up: latency from each
        operation's intended start, never merged with the service time of :attr:`merged`."""
        self.spool: IntervalSpool | None = IntervalSpool() if spool else None
        """Every interval as an export writes it, on disk (``None`` for a replay, whose log is on disk already)."""
        self.intervals = 0
        """Measured intervals so far."""
        self.measured_s = 0.0
        """Measured seconds so far."""
        self.operations = 0
        """Operations in the measured intervals."""
        self.version = next(CHANGES)
        """The tick of the state's last change (see :data:`CHANGES`): the UI redraws only when it moves."""
        self._cpu_s = 0.0
        self._rates = RunningStats()
        self._throughput = Timeline(("ops_s",))
        self._vitals = Timeline(("rss", "heap"))
        self._over_time = Timeline(_OVER_TIME, peaks=("max",))
        self._full_gcs = 0
        self._step_rates: dict[str, RunningStats] = {}
        self._stepped = True
        self._latest: HdrHistogram | None = None
        self._overflow = 0
        self._corrected_overflow = 0
        self._last_gc: tuple[int, ...] | None = None
        self._metrics: tuple[int, dict[str, float | None]] = (0, {})

    def touch(self) -> None:
        """Mark a change."""
        self.version = next(CHANGES)

    def close(self) -> None:
        """Drop the spooled intervals: this run will not be exported any more."""
        if self.spool is not None:
            self.spool.close()
            self.spool = None

    # -- events -----------------------------------------------------------------

    def start(self, event: RunStarted) -> None:
        """A load process (or a turn of one) started."""
        if self.started is None:
            self.started = event
        self._last_gc = None  # a new process counts its collections from zero
        self.phase = RunPhase.WARMUP
        self.touch()

    def interval(
        self,
        record: IntervalRecord,
        hist: HdrHistogram | None = None,
        *,
        base_time_s: float = 0.0,
        vitals: bool = True,
        over_time: OverTimeRow | EllipsisType | None = ...,
    ) -> None:
        """One interval; ``record.start_s`` counts from ``base_time_s`` (epoch seconds, 0 for a replay).

        ``hist`` is the decoded histogram when the caller has it already, else
        the record's own payload is decoded. ``vitals=False`` says the record's
        ops and memory figures are unknown (a log from another tool): the
        latency is shown, the throughput and memory charts stay empty.
        ``over_time`` is the interval's :meth:`over_time_of` when the caller has it already.
        """
        hist = decode_histogram(record.histogram) if hist is None else hist
        record = dataclasses.replace(record, start_s=round(base_time_s + record.start_s - self.origin_s, 6))
        if self.spool is not None:
            self.spool.add(record, hist, summarize(hist))
        self._add(record, hist, vitals, over_time)

    def figures(self, record: IntervalRecord, *, vitals: bool, over_time: OverTimeRow | None) -> None:
        """One interval of a replay (``record.start_s`` on this state's timeline) without its histogram.

        Every figure moves as :meth:`interval` would move it but the histograms
        (:attr:`merged`, :attr:`corrected`, the latest interval's), which the
        caller sets itself; ``over_time`` is what :meth:`over_time_of` gave for it.
        """
        start_s = round(record.start_s - self.origin_s, 6)
        if start_s != record.start_s:  # a replay's records are on its timeline already: no copy
            record = dataclasses.replace(record, start_s=start_s)
        self._add(record, None, vitals, over_time)

    def over_time_of(self, record: IntervalRecord, hist: HdrHistogram) -> OverTimeRow | None:
        """The interval's point of the latency over time: ``None`` when it draws none (an empty, warm-up or
        ``.corrected`` interval). It depends on nothing but the interval: computed once, it serves any range."""
        if not _draws_over_time(record, int(hist.total_count)):
            return None
        tail, highest = percentiles_and_max(hist, OVER_TIME_PERCENTILES)
        return (*(v * self.ns_per_unit for v in tail), highest * self.ns_per_unit, int(hist.total_count))

    def over_time_rows(
        self, records: Sequence[IntervalRecord], found: Sequence[PartFigures]
    ) -> list[OverTimeRow | None]:
        """:meth:`over_time_of` of many intervals, from what :func:`percentiles_many` found of them at
        :data:`OVER_TIME_PERCENTILES`."""
        scale = self.ns_per_unit
        return [
            (*(v * scale for v in part.values), part.highest * scale, part.recorded)
            if _draws_over_time(record, part.recorded)
            else None
            for record, part in zip(records, found, strict=True)
        ]

    def _add(
        self,
        record: IntervalRecord,
        hist: HdrHistogram | None,
        vitals: bool,
        over_time: OverTimeRow | EllipsisType | None,
    ) -> None:
        if record.tag.endswith(CORRECTED_SUFFIX):
            self._corrected_interval(record, hist)
            return
        end_s = record.start_s + record.length_s
        if vitals:
            full_gc = self._full_gc(record)
            self._full_gcs += full_gc
            self._vitals.add(end_s, record.length_s, (record.rss_bytes, record.allocated_blocks), mark=full_gc)
        if record.phase != Phase.MEASURE:
            self.touch()
            return
        self.phase = RunPhase.MEASURE
        if hist is not None:
            if self.merged is None:
                self.merged = empty_like(hist)
            add(self.merged, hist)
            self._latest = hist
            if over_time is ...:
                over_time = self.over_time_of(record, hist)
        if over_time is not None and over_time is not ...:
            self._over_time.add(end_s, record.length_s, over_time)
        self._overflow += record.overflow
        self.intervals += 1
        self.measured_s += record.length_s
        self.operations += record.ops
        self._cpu_s += record.cpu_percent * record.length_s
        if vitals:
            self._measured_vitals(record, end_s)
        self.touch()

    def checkpoint(self) -> RunState:
        """A copy of this state's figures without its histograms (:attr:`merged`, :attr:`corrected` and the
        latest interval's are ``None``): neither's later changes reach the other. A replay's own (unspooled)
        state only."""
        if self.spool is not None:
            raise ValueError(f"{self.label}: a spooled state is not copied")
        twin = copy.copy(self)
        twin.merged = twin.corrected = twin._latest = None
        twin._rates = copy.copy(self._rates)
        twin._throughput = self._throughput.copy()
        twin._vitals = self._vitals.copy()
        twin._over_time = self._over_time.copy()
        twin._step_rates = {step: copy.copy(rates) for step, rates in self._step_rates.items()}
        twin.touch()
        return twin

    @property
    def latest(self) -> HdrHistogram | None:
        """The latest measured interval's histogram (``None`` before one)."""
        return self._latest

    def set_histograms(
        self, merged: HdrHistogram | None, corrected: HdrHistogram | None, latest: HdrHistogram | None
    ) -> None:
        """Put in the histograms of the intervals given to :meth:`figures`: their sums, and the latest's."""
        self.merged, self.corrected, self._latest = merged, corrected, latest
        self.touch()

    def _corrected_interval(self, record: IntervalRecord, hist: HdrHistogram | None) -> None:
        """The same interval timed from the operations' intended starts: its vitals came with the service time."""
        if record.phase == Phase.MEASURE:
            if hist is not None:
                if self.corrected is None:
                    self.corrected = empty_like(hist)
                add(self.corrected, hist)
            self._corrected_overflow += record.overflow
            self.touch()

    def _measured_vitals(self, record: IntervalRecord, end_s: float) -> None:
        self._throughput.add(end_s, record.length_s, (record.ops_per_s,))
        nominal = self.started.interval_s if self.started else 0.0
        # A turn's or run's last interval, cut short, is no sample of the steady rate.
        if record.length_s >= nominal / 2:
            self._rates.add(record.ops_per_s)
        match = _STEP_TAG.match(record.tag)
        if match is None:
            self._stepped = False
        else:
            self._step_rates.setdefault(match["step"], RunningStats()).add(record.ops_per_s)

    def bounds(self) -> list[tuple[float, float]]:
        """Each measured interval's (start, end), seconds on the run's timeline: what a range is chosen from.

        Read back from the spool when a range is chosen, never held: memory stays the same however long the run.
        """
        if self.spool is None:
            return []
        return [
            (record.start_s, record.start_s + record.length_s)
            for record, _ in self.spool.rows()
            if record.phase == Phase.MEASURE and not record.tag.endswith(CORRECTED_SUFFIX)
        ]

    def cut(self, start_s: float, end_s: float) -> RunState:
        """A new state of the measured intervals (with their ``.corrected`` twins) within ``start_s``..``end_s``.

        Read back from the spool, so it needs one (a live run's); it never changes afterwards,
        whatever arrives here: a range chosen live stays put.
        """
        if self.spool is None:
            raise ValueError(f"{self.label}: no spooled intervals to cut a range from")
        state = RunState(self.label, ns_per_unit=self.ns_per_unit, spool=False)
        if self.started is not None:
            state.start(self.started)
        for record in self.spool.measured():
            if record.start_s >= start_s - _TIME_SLACK_S and record.start_s + record.length_s <= end_s + _TIME_SLACK_S:
                state.interval(record)
        state.phase, state.message = self.phase, self.message
        return state

    def end(self, event: RunEnded) -> None:
        """The load ended (completed, or stopped through its stdin)."""
        self.ended = event
        self.phase = RunPhase.DONE if event.status == Status.COMPLETED else RunPhase.STOPPED
        self.touch()

    def pause_turn(self) -> None:
        """A comparison turn ended: the run goes on in its next turn."""
        self.phase = RunPhase.WAITING
        self.touch()

    def halt(self) -> None:
        """The load was stopped before it could report its end (a restart or quit cancelled it)."""
        if self.phase not in (RunPhase.DONE, RunPhase.FAILED):
            self.phase = RunPhase.STOPPED
            self.touch()

    def fail(self, message: str) -> None:
        """The load failed or its process died; what was measured stays."""
        self.phase = RunPhase.FAILED
        self.message = message
        self.touch()

    def _full_gc(self, record: IntervalRecord) -> bool:
        """Whether a full (generation 2) collection ran in the interval."""
        collections = record.gc_collections
        previous = self._last_gc
        generation = _FULL_GC_GENERATION
        self._last_gc = collections or None
        comparable = previous is not None and len(collections) > generation < len(previous)
        return comparable and collections[generation] > previous[generation]  # type: ignore[index]

    # -- reading ----------------------------------------------------------------

    def metrics(self) -> dict[str, float | None]:
        """The suite's figures (``docs/metrics.md`` names) that a live run has so far, for its targets.

        The throughput and the service time's latency as measured so far, and,
        once the load has ended, what it measured itself (memory, scaling).
        """
        if self._metrics[0] == self.version:
            return self._metrics[1]
        metrics: dict[str, float | None] = {}
        if self.measured_s > 0:
            metrics["throughput_ops_s"] = self.operations / self.measured_s
        if self.merged is not None and self.merged.total_count:
            latency = summarize(self.merged)
            figures = {
                "latency_mean_ns": latency.mean,
                "latency_stddev_ns": latency.stddev,
                "latency_min_ns": latency.min,
                "latency_p50_ns": latency.p50,
                "latency_p95_ns": latency.p95,
                "latency_p99_ns": latency.p99,
                "latency_p999_ns": latency.p999,
                "latency_max_ns": latency.max,
            }
            metrics["latency_samples"] = float(latency.count)
            metrics.update({k: None if v is None else v * self.ns_per_unit for k, v in figures.items()})
            if latency.mean and latency.stddev is not None:
                metrics["stddev_over_mean"] = latency.stddev / latency.mean
        if self.ended is not None:
            metrics.update(self.ended.metrics)
        self._metrics = (self.version, metrics)
        return metrics

    def mean_ops_s(self) -> float:
        """Mean throughput over full-length measured intervals (0 before any)."""
        return self._rates.mean

    @property
    def cpu_percent(self) -> float:
        """The load process's mean CPU use over the measured intervals (100 = one core)."""
        return self._cpu_s / self.measured_s if self.measured_s > 0 else 0.0

    def view(self) -> RunView:
        """The frozen picture of this run now."""
        started, merged, latest = self.started, self.merged, self._latest
        # The load process measures its own instrument's floor; the clock read here stands in
        # for logs that do not say.
        floor = (started.overhead.get("floor_ns") if started else None) or timer_floor_ns()
        return RunView(
            label=self.label,
            scenario=started.scenario if started else "",
            phase=self.phase,
            message=self.message,
            params=dict(started.params) if started else {},
            measures=started.measures if started else "",
            interval_s=started.interval_s if started else 0.0,
            elapsed_s=self.measured_s,
            intervals=self.intervals,
            latest=EMPTY_CURVE if latest is None else percentile_curve(latest, self.ns_per_unit),
            total=EMPTY_CURVE if merged is None else percentile_curve(merged, self.ns_per_unit),
            table=LatencyTable(overflow=self._overflow, floor_ns=floor)
            if merged is None
            else latency_table(merged, self._overflow, floor, self.ns_per_unit),
            corrected=EMPTY_CURVE if self.corrected is None else percentile_curve(self.corrected, self.ns_per_unit),
            corrected_table=None
            if self.corrected is None
            else latency_table(self.corrected, self._corrected_overflow, floor, self.ns_per_unit),
            throughput=self._throughput.series("ops_s", self._rates),
            rss=self._vitals.series("rss"),
            heap=self._vitals.series("heap"),
            gc_marks_s=self._vitals.marks,
            full_gcs=self._full_gcs,
            steps=tuple((step, rates.mean) for step, rates in self._step_rates.items()) if self._stepped else (),
            over_time=self._over_time_view(),
        )

    def _over_time_view(self) -> LatencyOverTime:
        line = self._over_time
        if not len(line):
            return LatencyOverTime()
        return LatencyOverTime(line.times, *(line.values(name) for name in _OVER_TIME))


def _draws_over_time(record: IntervalRecord, count: int) -> bool:
    """Whether an interval has a point of the latency over time: an empty one has no percentiles (a gap, not a
    zero latency); warm-up and ``.corrected`` intervals are not drawn."""
    return count > 0 and record.phase == Phase.MEASURE and not record.tag.endswith(CORRECTED_SUFFIX)


def empty_like(hist: HdrHistogram) -> HdrHistogram:
    """An empty histogram of ``hist``'s configuration (ours unless a foreign log says otherwise)."""
    ours = new_histogram()
    if (hist.lowest_trackable_value, hist.highest_trackable_value, hist.significant_figures) == (
        ours.lowest_trackable_value,
        ours.highest_trackable_value,
        ours.significant_figures,
    ):
        return ours
    return HdrHistogram(hist.lowest_trackable_value, hist.highest_trackable_value, hist.significant_figures)
