"""Percentile spectra, the latency table and series statistics, in numpy over histogram counts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from hdrh.histogram import HdrHistogram

from ..core.histogram import max_value, mean_stddev, value_at_percentiles
from .snapshot import EMPTY_CURVE, Curve, LatencyTable, Series, frozen_array

MAX_NINES = 5
"""The spectrum reaches 99.999 %: 1/(1-p) up to 10**5."""

PERCENTILE_LEVELS = frozen_array(100.0 * (1.0 - 10.0 ** -np.linspace(0.0, MAX_NINES, 20 * MAX_NINES + 1)))
"""Levels 0 % .. 99.999 %, evenly spaced on the log scale of 1/(1-p) that HdrHistogram plots on."""

TABLE_PERCENTILES = (50.0, 90.0, 99.0, 99.9, 99.99)

VALUE_UNITS_NS = {"ns": 1.0, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
"""Nanoseconds per unit a log's values may be recorded in (``--value-unit``)."""


def percentile_curve(hist: HdrHistogram, ns_per_unit: float = 1.0) -> Curve:
    """The spectrum of ``hist``, up to the highest level its count resolves.

    A level beyond 1 - 1/count says nothing the maximum does not, so the
    curve ends there (at least one level is kept): a thin interval is not
    drawn as if it had measured a 99.999th percentile.
    """
    total = int(hist.total_count)
    if total == 0:
        return EMPTY_CURVE
    # The tolerance keeps 99.9 % for a count of 1000, whose 1/(1-p) rounds a hair above 1000.
    resolved = total * (1 + 1e-9) >= 1.0 / (1.0 - PERCENTILE_LEVELS / 100.0)
    levels = PERCENTILE_LEVELS[resolved]
    values = np.asarray(value_at_percentiles(hist, levels.tolist()), dtype=np.float64) * ns_per_unit
    return Curve(frozen_array(levels), frozen_array(values))


def latency_table(hist: HdrHistogram, overflow: int, floor_ns: float, ns_per_unit: float = 1.0) -> LatencyTable:
    """The statistics beside the spectrum, in nanoseconds."""
    if hist.total_count == 0:
        return LatencyTable(overflow=overflow, floor_ns=floor_ns)
    p50, p90, p99, p999, p9999 = (v * ns_per_unit for v in value_at_percentiles(hist, TABLE_PERCENTILES))
    mean, stddev = mean_stddev(hist)
    return LatencyTable(
        p50=p50,
        p90=p90,
        p99=p99,
        p999=p999,
        p9999=p9999,
        max=max_value(hist) * ns_per_unit,
        mean=mean * ns_per_unit,
        stddev=stddev * ns_per_unit,
        count=int(hist.total_count),
        overflow=overflow,
        floor_ns=floor_ns,
    )


def series(t_s: Sequence[float], values: Sequence[float], counted: Sequence[bool] | None = None) -> Series:
    """A :class:`Series`; its mean and stddev over the ``counted`` points (all by default)."""
    chosen = [v for v, c in zip(values, counted, strict=True) if c] if counted is not None else list(values)
    mean = statistics.fmean(chosen) if chosen else 0.0
    stddev = statistics.stdev(chosen) if len(chosen) > 1 else 0.0
    return Series(frozen_array(t_s), frozen_array(values), mean, stddev)


@lru_cache(maxsize=1)
def timer_floor_ns() -> float:
    """The median cost of one ``perf_counter_ns`` read: no latency the probe reports can be smaller.

    Measured in this process on the same clock the load process times with.
    """
    reads = np.array([time.perf_counter_ns() for _ in range(2001)], dtype=np.int64)
    return float(np.median(np.diff(reads)))
