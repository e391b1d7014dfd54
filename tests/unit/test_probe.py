"""The probe loses nothing: every value lands in exactly one interval or in overflow."""

from __future__ import annotations

import numpy as np
import pytest

from nimsync_tui.core.histogram import counts_view, new_histogram
from nimsync_tui.core.probe import Probe, measure_self_overhead


def reference(values: list[int]) -> list[int]:
    hist = new_histogram()
    for v in values:
        hist.record_value(v)
    return list(hist.counts)


@pytest.mark.parametrize("buffer_size", [1, 3, 8, 16_384])
def test_intervals_hold_exactly_what_was_recorded(buffer_size: int) -> None:
    probe = Probe(buffer_size)
    first = [5, 1000, 2048, 0, 77, 123_456_789, 5]
    second = list(range(1, 30))
    for v in first:
        probe.record(v)
    a = probe.take_interval()
    for v in second:
        probe.record(v)
    b = probe.take_interval()
    assert list(counts_view(a.histogram)) == reference(first)
    assert list(counts_view(b.histogram)) == reference(second)
    assert (a.histogram.total_count, b.histogram.total_count) == (len(first), len(second))
    assert a.histogram is not b.histogram
    assert (a.overflow, b.overflow) == (0, 0)


def test_overflow_is_counted_per_interval() -> None:
    probe = Probe(4)
    for v in [-1, 10, 2**50, 20, 30, 40, -7]:
        probe.record(v)
    interval = probe.take_interval()
    assert interval.overflow == 3
    assert interval.histogram.total_count == 4
    assert probe.take_interval().overflow == 0


def test_empty_interval() -> None:
    interval = Probe().take_interval()
    assert interval.histogram.total_count == 0
    assert interval.overflow == 0


def test_taken_histogram_is_not_touched_again() -> None:
    probe = Probe(2)
    probe.record(100)
    taken = probe.take_interval().histogram
    before = counts_view(taken).copy()
    for v in range(50):
        probe.record(v)
    assert np.array_equal(counts_view(taken), before)


def test_many_values_across_many_flushes() -> None:
    rng = np.random.default_rng(3)
    values = [int(v) for v in rng.integers(0, 10**8, 50_000)]
    probe = Probe(1000)
    for v in values:
        probe.record(v)
    hist = probe.take_interval().histogram
    assert list(counts_view(hist)) == reference(values)
    assert hist.min_value == min(values)
    assert hist.max_value == max(values)


def test_buffer_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Probe(0)


def test_self_overhead_is_measured_not_assumed() -> None:
    overhead = measure_self_overhead(pairs=2000, batches=5, batch=200)
    assert 0 < overhead.clock_pair_ns < 1e6 and 0 < overhead.probe_ns < 1e6
    assert overhead.floor_ns == overhead.clock_pair_ns + overhead.probe_ns
    assert overhead.as_dict() == {
        "clock_pair_ns": overhead.clock_pair_ns,
        "probe_ns": overhead.probe_ns,
        "floor_ns": overhead.floor_ns,
    }
