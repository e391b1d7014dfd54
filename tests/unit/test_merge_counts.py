"""Merging a log's intervals: counts added over a dense span or by sorting, against a sum in Python."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nimsync_tui.core.counts import HistogramLayout, SparseCounts, add_parts

WIDEST = HistogramLayout(1, 2**63 - 1, 5)
"""6.2 M indexes: counts near each other are added densely, far-flung ones by sorting."""


@st.composite
def parts(draw: st.DrawFn) -> SparseCounts:
    """A decoded interval: a few non-zero counts anywhere in the layout or near its start (perhaps none)."""
    top = WIDEST.counts_len - 1
    where = st.one_of(st.integers(0, top), st.integers(0, 3000), st.just(top))
    indexes = sorted(set(draw(st.lists(where, max_size=40))))
    counts = draw(st.lists(st.one_of(st.integers(1, 50), st.integers(1, 2**58)), min_size=len(indexes),
                           max_size=len(indexes)))  # fmt: skip
    return SparseCounts(WIDEST, np.array(indexes, dtype=np.int64), np.array(counts, dtype=np.int64))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts(), st.lists(parts(), max_size=8))
def test_add_parts_sums_every_index_whether_dense_or_sorted(total: SparseCounts, every: list[SparseCounts]) -> None:
    summed = add_parts(total, every)
    expected: dict[int, int] = {}
    for part in [total, *every]:
        for index, count in zip(part.indexes.tolist(), part.counts.tolist(), strict=True):
            expected[index] = expected.get(index, 0) + count
    assert summed.indexes.tolist() == sorted(expected)
    assert summed.counts.tolist() == [expected[i] for i in sorted(expected)]
