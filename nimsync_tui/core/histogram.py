"""The numeric core over HdrHistogram_py: bulk recording and statistics with numpy.

The library's ``HdrHistogram`` object stays the container (its ``encode()`` and
``decode()`` are correct and interoperate with the Java reference), but its
``record_value`` costs 0.74 µs per value and ``get_mean_value`` + ``get_stddev``
walk every bucket in Python (162 ms). Everything here works on a zero-copy numpy
view of the histogram's counts array instead, and gives bit-for-bit the results
of the library's per-value and per-bucket methods.
"""

from __future__ import annotations

import binascii
import dataclasses
import math
import sys
import weakref
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from hdrh.codec import HdrCookieException, HdrHistogramSettingsException, HdrLengthException
from hdrh.histogram import HdrHistogram

from ..errors import HistogramFormatError
from .counts import CountsHistogram, HistogramLayout, SparseCounts
from .encoding import check_bounds, decode_base64

__all__ = [
    "HIGHEST_TRACKABLE_NS",
    "LOWEST_TRACKABLE_NS",
    "SIGNIFICANT_FIGURES",
    "SUMMARY_PERCENTILES",
    "LatencySummary",
    "PartFigures",
    "add",
    "add_sparse",
    "counts_view",
    "decode_histogram",
    "highest_equivalent_at",
    "max_value",
    "mean_stddev",
    "new_histogram",
    "percentiles_and_max",
    "percentiles_many",
    "record_values",
    "reset",
    "summarize",
    "summarize_sparse",
    "to_hdrhistogram",
    "value_at_percentiles",
]

LOWEST_TRACKABLE_NS = 1
"""Values are nanoseconds: 1 ns is the smallest value told apart from 0."""

HIGHEST_TRACKABLE_NS = 3_600_000_000_000
"""One hour in nanoseconds. HdrHistogram rounds the range up to a whole bucket, so
values up to 2**42 - 1 (about 73 minutes) are still recorded."""

SIGNIFICANT_FIGURES = 3
"""Value resolution: every value is kept to within 0.1 %."""

_INT64 = np.dtype(np.int64)
_INT64_MAX = 2**63 - 1


def new_histogram() -> HdrHistogram:
    """A fresh histogram for nanosecond values from 1 ns to 1 h, 3 significant digits."""
    return _without_cycle(HdrHistogram(LOWEST_TRACKABLE_NS, HIGHEST_TRACKABLE_NS, SIGNIFICANT_FIGURES))


def _without_cycle(hist: HdrHistogram) -> HdrHistogram:
    # The library's histogram and its encoder point at each other, so a dropped
    # histogram (270 kB of counts) waits for the cyclic garbage collector. The
    # load process allocates too few objects to trigger it: one new histogram
    # per interval grew its RSS by ~0.25 MiB/s. A weak back-reference lets
    # reference counting free each histogram the moment it is dropped.
    hist.encoder.histogram = weakref.proxy(hist)
    return hist


# Everything HdrHistogram.decode lets escape on input it cannot read.
_LIBRARY_DECODE_ERRORS = (
    binascii.Error,
    zlib.error,
    ValueError,
    TypeError,
    IndexError,
    ArithmeticError,
    RuntimeError,
    HdrCookieException,
    HdrLengthException,
    HdrHistogramSettingsException,
)


def decode_histogram(encoded: str | bytes) -> HdrHistogram:
    """Decode a base64 encoded histogram (an hlog payload, ``encode()``'s output) of format V0, V1 or V2.

    V2 goes through the library's own C decoder, the quickest way to one of its
    histograms; what it cannot read (the V0/V1 encodings of 2015-era logs, or a
    corrupt payload) goes through :mod:`.encoding`, which decodes the old
    formats and names what is wrong with the others (:class:`HistogramFormatError`).
    """
    check_bounds(encoded)  # the library inflates without a limit
    try:
        return _without_cycle(HdrHistogram.decode(encoded))
    except _LIBRARY_DECODE_ERRORS:
        return to_hdrhistogram(decode_base64(encoded))


def to_hdrhistogram(source: CountsHistogram) -> HdrHistogram:
    """The same histogram as an HdrHistogram_py object (which needs 1 to 5 significant digits)."""
    layout = source.layout
    if layout.significant_figures == 0:
        raise HistogramFormatError("a histogram of 0 significant digits cannot be held by HdrHistogram_py")
    hist = _without_cycle(
        HdrHistogram(layout.lowest_discernible_value, layout.highest_trackable_value, layout.significant_figures)
    )
    counts_view(hist)[: source.counts.size] = source.counts
    nonzero = np.flatnonzero(source.counts)
    if nonzero.size:
        hist.total_count = source.total_count
        hist.min_value = int(layout.lowest_values(nonzero[:1])[0])
        hist.max_value = layout.highest_value(int(nonzero[-1]))
    return hist


def counts_view(hist: HdrHistogram) -> np.ndarray:
    """The histogram's counts array as a writable int64 numpy view (no copy).

    Writing through the view changes the histogram; callers that do must keep
    ``total_count``, ``min_value`` and ``max_value`` in step.
    """
    # A CountsHistogram may leave trailing zeros off: the buffer's length is the array's.
    return np.frombuffer(hist.counts, dtype=_INT64)


@dataclass(frozen=True, slots=True)
class _Values:
    """One of the per-index values of a configuration, for the indexes asked for.

    A narrow layout looks them up in a table made once; a wide one computes them: a table
    per index of the widest layout (2**63, 5 digits) is 6.2 M entries, 50 MB each, where
    the counts that are not zero are a few.
    """

    unit_magnitude: int
    half_count_magnitude: int
    which: str
    """``lowest``, ``highest`` or ``median``."""

    table: np.ndarray | None = None
    """Every index's value, for a layout narrow enough (:data:`_TABLED_COUNTS`): a lookup, not a computation."""

    def __getitem__(self, indexes: np.ndarray | int) -> np.ndarray:
        if self.table is not None:
            looked_up: np.ndarray = self.table[indexes]
            return looked_up
        return self.computed(indexes)

    def computed(self, indexes: np.ndarray | int) -> np.ndarray:
        """The values of ``indexes``, worked out from the layout."""
        index = np.asarray(indexes, dtype=np.int64)
        half_count = 1 << self.half_count_magnitude
        bucket = (index >> self.half_count_magnitude) - 1
        sub_bucket = (index & (half_count - 1)) + half_count
        # Index 0..half_count-1 is the lower half of bucket 0, which the other buckets skip.
        first_half = bucket < 0
        sub_bucket = np.where(first_half, sub_bucket - half_count, sub_bucket)
        bucket = np.maximum(bucket, 0)
        lowest: np.ndarray = sub_bucket << (bucket + self.unit_magnitude)
        if self.which == "lowest":
            return lowest
        size = np.left_shift(np.int64(1), bucket + self.unit_magnitude)
        # The top bucket of a 2**63 layout wraps in int64, as the library's tables did, silently for arrays and scalars.
        with np.errstate(over="ignore"):
            values: np.ndarray = lowest + size - 1 if self.which == "highest" else lowest + (size >> 1)
        return values


@dataclass(frozen=True, slots=True)
class _Layout:
    """Per-index values of one histogram configuration, as the library derives them."""

    lowest: _Values
    """The lowest value each index stands for (``get_value_from_index``)."""
    highest: _Values
    """The highest value each index stands for (``get_highest_equivalent_value``)."""
    median: _Values
    """The value the mean and standard deviation use for each index."""
    max_recordable: int
    """The highest value ``record_value`` still accepts."""


_TABLED_COUNTS = 1 << 17
"""Layouts up to this many counts (1 MiB a table; ours is 33,792) keep their values in tables: a replay asks
for a few values of each of 10,000 intervals, where numpy's per-call cost is most of the work."""


@lru_cache(maxsize=8)
def _layout(unit_magnitude: int, half_count_magnitude: int, counts_len: int) -> _Layout:
    lowest, highest, median = (
        _Values(unit_magnitude, half_count_magnitude, w) for w in ("lowest", "highest", "median")
    )
    if counts_len <= _TABLED_COUNTS:
        every = np.arange(counts_len, dtype=np.int64)
        lowest, highest, median = (dataclasses.replace(v, table=v.computed(every)) for v in (lowest, highest, median))
    return _Layout(lowest, highest, median, int(highest[counts_len - 1]))


def _layout_of(hist: HdrHistogram) -> _Layout:
    return _layout(hist.unit_magnitude, hist.sub_bucket_half_count_magnitude, hist.counts_len)


def record_values(hist: HdrHistogram, values: np.ndarray) -> int:
    """Record every value of ``values`` (integers, ns) into ``hist`` in one numpy pass.

    The result is identical to ``hist.record_value(v)`` for each ``v``: the same
    counts, ``total_count``, ``min_value`` and ``max_value`` (0 is a valid value and
    lands in the first bucket). Values ``record_value`` would refuse (negative, or
    above the top of the counts array) are not recorded; their number is returned
    so that the caller can report them instead of losing them silently.
    """
    values = np.asarray(values)
    if values.size == 0:
        return 0
    if values.dtype.kind not in "iu":
        raise TypeError(f"histogram values must be integers, got dtype {values.dtype}")
    layout = _layout_of(hist)
    in_range = (values >= 0) & (values <= layout.max_recordable)
    valid = values[in_range].astype(np.int64, copy=False)
    overflow = int(values.size - valid.size)
    if valid.size == 0:
        return overflow
    # Every valid value is below 2**53, so the float conversion is exact and frexp's
    # exponent is the bit length the library derives from count-leading-zeros.
    _, bit_length = np.frexp((valid | hist.sub_bucket_mask).astype(np.float64))
    bucket = bit_length.astype(np.int64) - (hist.unit_magnitude + hist.sub_bucket_half_count_magnitude + 1)
    sub_bucket = valid >> (bucket + hist.unit_magnitude)
    index = ((bucket + 1) << hist.sub_bucket_half_count_magnitude) + sub_bucket - hist.sub_bucket_half_count
    counts = counts_view(hist)
    if valid.size < 64:
        np.add.at(counts, index, 1)
    else:
        # bincount up to the highest index only: cheap when values are small.
        counts[: int(index.max()) + 1] += np.bincount(index)
    hist.total_count += int(valid.size)
    hist.min_value = min(hist.min_value, int(valid.min()))
    hist.max_value = max(hist.max_value, int(valid.max()))
    return overflow


def add(dst: HdrHistogram, src: HdrHistogram) -> None:
    """Add the counts of ``src`` to ``dst`` (same configuration expected).

    Uses the library's C array addition, then repairs ``min_value``: the library
    takes the minimum of ``get_min_value()``, which is 0 for an empty histogram,
    so adding into (or from) an empty histogram would otherwise make the minimum 0.
    """
    # An empty histogram's tracked min_value is sys.maxsize, which min() ignores.
    true_min = min(dst.min_value, src.min_value)
    if _same_counts(dst, src):
        # What the library's add does for two arrays of one layout (its C loop, at a tenth of its cost):
        # the counts summed in int64, the total added, the greatest of the maximums kept.
        dst_counts = counts_view(dst)
        np.add(dst_counts, counts_view(src), out=dst_counts)
        dst.total_count += src.get_total_count()
        dst.max_value = max(dst.max_value, src.get_max_value())
    else:
        dst.add(src)
    dst.min_value = true_min


def add_sparse(dst: HdrHistogram, parts: Sequence[SparseCounts]) -> bool:
    """Add decoded histograms to ``dst`` as :func:`add` adds them, if all are of its layout; else add none.

    Returns whether they were added. One pass for many intervals, where decoding
    each into a library histogram to :func:`add` it costs ten times more.
    """
    if not all(_fits(dst, layout) for layout in {part.layout for part in parts}):
        return False
    indexes = np.concatenate([part.indexes for part in parts])
    if not indexes.size:
        return True
    weights = np.concatenate([part.counts for part in parts])
    np.add.at(counts_view(dst), indexes, weights)
    dst.total_count += int(weights.sum())
    # Values grow with the index: the least and greatest indexes hold the least and greatest values.
    layout = _layout_of(dst)
    dst.min_value = min(dst.min_value, int(layout.lowest[int(indexes.min())]))
    dst.max_value = max(dst.max_value, int(layout.highest[int(indexes.max())]))
    return True


def _fits(dst: HdrHistogram, layout: HistogramLayout) -> bool:
    """Whether ``layout``'s indexes are ``dst``'s, on int64 counts that reach its every index."""
    return bool(
        dst.word_size == _INT64.itemsize
        and (dst.unit_magnitude, dst.sub_bucket_half_count_magnitude)
        == (layout.unit_magnitude, layout.sub_bucket_half_count_magnitude)
        and len(dst.counts) == dst.counts_len >= layout.counts_len
    )


def _same_counts(dst: HdrHistogram, src: HdrHistogram) -> bool:
    """Whether the library would add ``src`` to ``dst`` index by index, over int64 counts of one length."""
    return bool(
        dst.word_size == src.word_size == _INT64.itemsize
        and dst.bucket_count == src.bucket_count
        and dst.sub_bucket_count == src.sub_bucket_count
        and dst.unit_magnitude == src.unit_magnitude
        and dst.counts_len == src.counts_len
        and len(dst.counts) == len(src.counts) == dst.counts_len
    )


def reset(hist: HdrHistogram) -> None:
    """Empty ``hist`` in place (the library's ``reset`` loops over 33,792 counters in Python)."""
    counts_view(hist)[:] = 0
    hist.total_count = 0
    hist.min_value = sys.maxsize
    hist.max_value = 0
    hist.start_time_stamp_msec = sys.maxsize
    hist.end_time_stamp_msec = 0


def value_at_percentiles(hist: HdrHistogram, percentiles: Sequence[float]) -> list[int]:
    """The value at each percentile (0..100), as Java's ``getValueAtPercentile`` gives it; 0 if empty.

    The one percentile rule of every figure the tool shows or writes (the
    screen's table, ``intervals.csv``, ``results.json``, the verdicts), so that
    they agree with each other and with the Java reference.
    """
    counts = counts_view(hist)
    nonzero = np.flatnonzero(counts)
    return _percentiles(_layout_of(hist), nonzero, counts[nonzero], percentiles)


def percentiles_and_max(hist: HdrHistogram, percentiles: Sequence[float]) -> tuple[list[int], int]:
    """:func:`value_at_percentiles` and :func:`max_value` at once: one search for the non-zero counts, not two."""
    counts = counts_view(hist)
    nonzero = _nonzero(hist, counts)
    if nonzero.size == 0:
        return value_at_percentiles(hist, percentiles), max_value(hist)
    layout = _layout_of(hist)
    return _percentiles(layout, nonzero, counts[nonzero], percentiles), int(layout.highest[nonzero[-1]])


class PartFigures(NamedTuple):
    """What :func:`percentiles_many` finds of one decoded histogram."""

    values: list[int]
    """The value at each percentile asked for (:func:`value_at_percentiles`); 0s if empty."""
    lowest: int
    """The smallest recorded value's lowest equivalent (a decoded library histogram's ``min_value``); 0 if empty."""
    highest: int
    """The largest recorded value's highest equivalent (:func:`max_value`); 0 if empty."""
    recorded: int
    """Values recorded (its total count)."""


def percentiles_many(parts: Sequence[SparseCounts], percentiles: Sequence[float]) -> list[PartFigures]:
    """Of each decoded histogram: :func:`percentiles_and_max`, its least value and its count, figure for figure.

    The parts are laid end to end and searched at once (a replay asks this of
    every interval of a log: one by one, numpy's cost per call is most of the work).
    """
    found: list[PartFigures] = []
    for chunk in _chunks(parts):
        if not chunk[0].indexes.size:
            found.append(PartFigures([0] * len(percentiles), 0, 0, 0))
            continue
        layout = chunk[0].layout
        table = _layout(layout.unit_magnitude, layout.sub_bucket_half_count_magnitude, layout.counts_len)
        found += _percentiles_laid_end_to_end(table, chunk, percentiles)
    return found


_CHUNK_COUNTS = 1 << 15
"""Non-zero counts searched at once: arrays that stay in the processor's cache (larger ones are slower)."""


def _chunks(parts: Sequence[SparseCounts]) -> Iterator[list[SparseCounts]]:
    """``parts`` in order, in runs of one layout and at most :data:`_CHUNK_COUNTS` counts; each empty part alone."""
    chunk: list[SparseCounts] = []
    held = 0
    for part in parts:
        size = part.indexes.size
        if chunk and (not size or held + size > _CHUNK_COUNTS or part.layout != chunk[0].layout):
            yield chunk
            chunk, held = [], 0
        if not size:
            yield [part]
            continue
        chunk.append(part)
        held += size
    if chunk:
        yield chunk


def _percentiles_laid_end_to_end(
    layout: _Layout, parts: Sequence[SparseCounts], percentiles: Sequence[float]
) -> list[PartFigures]:
    """:func:`_percentiles` of each (non-empty) part, their counts in one array."""
    sizes = np.array([part.indexes.size for part in parts], dtype=np.int64)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    indexes = np.concatenate([part.indexes for part in parts])
    weights = np.concatenate([part.counts for part in parts])
    totals = np.add.reduceat(weights, starts)
    lowest = layout.lowest[indexes[starts]].tolist()
    highest = layout.highest[indexes[ends - 1]].tolist()
    if float(totals.sum(dtype=np.float64)) >= 2.0**62:  # a running sum past int64: one part at a time
        values = [_percentiles(layout, part.indexes, part.counts, percentiles) for part in parts]
    else:
        # Each part's running sum is the whole's less what the parts before it hold; the ranks are
        # _count_at_percentile's, the same float operations on the same numbers.
        cumulative = np.cumsum(weights)
        before = cumulative[starts] - weights[starts]
        levels = [min(max(math.nextafter(p, -math.inf), 0.0), 100.0) for p in percentiles]
        ranks = np.maximum(np.ceil(np.outer(totals.astype(np.float64), levels) / 100.0), 1).astype(np.int64)
        position = np.minimum(np.searchsorted(cumulative, before[:, None] + ranks, side="left"), ends[:, None] - 1)
        at = indexes[position]
        values = np.where(np.array(percentiles) == 0.0, layout.lowest[at], layout.highest[at]).tolist()
    return list(map(PartFigures, values, lowest, highest, totals.tolist()))


def _nonzero(hist: HdrHistogram, counts: np.ndarray) -> np.ndarray:
    """The indexes of the non-zero counts, looked for between the indexes of the least and greatest values the
    histogram tracks (a decoded one's are its first and last non-zero counts') when no count lies outside them."""
    if hist.total_count > 0 and 0 <= hist.min_value <= hist.max_value < sys.maxsize:
        low, high = hist.get_counts_array_index(hist.min_value), hist.get_counts_array_index(hist.max_value)
        if 0 <= low <= high < counts.size:
            window = counts[low : high + 1]
            # No negative count, and the window's sum is everything's: every other count is zero.
            if int(counts.min()) >= 0 and int(window.sum()) == int(counts.sum()):
                found: np.ndarray = np.flatnonzero(window) + low
                return found
    return np.flatnonzero(counts)


def _count_at_percentile(percentile: float, total: int) -> int:
    """How many values lie at or below ``percentile``: Java's ``getValueAtPercentile`` rank, float for float."""
    # One ulp below the level first: Java's guard against a product that rounds up into the next count.
    requested = min(max(math.nextafter(percentile, -math.inf), 0.0), 100.0)
    # Java's (long) cast saturates at Long.MAX_VALUE; the rank is at least the first value.
    return min(max(math.ceil(requested * total / 100.0), 1), _INT64_MAX)


def _percentiles(layout: _Layout, indexes: np.ndarray, weights: np.ndarray, percentiles: Sequence[float]) -> list[int]:
    # Zero counts never move the running sum, so the non-zero ones alone find the same bucket.
    cumulative = np.cumsum(weights)
    total = int(cumulative[-1]) if cumulative.size else 0
    ranks = np.array([_count_at_percentile(p, total) for p in percentiles], dtype=np.int64)
    positions = np.searchsorted(cumulative, ranks, side="left")
    result = []
    for percentile, position in zip(percentiles, positions.tolist(), strict=True):
        if position >= cumulative.size:
            result.append(0)  # an empty histogram
        elif percentile == 0.0:
            result.append(int(layout.lowest[indexes[position]]))
        else:
            result.append(int(layout.highest[indexes[position]]))
    return result


def highest_equivalent_at(hist: HdrHistogram, indexes: np.ndarray) -> np.ndarray:
    """The highest value each of ``indexes`` (into the counts array) stands for."""
    highest: np.ndarray = _layout_of(hist).highest[indexes]
    return highest


def max_value(hist: HdrHistogram) -> int:
    """The highest recorded value's highest equivalent value (``get_max_value``); 0 if empty."""
    nonzero = np.flatnonzero(counts_view(hist))
    if nonzero.size == 0:
        return 0
    return int(_layout_of(hist).highest[nonzero[-1]])


def mean_stddev(hist: HdrHistogram) -> tuple[float, float]:
    """Mean and (population) standard deviation as ``get_mean_value``/``get_stddev`` give them.

    Both use each bucket's median-equivalent value, as Java's HdrHistogram does.
    """
    counts = counts_view(hist)
    nonzero = np.flatnonzero(counts)
    return _mean_stddev(_layout_of(hist), nonzero, counts[nonzero], int(hist.total_count))


def _mean_stddev(layout: _Layout, indexes: np.ndarray, weights: np.ndarray, total: int) -> tuple[float, float]:
    if total == 0:
        return 0.0, 0.0
    medians = layout.median[indexes]
    if int(medians[-1]) * total < 2**63:
        value_sum = int(np.dot(medians, weights))
    else:
        # Beyond int64: the library sums Python ints exactly, so must we.
        value_sum = sum(int(m) * int(w) for m, w in zip(medians, weights, strict=True))
    mean = float(value_sum) / total
    deviation = medians.astype(np.float64) - mean
    # cumsum adds strictly left to right, as the library's loop does; np.sum would
    # pair terms and differ in the last bits.
    squares = np.cumsum((deviation * deviation) * weights.astype(np.float64))[-1]
    return mean, math.sqrt(float(squares) / total)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """The headline statistics of a latency histogram, in its values' unit (nanoseconds for ours).

    The one summary of a histogram: the screen's table, ``intervals.csv`` and
    ``results.json`` read it. Every figure but ``count`` is ``None`` for an empty
    histogram: a zero would read as a measurement. Percentiles follow Java's
    ``getValueAtPercentile`` (:func:`value_at_percentiles`).
    """

    count: int
    """Number of recorded values."""
    min: int | None = None
    """Lowest equivalent value of the smallest recorded value."""
    max: int | None = None
    """Highest equivalent value of the largest recorded value."""
    mean: float | None = None
    """Mean over bucket medians (HdrHistogram's definition)."""
    stddev: float | None = None
    """Population standard deviation over bucket medians."""
    p50: int | None = None
    """Median."""
    p90: int | None = None
    """90th percentile."""
    p95: int | None = None
    """95th percentile."""
    p99: int | None = None
    """99th percentile."""
    p999: int | None = None
    """99.9th percentile."""

    def scaled(self, factor: int) -> LatencySummary:
        """The same summary with every value multiplied by ``factor`` (a log's unit to nanoseconds)."""
        if factor == 1 or self.count == 0:
            return self
        mean, stddev = self.mean, self.stddev
        assert mean is not None and stddev is not None  # a non-empty summary has every figure
        values = (self.min, self.max, self.p50, self.p90, self.p95, self.p99, self.p999)
        low, high, p50, p90, p95, p99, p999 = (None if v is None else v * factor for v in values)
        return LatencySummary(self.count, low, high, mean * factor, stddev * factor, p50, p90, p95, p99, p999)


SUMMARY_PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
"""The levels of :class:`LatencySummary`'s percentiles, in its field order."""


def summarize(hist: HdrHistogram) -> LatencySummary:
    """All of :class:`LatencySummary` in a few numpy passes (about 0.2 ms)."""
    counts = counts_view(hist)
    nonzero = np.flatnonzero(counts)
    return _summary(_layout_of(hist), nonzero, counts[nonzero])


def summarize_sparse(sparse: SparseCounts) -> LatencySummary:
    """:func:`summarize` of a decoded histogram's non-zero counts, without a counts array of its full length."""
    layout = sparse.layout
    table = _layout(layout.unit_magnitude, layout.sub_bucket_half_count_magnitude, layout.counts_len)
    return _summary(table, sparse.indexes, sparse.counts)


def _summary(layout: _Layout, indexes: np.ndarray, weights: np.ndarray) -> LatencySummary:
    if indexes.size == 0:
        return LatencySummary(count=0)
    total = int(weights.sum())
    mean, stddev = _mean_stddev(layout, indexes, weights, total)
    p50, p90, p95, p99, p999 = _percentiles(layout, indexes, weights, SUMMARY_PERCENTILES)
    return LatencySummary(
        count=total,
        min=int(layout.lowest[indexes[0]]),
        max=int(layout.highest[indexes[-1]]),
        mean=mean,
        stddev=stddev,
        p50=p50,
        p90=p90,
        p95=p95,
        p99=p99,
        p999=p999,
    )
