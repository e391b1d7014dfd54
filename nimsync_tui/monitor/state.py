"""One run's accumulated state: the events of a load (or a replayed log) in, views out."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable

import numpy as np
from hdrh.histogram import HdrHistogram

from ..core.histogram import LatencySummary, add, decode_histogram, new_histogram, summarize
from ..core.protocol import IntervalRecord, RunEnded, RunStarted
from .curves import latency_table, percentile_curve, series, timer_floor_ns
from .snapshot import EMPTY_CURVE, LatencyTable, RunView, Series, frozen_array

CHANGES = itertools.count(1)
"""One clock of changes for every state: a replaced state can never repeat an old version."""
_STEP_TAG = re.compile(r"^(?P<scenario>[^.]+)\.(?P<step>.+)$")
_FULL_GC_GENERATION = 2


class RunState:
    """Accumulates one run's intervals: the merged histogram, series and what an export needs.

    Interval times are put on one timeline, seconds since ``origin_s``, so that
    the turns of a comparison and the restarts of a runner line up.
    """

    def __init__(self, label: str, *, origin_s: float = 0.0, ns_per_unit: float = 1.0, keep_rows: bool = True) -> None:
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
        self.phase = "starting"
        self.message = ""
        self.merged: HdrHistogram | None = None
        """Every measured interval's histogram added up."""
        self.measured: list[IntervalRecord] = []
        """The measured intervals on our timeline, each with its encoded histogram (compact: ~4 kB, not
        the 270 kB of a decoded one), for export."""
        self.rows: list[tuple[IntervalRecord, LatencySummary]] = []
        """Every interval, warm-up included, for ``intervals.csv`` (unless built without rows)."""
        self._keep_rows = keep_rows
        self.version = next(CHANGES)
        """The tick of the state's last change (see :data:`CHANGES`): the UI redraws only when it moves."""
        self._vitals: list[IntervalRecord] = []
        self._latest: HdrHistogram | None = None
        self._overflow = 0
        self._last_gc: tuple[int, ...] | None = None
        self._gc_marks: list[float] = []

    def touch(self) -> None:
        """Mark a change."""
        self.version = next(CHANGES)

    # -- events -----------------------------------------------------------------

    def start(self, event: RunStarted) -> None:
        """A load process (or a turn of one) started."""
        if self.started is None:
            self.started = event
        self._last_gc = None  # a new process counts its collections from zero
        self.phase = "warm-up"
        self.touch()

    def interval(
        self,
        record: IntervalRecord,
        hist: HdrHistogram | None = None,
        *,
        base_time_s: float = 0.0,
        vitals: bool = True,
    ) -> None:
        """One interval; ``record.start_s`` counts from ``base_time_s`` (epoch seconds, 0 for a replay).

        ``hist`` is the decoded histogram when the caller has it already, else
        the record's own payload is decoded. ``vitals=False`` says the record's
        ops and memory figures are unknown (a log from another tool): the
        latency is shown, the throughput and memory charts stay empty.
        """
        hist = decode_histogram(record.histogram) if hist is None else hist
        record = dataclasses.replace(record, start_s=round(base_time_s + record.start_s - self.origin_s, 6))
        if self._keep_rows:
            self.rows.append((dataclasses.replace(record, histogram=""), summarize(hist)))
        if vitals:
            self._vitals.append(record)
            self._mark_gc(record)
        if record.phase != "measure":
            self.touch()
            return
        self.phase = "measuring"
        if self.merged is None:
            self.merged = empty_like(hist)
        add(self.merged, hist)
        self._latest = hist
        self._overflow += record.overflow
        self.measured.append(record)
        self.touch()

    def end(self, event: RunEnded) -> None:
        """The load ended (completed, or stopped through its stdin)."""
        self.ended = event
        self.phase = "done" if event.status == "completed" else "stopped"
        self.touch()

    def pause_turn(self) -> None:
        """A comparison turn ended: the run goes on in its next turn."""
        self.phase = "waiting"
        self.touch()

    def halt(self) -> None:
        """The load was stopped before it could report its end (a restart or quit cancelled it)."""
        if self.phase not in ("done", "failed"):
            self.phase = "stopped"
            self.touch()

    def fail(self, message: str) -> None:
        """The load failed or its process died; what was measured stays."""
        self.phase = "failed"
        self.message = message
        self.touch()

    def _mark_gc(self, record: IntervalRecord) -> None:
        collections = record.gc_collections
        previous = self._last_gc
        generation = _FULL_GC_GENERATION
        comparable = previous is not None and len(collections) > generation < len(previous)
        if comparable and collections[generation] > previous[generation]:  # type: ignore[index]
            self._gc_marks.append(record.start_s + record.length_s)
        self._last_gc = collections or None

    # -- reading ----------------------------------------------------------------

    @property
    def measured_s(self) -> float:
        """Measured seconds so far."""
        return sum(r.length_s for r in self.measured)

    @property
    def operations(self) -> int:
        """Operations in the measured intervals."""
        return sum(r.ops for r in self.measured)

    def mean_ops_s(self) -> float:
        """Mean throughput over full-length measured intervals (0 before any)."""
        return self._throughput().mean

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
            intervals=len(self.measured),
            latest=EMPTY_CURVE if latest is None else percentile_curve(latest, self.ns_per_unit),
            total=EMPTY_CURVE if merged is None else percentile_curve(merged, self.ns_per_unit),
            table=LatencyTable(overflow=self._overflow, floor_ns=floor)
            if merged is None
            else latency_table(merged, self._overflow, floor, self.ns_per_unit),
            throughput=self._throughput(),
            rss=self._vital(lambda r: r.rss_bytes),
            heap=self._vital(lambda r: r.allocated_blocks),
            gc_marks_s=frozen_array(self._gc_marks),
            steps=self._steps(),
        )

    def _throughput(self) -> Series:
        nominal = self.started.interval_s if self.started else 0.0
        records = [r for r in self._vitals if r.phase == "measure"]
        return series(
            [r.start_s + r.length_s for r in records],
            [r.ops_per_s for r in records],
            # A turn's or run's last interval, cut short, is no sample of the steady rate.
            [r.length_s >= nominal / 2 for r in records],
        )

    def _vital(self, field: Callable[[IntervalRecord], float]) -> Series:
        rows = self._vitals
        return series([r.start_s + r.length_s for r in rows], [float(field(r)) for r in rows])

    def _steps(self) -> tuple[tuple[str, float], ...]:
        rates: dict[str, list[float]] = {}
        for record in self._vitals:
            if record.phase != "measure":
                continue
            match = _STEP_TAG.match(record.tag)
            if match is None:
                return ()
            rates.setdefault(match["step"], []).append(record.ops_per_s)
        return tuple((step, float(np.mean(values))) for step, values in rates.items())


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
