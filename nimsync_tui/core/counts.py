"""Histograms of any layout as numpy counts arrays, merged by value as Java's ``add`` merges them.

A log from another tool may hold histograms of any lowest discernible value,
highest trackable value and precision (0 to 5 significant digits, where
HdrHistogram_py accepts only 1 to 5), and interval histograms of different
ranges when they auto-resize. :class:`HistogramLayout` is Java's bucket
arithmetic (HdrHistogram 2.1.11, ``AbstractHistogram``) for any of them, and
:class:`CountsHistogram` holds the counts in numpy. It has the attributes the
numpy statistics of :mod:`.histogram` and :mod:`.hgrm` read, so percentiles,
mean, standard deviation and ``.hgrm`` text work on it as on a library histogram.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import HistogramFormatError

__all__ = [
    "MAX_DENSE_COUNTS",
    "CountsHistogram",
    "DenseBudget",
    "HistogramLayout",
    "SparseCounts",
    "add_parts",
    "merge",
]

_INT64_MAX = 2**63 - 1
_DENSE_SPAN_PER_COUNT = 4
"""A merge adds its counts in a dense array when the indexes they span are at most this many per count
(8 bytes an index): its memory stays a small multiple of the counts' own."""
_DENSE_SPAN_MIN = 1 << 16
"""...or when they span at most this many indexes (512 KiB) in all."""
MAX_DENSE_COUNTS = 1 << 24
"""Counts that the dense histograms of one log's tags may hold in all (``--max-counts``): 128 MiB for one copy;
the app keeps three per tag (the whole run, the range shown, the latest interval), about 430 MB at the bound."""


@dataclass(frozen=True, slots=True)
class HistogramLayout:
    """Which value each index of a counts array stands for, as Java's constructor derives it.

    Raises :class:`HistogramFormatError` for parameters Java's constructor refuses.
    """

    lowest_discernible_value: int
    """The smallest value told apart from 0 (Java's ``lowestDiscernibleValue``)."""
    highest_trackable_value: int
    """The highest value the counts array must reach."""
    significant_figures: int
    """Decimal digits of value resolution, 0 to 5."""
    unit_magnitude: int = field(init=False)
    """log2 of the value step in the first bucket."""
    sub_bucket_half_count_magnitude: int = field(init=False)
    """log2 of half the sub-buckets per bucket."""
    bucket_count: int = field(init=False)
    """Buckets needed to reach ``highest_trackable_value``."""
    counts_len: int = field(init=False)
    """Length of the counts array."""

    def __post_init__(self) -> None:
        lowest, highest, digits = self.lowest_discernible_value, self.highest_trackable_value, self.significant_figures
        if not 1 <= lowest <= _INT64_MAX // 2:
            raise HistogramFormatError(f"lowest discernible value {lowest} is not between 1 and 2**62")
        if not 2 * lowest <= highest <= _INT64_MAX:
            raise HistogramFormatError(f"highest trackable value {highest} is below twice the lowest ({lowest})")
        if not 0 <= digits <= 5:
            raise HistogramFormatError(f"{digits} significant digits (HdrHistogram allows 0 to 5)")
        # The same float expressions as Java, so that the rounding agrees.
        unit_magnitude = int(math.log(lowest) / math.log(2))
        sub_bucket_count_magnitude = math.ceil(math.log(2 * 10**digits) / math.log(2))
        if sub_bucket_count_magnitude + unit_magnitude > 62:
            raise HistogramFormatError(f"{digits} significant digits above {lowest} do not fit 63 bits")
        object.__setattr__(self, "unit_magnitude", unit_magnitude)
        object.__setattr__(self, "sub_bucket_half_count_magnitude", sub_bucket_count_magnitude - 1)
        buckets = self.buckets_to_cover(highest)
        object.__setattr__(self, "bucket_count", buckets)
        object.__setattr__(self, "counts_len", (buckets + 1) * self.sub_bucket_half_count)

    @property
    def sub_bucket_count(self) -> int:
        """Sub-buckets per bucket."""
        return 2 << self.sub_bucket_half_count_magnitude

    @property
    def sub_bucket_half_count(self) -> int:
        """Half of :attr:`sub_bucket_count`: the index step from one bucket to the next."""
        return 1 << self.sub_bucket_half_count_magnitude

    def buckets_to_cover(self, value: int) -> int:
        """Java's ``getBucketsNeededToCoverValue``."""
        smallest_untrackable = self.sub_bucket_count << self.unit_magnitude
        buckets = 1
        while smallest_untrackable <= value:
            if smallest_untrackable > _INT64_MAX // 2:
                return buckets + 1
            smallest_untrackable <<= 1
            buckets += 1
        return buckets

    def same_indexes(self, other: HistogramLayout) -> bool:
        """Whether an index means the same value range in both layouts (their lengths may differ)."""
        return (self.unit_magnitude, self.sub_bucket_half_count_magnitude) == (
            other.unit_magnitude,
            other.sub_bucket_half_count_magnitude,
        )

    def lowest_values(self, indexes: np.ndarray) -> np.ndarray:
        """The lowest value each index stands for (Java's ``valueFromIndex``), as uint64."""
        indexes = indexes.astype(np.int64)
        half = self.sub_bucket_half_count
        bucket = (indexes >> self.sub_bucket_half_count_magnitude) - 1
        sub_bucket = (indexes & (half - 1)) + half
        first = bucket < 0
        sub_bucket[first] -= half
        bucket[first] = 0
        return sub_bucket.astype(np.uint64) << (bucket + self.unit_magnitude).astype(np.uint64)

    def highest_value(self, index: int) -> int:
        """The highest value ``index`` stands for (Java's ``highestEquivalentValue(valueFromIndex)``)."""
        bucket = max((index >> self.sub_bucket_half_count_magnitude) - 1, 0)
        lowest = int(self.lowest_values(np.array([index]))[0])
        return lowest + (1 << (bucket + self.unit_magnitude)) - 1

    def indexes_of(self, values: np.ndarray) -> np.ndarray:
        """The counts index each (non-negative, uint64) value is recorded at (Java's ``countsArrayIndex``)."""
        values = values.astype(np.uint64)
        mask = np.uint64((self.sub_bucket_count - 1) << self.unit_magnitude)
        bit_length = _bit_length(values | mask)
        bucket = bit_length - (self.unit_magnitude + self.sub_bucket_half_count_magnitude + 1)
        sub_bucket = (values >> (bucket + self.unit_magnitude).astype(np.uint64)).astype(np.int64)
        return ((bucket + 1) << self.sub_bucket_half_count_magnitude) + sub_bucket - self.sub_bucket_half_count

    def resized(self, highest_trackable_value: int) -> HistogramLayout:
        """The layout Java's auto-resize gives to reach ``highest_trackable_value``."""
        return HistogramLayout(self.lowest_discernible_value, highest_trackable_value, self.significant_figures)


def _bit_length(values: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of each uint64, exact over the whole range."""
    _, estimate = np.frexp(values.astype(np.float64))
    estimate = estimate.astype(np.int64)
    # Above 2**53 the float conversion may round up to the next power of two.
    high = np.maximum(estimate - 1, 0).astype(np.uint64)
    rounded_up = (values >> high) == 0
    exact: np.ndarray = estimate - rounded_up.astype(np.int64)
    return exact


class CountsHistogram:
    """A histogram as a layout and an int64 counts array (trailing zeros may be left off).

    Offers the attributes :mod:`.histogram`'s statistics and :mod:`.hgrm` read from
    a library histogram (``counts``, ``counts_len``, ``total_count``,
    ``unit_magnitude``, ``significant_figures``, ...).
    """

    def __init__(self, layout: HistogramLayout, counts: np.ndarray | None = None) -> None:
        self.layout = layout
        """Which value each index stands for."""
        self.counts: np.ndarray = np.zeros(0, dtype=np.int64) if counts is None else counts
        """Counts per index; indexes past its end count 0."""
        self.total_count: int = int(self.counts.sum())
        """Sum of the counts."""

    # The attribute names of a library histogram, read by .histogram and .hgrm.
    @property
    def counts_len(self) -> int:
        """Length of the full counts array of the layout."""
        return self.layout.counts_len

    @property
    def unit_magnitude(self) -> int:
        """See :attr:`HistogramLayout.unit_magnitude`."""
        return self.layout.unit_magnitude

    @property
    def sub_bucket_half_count_magnitude(self) -> int:
        """See :attr:`HistogramLayout.sub_bucket_half_count_magnitude`."""
        return self.layout.sub_bucket_half_count_magnitude

    @property
    def significant_figures(self) -> int:
        """See :attr:`HistogramLayout.significant_figures`."""
        return self.layout.significant_figures

    @property
    def bucket_count(self) -> int:
        """See :attr:`HistogramLayout.bucket_count`."""
        return self.layout.bucket_count

    @property
    def sub_bucket_count(self) -> int:
        """See :attr:`HistogramLayout.sub_bucket_count`."""
        return self.layout.sub_bucket_count

    def max_value(self) -> int:
        """Highest equivalent value of the highest recorded value (Java's ``getMaxValue``); 0 if empty."""
        nonzero = np.flatnonzero(self.counts)
        return self.layout.highest_value(int(nonzero[-1])) if nonzero.size else 0


class DenseBudget:
    """What a reader keeping one dense histogram per tag has spent: at most ``limit`` counts
    (:data:`MAX_DENSE_COUNTS` unless the user's ``--max-counts`` says otherwise).

    The widest layout (2**63, 5 digits) is 6.2 M counts: a few hundred bytes of
    log per tag would otherwise cost 50 MB each.
    """

    def __init__(self, limit: int = MAX_DENSE_COUNTS) -> None:
        self.limit = limit
        """The most counts the tags may hold in all."""
        self.spent = 0
        """Counts taken so far."""

    def take(self, counts_len: int, where: str, tag: str | None) -> None:
        """Take a tag's ``counts_len`` counts; :class:`HistogramFormatError` past the bound, naming ``where``."""
        self.spent += counts_len
        if self.spent > self.limit:
            raise HistogramFormatError(
                f"{where}: tag {tag!r} takes the log past {self.limit:,} histogram counts in all "
                f"({counts_len:,} for its layout); raise --max-counts N, "
                "or replay it headless: --replay PATH --record DIR"
            )


@dataclass(frozen=True, slots=True)
class SparseCounts:
    """A decoded histogram as its non-zero counts: small to keep, quick to merge."""

    layout: HistogramLayout
    """Which value each index stands for."""
    indexes: np.ndarray
    """Ascending int64 indexes of the non-zero counts."""
    counts: np.ndarray
    """The int64 count at each of :attr:`indexes` (all positive)."""

    @classmethod
    def empty(cls, layout: HistogramLayout) -> SparseCounts:
        """No counts at all, in ``layout``."""
        return cls(layout, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))

    @classmethod
    def of(cls, hist: CountsHistogram) -> SparseCounts:
        """The non-zero counts of ``hist``."""
        indexes = np.flatnonzero(hist.counts).astype(np.int64)
        return cls(hist.layout, indexes, hist.counts[indexes].astype(np.int64))

    def dense(self) -> CountsHistogram:
        """The counts array up to the last non-zero count."""
        size = int(self.indexes[-1]) + 1 if self.indexes.size else 0
        counts = np.zeros(size, dtype=np.int64)
        counts[self.indexes] = self.counts
        return CountsHistogram(self.layout, counts)


def merge(layout: HistogramLayout, parts: Sequence[SparseCounts]) -> CountsHistogram:
    """The sum of ``parts`` in a histogram of ``layout``, as Java's ``HistogramLogProcessor`` adds them.

    The processor adds each interval into an auto-resizing copy of the first
    one's layout; the result does not depend on the order, so the parts of each
    source layout are added in one numpy pass.
    """
    return add_parts(SparseCounts.empty(layout), parts).dense()


def add_parts(total: SparseCounts, parts: Sequence[SparseCounts]) -> SparseCounts:
    """``total`` plus ``parts``, its layout resized as Java's auto-resize does: a log merged batch by batch.

    Resizing keeps the lowest value and the digits, so the indexes already
    counted keep their meaning. The sum stays sparse: its memory follows the
    counts that are not zero, never the width of a layout (a single count at
    the top of a 2**63, 5-digit layout would need 6.2 M dense counts).
    """
    by_layout: dict[HistogramLayout, list[SparseCounts]] = {}
    for part in parts:
        if part.indexes.size:
            by_layout.setdefault(part.layout, []).append(part)
    highest = max(
        (source.highest_value(max(int(p.indexes[-1]) for p in group)) for source, group in by_layout.items()),
        default=0,
    )
    layout = total.layout
    if layout.highest_value(layout.counts_len - 1) < highest:
        layout = layout.resized(highest)
    indexes, counts = [total.indexes], [total.counts]
    for source, group in by_layout.items():
        group_indexes = np.concatenate([p.indexes for p in group])
        if not layout.same_indexes(source):
            group_indexes = layout.indexes_of(source.lowest_values(group_indexes))
        indexes.append(group_indexes)
        counts.extend(p.counts for p in group)
    every_index, every_count = np.concatenate(indexes), np.concatenate(counts)
    if not every_index.size:
        return SparseCounts(layout, every_index, every_count)
    if float(every_count.sum(dtype=np.float64)) >= 2.0**63:
        raise HistogramFormatError("histogram counts add up past 2**63")
    low = int(every_index.min())
    span = int(every_index.max()) - low + 1
    if span <= max(_DENSE_SPAN_PER_COUNT * every_index.size, _DENSE_SPAN_MIN):
        # Counts added in place over the span they cover: 20 times quicker than sorting them,
        # and that span is bounded by the counts' own number, never by the layout's width.
        dense = np.zeros(span, dtype=np.int64)
        np.add.at(dense, every_index - low, every_count)
        nonzero = np.flatnonzero(dense)
        return SparseCounts(layout, nonzero + low, dense[nonzero])
    order = np.argsort(every_index, kind="stable")
    every_index, every_count = every_index[order], every_count[order]
    firsts = np.flatnonzero(np.diff(every_index, prepend=-1))
    return SparseCounts(layout, every_index[firsts], np.add.reduceat(every_count, firsts))
