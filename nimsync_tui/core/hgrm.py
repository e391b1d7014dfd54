"""Percentile distributions (``.hgrm``) exactly as Java's ``outputPercentileDistribution`` prints them.

The rows follow Java's ``PercentileIterator`` (HdrHistogram 2.1.11), which
HdrHistogram_py's iterator does not: Java truncates the half-distance exponent to
an integer, so its percentile ticks stay fixed within each half-distance to 100 %.
Numbers are formatted as Java's ``Formatter`` rounds them (half-up on the shortest
decimal), so the output matches the reference byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from hdrh.histogram import HdrHistogram

from .histogram import counts_view, highest_equivalent_at, max_value, mean_stddev
from .hlog import format_java_date, format_java_fixed

__all__ = ["format_percentile_distribution", "log_processor_preamble", "percentile_rows"]

_HEADER = f"{'Value':>12} {'Percentile':>14} {'TotalCount':>10} {'1/(1-Percentile)':>14}\n\n"
_CSV_HEADER = '"Value","Percentile","TotalCount","1/(1-Percentile)"\n'


def log_processor_preamble(start_time_s: float, range_start_s: float = 0.0, range_end_s: float = math.inf) -> list[str]:
    """The two lines Java's ``HistogramLogProcessor`` puts before the distribution.

    ``start_time_s`` is the log's StartTime (seconds since the epoch), printed in UTC;
    the range is the one ``-start``/``-end`` chose.
    """
    end = "<Infinite>" if math.isinf(range_end_s) else format_java_fixed(range_end_s, 3)
    return [
        f"#[Overall percentile distribution between {format_java_fixed(range_start_s, 3)} "
        f"and {end} seconds (relative to StartTime)]",
        f"#[StartTime: {format_java_fixed(start_time_s, 3)} (seconds since epoch), {format_java_date(start_time_s)}]",
    ]


def _next_level(level: float, ticks_per_half_distance: int) -> float:
    # Java: ticks * (long) Math.pow(2, (long) (Math.log(100 / (100 - level)) / Math.log(2)) + 1)
    gap = 100.0 - level
    if gap <= 0.0:
        # Java divides by zero here and ends the iteration; only 1e15+ values get this close.
        return math.inf
    exponent = int(math.log(100.0 / gap) / math.log(2))
    ticks = ticks_per_half_distance * 2 ** (exponent + 1)
    return level + 100.0 / float(ticks)


class _Cumulative:
    """The recorded buckets of a histogram with their running totals, as Java's iterator walks them."""

    def __init__(self, hist: HdrHistogram) -> None:
        counts = counts_view(hist)
        nonzero = np.flatnonzero(counts)
        self.cumulative = np.cumsum(counts[nonzero])
        self.total = int(self.cumulative[-1]) if nonzero.size else 0
        # Java compares (100.0 * totalCountToCurrentIndex) / arrayTotalCount: same operations here.
        self.reached = (100.0 * self.cumulative.astype(np.float64)) / float(max(self.total, 1))
        self.highest = highest_equivalent_at(hist, nonzero)
        self.last = nonzero.size - 1

    def position(self, level: float, at_least: int = 0) -> int:
        """Index of the first recorded bucket whose cumulative percentage reaches ``level``."""
        # Past the last bucket only through float rounding at 100 %: that bucket it is.
        return min(max(at_least, int(np.searchsorted(self.reached, level, side="left"))), self.last)


def percentile_rows(hist: HdrHistogram, ticks_per_half_distance: int = 5) -> list[tuple[int, float, int]]:
    """``(value, percentile level, total count to value)`` for each row of the distribution.

    The value is the highest equivalent value of the first bucket whose cumulative
    percentile reaches the level; the last row is the 100 % row. Empty for an
    empty histogram.
    """
    walk = _Cumulative(hist)
    if walk.total == 0:
        return []
    rows: list[tuple[int, float, int]] = []
    level = 0.0
    position = 0
    while True:
        # Java leaves the loop for the 100 % row after the first row it reports at
        # the last recorded value, however many levels that value also reaches.
        position = walk.position(level, position)
        rows.append((int(walk.highest[position]), level, int(walk.cumulative[position])))
        if position == walk.last:
            rows.append((int(walk.highest[walk.last]), 100.0, walk.total))
            return rows
        level = _next_level(level, ticks_per_half_distance)


def format_percentile_distribution(
    hist: HdrHistogram,
    output_unit_ratio: float = 1000.0,
    ticks_per_half_distance: int = 5,
    header_lines: Sequence[str] = (),
    *,
    csv: bool = False,
) -> str:
    """The ``.hgrm`` text of ``hist``, values divided by ``output_unit_ratio`` (ns -> µs).

    ``header_lines`` (without line ends) go first; pass :func:`log_processor_preamble`
    to reproduce ``HistogramLogProcessor``'s output file. ``csv``: its ``-csv`` form
    (one comma-separated row per level, no summary lines).
    """
    digits = hist.significant_figures
    out = [f"{line}\n" for line in header_lines]
    if csv:
        out.append(_CSV_HEADER)
        for v, level, count in percentile_rows(hist, ticks_per_half_distance):
            fraction = level / 100.0
            inverse = "Infinity" if level == 100.0 else format_java_fixed(1 / (1.0 - fraction), 2)
            shown = format_java_fixed(v / output_unit_ratio, digits)
            out.append(f"{shown},{format_java_fixed(fraction, 12)},{count},{inverse}\n")
        return "".join(out)

    def value(v: float) -> str:
        return format_java_fixed(v / output_unit_ratio, digits).rjust(12)

    out.append(_HEADER)
    for v, level, count in percentile_rows(hist, ticks_per_half_distance):
        fraction = level / 100.0
        if level != 100.0:
            inverse = format_java_fixed(1 / (1.0 - fraction), 2).rjust(14)
            out.append(f"{value(v)} {format_java_fixed(fraction, 12)} {count:10d} {inverse}\n")
        else:
            out.append(f"{value(v)} {format_java_fixed(fraction, 12)} {count:10d}\n")
    mean, stddev = mean_stddev(hist)
    out.append(f"#[Mean    = {value(mean)}, StdDeviation   = {value(stddev)}]\n")
    out.append(f"#[Max     = {value(max_value(hist))}, Total count    = {hist.total_count:12d}]\n")
    out.append(f"#[Buckets = {hist.bucket_count:12d}, SubBuckets     = {hist.sub_bucket_count:12d}]\n")
    return "".join(out)
