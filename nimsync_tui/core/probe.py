"""The probe a scenario records its latency samples into, on the load's hot path."""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter_ns

import numpy as np
from hdrh.histogram import HdrHistogram

from .histogram import new_histogram, record_values

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "NEAR_FLOOR_FACTOR",
    "IntervalHistogram",
    "Probe",
    "SelfOverhead",
    "measure_self_overhead",
]

DEFAULT_BUFFER_SIZE = 16_384
"""Values buffered before a bulk record: one flush (about 0.4 ms) per 16k values."""


@dataclass(frozen=True, slots=True)
class IntervalHistogram:
    """What one interval measured."""

    histogram: HdrHistogram
    """The interval's values (ns); the caller owns it, the probe never touches it again."""
    overflow: int
    """Values that could not be recorded (negative, or beyond ~73 minutes)."""


class Probe:
    """Buffers raw nanosecond values and bulk-records them into an interval histogram.

    Not thread-safe: one probe belongs to the one Trio thread that runs the load.
    """

    __slots__ = ("_buffer", "_count", "_histogram", "_overflow", "_view")

    def __init__(self, buffer_size: int = DEFAULT_BUFFER_SIZE) -> None:
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be at least 1, got {buffer_size}")
        self._buffer = np.zeros(buffer_size, dtype=np.int64)
        # Item assignment through a memoryview is ~20 ns cheaper than through the ndarray.
        self._view = self._buffer.data
        self._count = 0
        self._histogram = new_histogram()
        self._overflow = 0

    def record(self, ns: int) -> None:
        """Record one value in nanoseconds (an ``int``).

        Costs about 95 ns per call on the development machine (CPython 3.11,
        ``benchmarks/histogram_speed.py``), the bulk record (25 ns per value) that
        runs once every 16,384 calls included; the library's ``record_value``
        costs 1.1 µs. A ``time.perf_counter_ns()`` read costs 37 ns beside it.
        """
        count = self._count
        try:
            self._view[count] = ns
        except IndexError:
            # Full: cheaper to find out this way than to compare on every call.
            self._flush()
            count = 0
            self._view[0] = ns
        self._count = count + 1

    def take_interval(self) -> IntervalHistogram:
        """Close the current interval: everything recorded since the last call.

        Flushes the buffer and swaps in a fresh histogram, so the returned one can
        be encoded, summarised or merged while the load keeps recording.
        """
        self._flush()
        interval = IntervalHistogram(self._histogram, self._overflow)
        self._histogram = new_histogram()
        self._overflow = 0
        return interval

    def _flush(self) -> None:
        if self._count:
            self._overflow += record_values(self._histogram, self._buffer[: self._count])
            self._count = 0


@dataclass(frozen=True, slots=True)
class SelfOverhead:
    """What the instrument itself adds to every latency it reports."""

    clock_pair_ns: float
    """Median time between two back-to-back ``perf_counter_ns()`` reads: the clock's own floor."""
    probe_ns: float
    """Median cost of one :meth:`Probe.record`, the bulk record it triggers included."""

    @property
    def floor_ns(self) -> float:
        """The smallest latency the instrument can honestly report: a clock pair plus a record."""
        return self.clock_pair_ns + self.probe_ns

    def as_dict(self) -> dict[str, float]:
        """The three figures by name, as the run reports them."""
        return {"clock_pair_ns": self.clock_pair_ns, "probe_ns": self.probe_ns, "floor_ns": self.floor_ns}


NEAR_FLOOR_FACTOR = 10.0
"""A latency within this factor of :attr:`SelfOverhead.floor_ns` is mostly the instrument."""


def measure_self_overhead(pairs: int = 20_000, batches: int = 20, batch: int = 1_000) -> SelfOverhead:
    """Time the clock-read pair and the probe's record on this machine, now (a few milliseconds).

    Medians, so that a stray interruption does not raise the floor.
    """
    clock = perf_counter_ns
    gaps = np.empty(pairs, dtype=np.int64)
    for i in range(pairs):
        a = clock()
        b = clock()
        gaps[i] = b - a
    probe = Probe(batch)  # flushes once per batch, as the real probe does once per buffer
    per_record = np.empty(batches, dtype=np.float64)
    for k in range(batches):
        record = probe.record
        started = clock()
        for _ in range(batch):
            record(100)
        per_record[k] = (clock() - started) / batch
    return SelfOverhead(clock_pair_ns=float(np.median(gaps)), probe_ns=float(np.median(per_record)))
