"""The batched paths of a replay (a log's intervals merged, searched and added many at once) against the
one-at-a-time ones and the library, figure for figure: what a replay shows and writes must not change."""

from __future__ import annotations

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nimsync_tui.core.counts import HistogramLayout, SparseCounts, add_parts
from nimsync_tui.core.encoding import decode_many
from nimsync_tui.core.histogram import (
    add,
    add_sparse,
    counts_view,
    decode_histogram,
    new_histogram,
    percentiles_and_max,
    percentiles_many,
    record_values,
)

WIDEST = HistogramLayout(1, 2**63 - 1, 5)
"""6.2 M indexes: counts near each other are added densely, far-flung ones by sorting."""
OURS = HistogramLayout(1, 3_600_000_000_000, 3)
LEVELS = (0.0, 50.0, 90.0, 99.0, 99.9, 100.0)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def parts(draw: st.DrawFn, layout: HistogramLayout = WIDEST) -> SparseCounts:
    """A decoded interval: a few non-zero counts anywhere in the layout or near its start (perhaps none)."""
    top = layout.counts_len - 1
    where = st.one_of(st.integers(0, top), st.integers(0, 3000), st.just(top))
    indexes = sorted(set(draw(st.lists(where, max_size=40))))
    counts = draw(st.lists(st.one_of(st.integers(1, 50), st.integers(1, 2**58)), min_size=len(indexes),
                           max_size=len(indexes)))  # fmt: skip
    return SparseCounts(layout, np.array(indexes, dtype=np.int64), np.array(counts, dtype=np.int64))


@st.composite
def encoded_intervals(draw: st.DrawFn) -> list[str]:
    """Intervals as our runner encodes them: lognormal latencies, now and then none or one far out."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32)))
    lines = []
    for _ in range(draw(st.integers(1, 40))):
        hist = new_histogram()
        size = draw(st.sampled_from([0, 1, 7, 2000]))
        record_values(hist, rng.lognormal(draw(st.sampled_from([3, 9, 14])), 1.0, size).astype(np.int64))
        lines.append(hist.encode().decode())
    return lines


@SETTINGS
@given(parts(), st.lists(parts(), max_size=8))
def test_add_parts_sums_every_index_whether_dense_or_sorted(total: SparseCounts, every: list[SparseCounts]) -> None:
    summed = add_parts(total, every)
    expected: dict[int, int] = {}
    for part in [total, *every]:
        for index, count in zip(part.indexes.tolist(), part.counts.tolist(), strict=True):
            expected[index] = expected.get(index, 0) + count
    assert summed.indexes.tolist() == sorted(expected)
    assert summed.counts.tolist() == [expected[i] for i in sorted(expected)]


@SETTINGS
@given(encoded_intervals())
def test_percentiles_many_gives_each_intervals_percentiles_max_and_count(lines: list[str]) -> None:
    expected = []
    for line in lines:
        hist = decode_histogram(line)
        values, highest = percentiles_and_max(hist, LEVELS)
        lowest = hist.min_value if hist.total_count else 0
        expected.append((values, lowest, highest, int(hist.total_count)))
    assert percentiles_many(decode_many(lines), LEVELS) == expected


@SETTINGS
@given(st.lists(st.one_of(parts(OURS), parts(WIDEST)), max_size=30))
def test_percentiles_many_agrees_over_mixed_layouts_and_huge_counts(every: list[SparseCounts]) -> None:
    """Runs of one layout are searched together; past int64's reach, one at a time."""
    one_by_one = [percentiles_many([part], LEVELS)[0] for part in every]
    assert percentiles_many(every, LEVELS) == one_by_one
    for part, (_, lowest, highest, count) in zip(every, one_by_one, strict=True):
        assert count == int(part.counts.sum())
        assert highest == (part.layout.highest_value(int(part.indexes[-1])) if part.indexes.size else 0)
        assert lowest == (int(part.layout.lowest_values(part.indexes[:1])[0]) if part.indexes.size else 0)


@SETTINGS
@given(encoded_intervals())
def test_add_sparse_adds_as_add_adds_decoded_histograms(lines: list[str]) -> None:
    by_library, by_batch = new_histogram(), new_histogram()
    for line in lines:
        add(by_library, decode_histogram(line))
    assert add_sparse(by_batch, decode_many(lines))
    assert counts_view(by_batch).tolist() == counts_view(by_library).tolist()
    got = (by_batch.total_count, by_batch.min_value, by_batch.max_value)
    assert got == (by_library.total_count, by_library.min_value, by_library.max_value)


@pytest.mark.parametrize(("highest", "digits"), [(3_600_000_000_000, 2), (2**50, 3)])
def test_add_sparse_adds_nothing_of_another_layout(highest: int, digits: int) -> None:
    """Other digits (indexes that mean other values) or a wider range (indexes past the counts): the caller
    must add such a histogram by value."""
    ours, other = new_histogram(), HdrHistogram(1, highest, digits)
    ours.record_value(12_345)
    other.record_value(highest // 2)
    hist = new_histogram()
    assert not add_sparse(hist, decode_many([ours.encode().decode(), other.encode().decode()]))
    assert hist.total_count == 0 and not counts_view(hist).any()
