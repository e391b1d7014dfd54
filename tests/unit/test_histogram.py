"""The numpy core must agree exactly with HdrHistogram_py's per-value methods."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from nimsync_tui.core.histogram import (
    HIGHEST_TRACKABLE_NS,
    LatencySummary,
    add,
    counts_view,
    decode_histogram,
    highest_equivalent_at,
    max_value,
    mean_stddev,
    new_histogram,
    percentiles_and_max,
    record_values,
    reset,
    summarize,
    value_at_percentiles,
)
from nimsync_tui.errors import HistogramFormatError

TOP = 2**42 - 1  # the library rounds 1 h up to a whole bucket: the last recordable value

EDGE_VALUES = [
    0, 1, 2, 3, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 4097, 8191, 8192,
    *(2**k for k in range(1, 42)), *(2**k - 1 for k in range(1, 43)), *(2**k + 1 for k in range(1, 42)),
    HIGHEST_TRACKABLE_NS - 1, HIGHEST_TRACKABLE_NS, HIGHEST_TRACKABLE_NS + 1,
    TOP - 1, TOP, TOP + 1, 2**43, 2**53, 2**62, 2**63 - 1,
    -1, -2, -(2**63),
]  # fmt: skip


def reference(values: list[int]) -> tuple[HdrHistogram, int]:
    """The library's own, one value at a time."""
    hist = new_histogram()
    refused = sum(1 for v in values if not hist.record_value(v))
    return hist, refused


def assert_same(ours: HdrHistogram, theirs: HdrHistogram) -> None:
    assert list(counts_view(ours)) == list(theirs.counts)
    assert ours.total_count == theirs.total_count
    assert ours.min_value == theirs.min_value
    assert ours.max_value == theirs.max_value
    assert ours.encode() == theirs.encode()


def test_new_histogram_is_1ns_to_1h_3_digits() -> None:
    hist = new_histogram()
    assert (hist.lowest_trackable_value, hist.highest_trackable_value) == (1, 3_600_000_000_000)
    assert hist.significant_figures == 3
    assert (hist.bucket_count, hist.sub_bucket_count) == (32, 2048)


def test_record_values_matches_record_value_on_edges() -> None:
    ours = new_histogram()
    overflow = record_values(ours, np.array(EDGE_VALUES, dtype=np.int64))
    theirs, refused = reference(EDGE_VALUES)
    assert overflow == refused == 8  # five above 2**42 - 1, three negatives
    assert_same(ours, theirs)


def test_zero_is_recorded_in_the_first_bucket() -> None:
    hist = new_histogram()
    assert record_values(hist, np.array([0, 0, 5])) == 0
    assert counts_view(hist)[0] == 2
    assert hist.min_value == 0
    assert summarize(hist).min == 0


def test_out_of_range_values_are_counted_not_recorded() -> None:
    hist = new_histogram()
    assert record_values(hist, np.array([-5, TOP + 1, 7])) == 2
    assert hist.total_count == 1


def test_only_out_of_range_values_leave_histogram_untouched() -> None:
    hist = new_histogram()
    assert record_values(hist, np.array([-1, 2**50])) == 2
    assert hist.total_count == 0
    assert hist.min_value == sys.maxsize
    assert hist.max_value == 0


def test_record_values_rejects_floats() -> None:
    with pytest.raises(TypeError):
        record_values(new_histogram(), np.array([1.5]))


def test_record_values_accumulates_over_calls() -> None:
    values = list(range(0, 100_000, 7))
    ours = new_histogram()
    for chunk in (values[:10], values[10:5000], values[5000:]):  # both the add.at and the bincount path
        record_values(ours, np.array(chunk))
    assert_same(ours, reference(values)[0])


values_strategy = st.lists(
    st.one_of(
        st.integers(0, 5000),
        st.integers(0, 10**7),
        st.integers(-10, TOP + 10),
        st.sampled_from(EDGE_VALUES),
    ),
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(values_strategy)
def test_record_values_matches_record_value_on_random_data(values: list[int]) -> None:
    ours = new_histogram()
    overflow = record_values(ours, np.array(values, dtype=np.int64))
    theirs, refused = reference(values)
    assert overflow == refused
    assert_same(ours, theirs)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 10**9), max_size=400))
def test_statistics_match_the_library(values: list[int]) -> None:
    """All but the percentiles, which follow Java's rule (tests/unit/test_percentile_rule.py)."""
    hist, _ = reference(values)
    mean, stddev = hist.get_mean_value(), hist.get_stddev()  # each a Python loop over every bucket: once
    assert mean_stddev(hist) == (mean, stddev)
    assert max_value(hist) == hist.get_max_value()
    summary = summarize(hist)
    library = (hist.get_total_count(), hist.get_min_value(), hist.get_max_value(), mean)
    expected = (0, None, None, None, None) if not values else (*library, stddev)
    assert (summary.count, summary.min, summary.max, summary.mean, summary.stddev) == expected


def test_statistics_of_a_wide_spread_histogram() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.integers(0, 3000, 20_000), rng.lognormal(12, 3, 20_000).astype(np.int64)])
    values = values[values <= TOP]
    hist = new_histogram()
    record_values(hist, values)
    assert mean_stddev(hist) == (hist.get_mean_value(), hist.get_stddev())


def test_stddev_sums_in_the_librarys_order() -> None:
    # Chosen so that numpy's pairwise np.sum would differ from the library's loop in the last bit.
    hist = new_histogram()
    record_values(hist, np.random.default_rng(0).lognormal(10, 2, 3000).astype(np.int64))
    assert mean_stddev(hist)[1] == hist.get_stddev()


def test_mean_is_exact_beyond_int64_products() -> None:
    hist = new_histogram()
    # 2**42 - 1 ns times 2**22 counts overflows int64; the library sums Python ints.
    record_values(hist, np.full(2**22, TOP))
    record_values(hist, np.array([1, 2, 3]))
    assert mean_stddev(hist) == (hist.get_mean_value(), hist.get_stddev())


def test_empty_histogram() -> None:
    hist = new_histogram()
    assert summarize(hist) == LatencySummary(count=0)  # not measured: no figure reads as a zero
    assert value_at_percentiles(hist, [0.0, 50.0, 100.0]) == [0, 0, 0]
    assert (hist.get_value_at_percentile(50), hist.get_mean_value(), hist.get_stddev()) == (0, 0.0, 0.0)


def test_decoded_histogram_summarizes_like_the_original() -> None:
    hist = new_histogram()
    record_values(hist, np.arange(1, 50_000, 3))
    decoded = HdrHistogram.decode(hist.encode())
    assert summarize(decoded) == summarize(hist)


def test_add_keeps_the_true_minimum() -> None:
    src = new_histogram()
    record_values(src, np.array([500, 900]))
    dst = new_histogram()
    add(dst, src)
    add(dst, new_histogram())
    assert dst.total_count == 2
    assert dst.min_value == 500
    assert summarize(dst) == summarize(src)


def test_add_sums_counts() -> None:
    a, b = new_histogram(), new_histogram()
    record_values(a, np.array([1, 2, 3000]))
    record_values(b, np.array([2, 10**6]))
    add(a, b)
    both, _ = reference([1, 2, 3000, 2, 10**6])
    assert list(counts_view(a)) == list(both.counts)
    assert summarize(a) == summarize(both)


def test_reset_empties_in_place() -> None:
    hist = new_histogram()
    record_values(hist, np.array([1, 99, 10**9]))
    reset(hist)
    assert not counts_view(hist).any()
    assert (hist.total_count, hist.min_value, hist.max_value) == (0, sys.maxsize, 0)  # as a fresh histogram's
    assert summarize(hist) == summarize(new_histogram())
    record_values(hist, np.array([42]))
    assert summarize(hist).min == 42


def test_decode_histogram_round_trips() -> None:
    hist = new_histogram()
    record_values(hist, np.array([3, 30_000, 10**9]))
    assert summarize(decode_histogram(hist.encode())) == summarize(hist)
    assert summarize(decode_histogram(hist.encode().decode("ascii"))) == summarize(hist)


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("", "empty encoded histogram"),
        ("HISTFAAAA", "not base64"),
        ("!!!!", "not base64"),
        ("HISTFAAAACV4nJNpmSzMwMDAwgABzFCaEch0M9ixgM", "compressed length 37 does not fit the 23 bytes"),
    ],
)
def test_decode_histogram_reports_corruption_as_a_format_error(encoded: str, message: str) -> None:
    with pytest.raises(HistogramFormatError, match=message):
        decode_histogram(encoded)


def test_value_tables_match_the_library_at_every_index() -> None:
    hist = new_histogram()
    expected = [hist.get_highest_equivalent_value(hist.get_value_from_index(i)) for i in range(hist.counts_len)]
    assert highest_equivalent_at(hist, np.arange(hist.counts_len)).tolist() == expected


def test_a_dropped_histogram_is_freed_without_the_cycle_collector() -> None:
    gc.collect()
    gc.disable()
    try:
        fresh = new_histogram()
        fresh.record_value(1234)
        decoded = decode_histogram(fresh.encode())
        assert decoded.get_total_count() == 1
        refs = [weakref.ref(fresh), weakref.ref(decoded)]
        del fresh, decoded
        assert [r() for r in refs] == [None, None]
    finally:
        gc.enable()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, TOP), max_size=300), st.lists(st.integers(0, TOP), max_size=300))
def test_add_and_one_pass_figures_are_the_librarys(left: list[int], right: list[int]) -> None:
    percentiles = (50.0, 90.0, 99.0, 99.9, 100.0)
    parts = []
    for values in (left, right):
        built = new_histogram()
        record_values(built, np.array(values, dtype=np.int64))
        parts += [built, decode_histogram(built.encode())]
    for part in parts:
        assert percentiles_and_max(part, percentiles) == (value_at_percentiles(part, percentiles), max_value(part))
    ours, theirs = new_histogram(), new_histogram()
    for part in parts:
        add(ours, part)
        true_min = min(theirs.min_value, part.min_value)
        theirs.add(part)  # the library's own addition, repaired as add() documents
        theirs.min_value = true_min
    assert counts_view(ours).tolist() == counts_view(theirs).tolist()
    fields = ((h.total_count, h.min_value, h.max_value) for h in (ours, theirs))
    assert next(fields) == next(fields)
    # Counts written past the tracked values: the one pass finds them all the same.
    stray = decode_histogram(parts[0].encode())
    counts_view(stray)[5] += 3
    stray.total_count += 3
    assert percentiles_and_max(stray, percentiles) == (value_at_percentiles(stray, percentiles), max_value(stray))
