"""The immutable pictures of a run that the UI draws: nothing here changes after it is built."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from ..core.protocol import Phase


def frozen_array(values: object) -> np.ndarray:
    """A read-only float64 copy of ``values``: a snapshot's arrays cannot be changed by anyone."""
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)
    return array


_NO_POINTS = frozen_array([])


def _no_points() -> np.ndarray:
    return _NO_POINTS


@dataclass(frozen=True, slots=True)
class Curve:
    """A percentile spectrum: the latency at each percentile level, as HdrHistogram plots it."""

    levels: np.ndarray
    """Percentile levels (0..100), ascending."""
    values_ns: np.ndarray
    """The latency at each level, in nanoseconds."""

    @property
    def empty(self) -> bool:
        """True when nothing was recorded."""
        return self.levels.size == 0


EMPTY_CURVE = Curve(_NO_POINTS, _NO_POINTS)


@dataclass(frozen=True, slots=True)
class LatencyTable:
    """The table beside the percentile plot; values in nanoseconds."""

    p50: float = 0.0
    p90: float = 0.0
    p99: float = 0.0
    p999: float = 0.0
    p9999: float = 0.0
    max: float = 0.0
    mean: float = 0.0
    stddev: float = 0.0
    count: int = 0
    """Values recorded."""
    overflow: int = 0
    """Values beyond the histogram's range: counted here, never hidden."""
    floor_ns: float = 0.0
    """The measurement floor: the smallest latency the probe can tell (the load process's own figure
    when it reports one, else the cost of a clock read here)."""


@dataclass(frozen=True, slots=True)
class Series:
    """A value over time, with the statistics the suite judges stability by."""

    t_s: np.ndarray = field(default_factory=_no_points)
    """Seconds since the run started."""
    values: np.ndarray = field(default_factory=_no_points)
    """One value per point."""
    mean: float = 0.0
    """Mean over the points counted (full-length intervals)."""
    stddev: float = 0.0
    """Sample standard deviation over the same points (0 with fewer than two)."""
    samples: int = -1
    """Points the mean and stddev were taken over; 0 says they are unmeasured (no full-length interval),
    -1 that every point counted."""

    @property
    def measured(self) -> bool:
        """False when no point was fit to take the mean over: the mean is unknown, not 0."""
        return self.samples != 0 and not self.empty

    @property
    def cv(self) -> float:
        """Coefficient of variation, stddev / mean."""
        return self.stddev / self.mean if self.mean > 0 else 0.0

    @property
    def empty(self) -> bool:
        """True when there are no points."""
        return self.values.size == 0


class RunPhase(StrEnum):
    """Where a run on screen stands: the load's own phases (:class:`Phase`'s words) and the monitor's."""

    IDLE = "idle"
    STARTING = "starting"
    WARMUP = Phase.WARMUP.value
    MEASURE = Phase.MEASURE.value
    WAITING = "waiting"
    """Between two runs of a comparison in turns."""
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"
    REPLAY = "replay"


@dataclass(frozen=True, slots=True)
class LatencyOverTime:
    """The tail of each interval over time: the percentiles HistogramLogAnalyzer plots, in nanoseconds."""

    t_s: np.ndarray = field(default_factory=_no_points)
    """Each point's end, seconds since the run started."""
    p50: np.ndarray = field(default_factory=_no_points)
    p90: np.ndarray = field(default_factory=_no_points)
    p99: np.ndarray = field(default_factory=_no_points)
    p999: np.ndarray = field(default_factory=_no_points)
    max: np.ndarray = field(default_factory=_no_points)
    """The largest value of the intervals a point stands for (never averaged)."""
    count: np.ndarray = field(default_factory=_no_points)
    """Values recorded per interval: the one rate a log without throughput comments has."""

    @property
    def empty(self) -> bool:
        """True when no interval was measured."""
        return self.t_s.size == 0


@dataclass(frozen=True, slots=True)
class TargetLine:
    """A target drawn on a chart, in the colour of its verdict."""

    metric: str
    """The name in ``docs/metrics.md`` the target judges (``latency_p99_ns``, ``throughput_ops_s``...)."""
    op: str
    """``<``, ``<=``, ``>``, ``>=`` or ``==``."""
    value: float
    """The target, in the metric's unit (nanoseconds for a latency)."""
    passed: bool | None
    """The verdict on the figures so far; ``None`` before the figure is measured."""


@dataclass(frozen=True, slots=True)
class RunView:
    """Everything shown about one run: one implementation of one scenario."""

    label: str
    """What distinguishes this run: the implementation and its checkpoint rule."""
    scenario: str = ""
    phase: RunPhase = RunPhase.IDLE
    message: str = ""
    """Why the run failed, or what to do next; empty when all is well."""
    params: dict[str, object] = field(default_factory=dict)
    measures: str = ""
    """What each histogram value is."""
    interval_s: float = 0.0
    elapsed_s: float = 0.0
    """Measured seconds so far."""
    intervals: int = 0
    """Measured intervals so far."""
    latest: Curve = EMPTY_CURVE
    """The last interval's spectrum."""
    total: Curve = EMPTY_CURVE
    """The run so far."""
    table: LatencyTable = LatencyTable()
    """Statistics of the run so far."""
    corrected: Curve = EMPTY_CURVE
    """An open-loop run's spectrum timed from each operation's intended start (``<scenario>.corrected``)."""
    corrected_table: LatencyTable | None = None
    """Statistics of :attr:`corrected`; ``None`` when the run is not open-loop."""
    throughput: Series = Series()
    """Operations per second, per measured interval."""
    rss: Series = Series()
    """Resident set size of the load process, bytes."""
    heap: Series = Series()
    """Python heap blocks allocated in the load process."""
    gc_marks_s: np.ndarray = field(default_factory=_no_points)
    """Times of the points of :attr:`rss` in whose intervals a full (generation 2) collection ran."""
    full_gcs: int = 0
    """Intervals in which a full collection ran."""
    steps: tuple[tuple[str, float], ...] = ()
    """For a stepped scenario: (step, mean ops/s) in the order they ran."""
    over_time: LatencyOverTime = LatencyOverTime()
    """Each measured interval's percentiles and count."""


@dataclass(frozen=True, slots=True)
class ScenarioRow:
    """One line of the scenario list."""

    name: str
    state: str
    """``idle``, ``running``, ``done``, ``stopped`` or ``failed``."""
    verdict: str = ""
    """``PASS`` when the run so far meets every suite target on the figures it has measured, ``FAIL``
    when it misses one; empty without such a target."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One frame's worth of monitor state."""

    mode: str = "live"
    """``live`` or ``replay``."""
    runs: tuple[RunView, ...] = ()
    """The run on screen; two in a comparison (ours first)."""
    scenarios: tuple[ScenarioRow, ...] = ()
    selected: str = ""
    """The scenario on screen."""
    baseline: Curve = EMPTY_CURVE
    """The ``--compare`` curve, if any."""
    baseline_label: str = ""
    target_ops_s: float | None = None
    """The selected scenario's throughput target (the suite's), if it has one."""
    position: tuple[int, int] = (0, 0)
    """In replay, and live with a range chosen: the end of the range shown (intervals), intervals loaded
    (live: measured so far)."""
    first: int = 0
    """In replay, and live with a range chosen: intervals before the range shown (0: it starts with the run)."""
    playing: bool = False
    """In replay: whether the intervals play at their recorded pace."""
    loaded: bool = True
    """In replay: whether the whole log has been read."""
    value_unit: str = "ns"
    """The unit the source's values were recorded in (replay of foreign logs)."""
    targets: tuple[TargetLine, ...] = ()
    """The selected scenario's targets, with their verdicts so far."""
    whole: RunView | None = None
    """When a range of the run is shown (replay or live): the whole run, for the timeline the range is cut from."""
    range_s: tuple[float, float] | None = None
    """The time range shown (start, end seconds; replay or live); ``None`` for the whole run."""
    source_name: str = ""
    """In replay: the log's file name."""
    overlays: tuple[tuple[str, Curve], ...] = ()
    """More spectra drawn over the run's, each with its label (other tags of a replayed log)."""
    others: tuple[RunView, ...] = ()
    """Live: the other implementations measured on the selected scenario with its parameters (switched away
    from with ``i``), the earliest first: each drawn over the spectrum, with a legend, and given a table column."""


EMPTY_SNAPSHOT = Snapshot()
"""Before anything arrived: the UI draws this instead of checking for ``None``."""
