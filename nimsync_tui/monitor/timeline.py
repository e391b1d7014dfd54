"""Values over a run's time in a fixed number of points, however long the run goes on."""

from __future__ import annotations

import bisect
import copy
import math
from collections.abc import Sequence

import numpy as np

from .snapshot import Series, frozen_array

DEFAULT_POINTS = 1024
"""Points a timeline keeps: more than any terminal is dots wide (a 120-column chart has about 220)."""
_MIN_WEIGHT_S = 1e-9


class Timeline:
    """Per-interval values over time, held in at most ``points`` points.

    Each point stands for ``span`` consecutive intervals: its time is the end
    of the last of them, its values their means weighted by interval length
    (so a throughput point is the operations of its span over its seconds),
    and it is marked if any of them was; a name listed in ``peaks`` keeps the
    largest of them instead (a maximum averaged would be no maximum). When the points are full, neighbours
    merge pairwise and the span doubles: memory stays fixed for a run of any
    length, and a chart, being narrower than the points, loses nothing it
    could draw.
    """

    def __init__(self, names: Sequence[str], points: int = DEFAULT_POINTS, *, peaks: Sequence[str] = ()) -> None:
        if points < 2 or points % 2:
            raise ValueError(f"a timeline needs an even number of points, at least 2, got {points}")
        self._names = {name: index for index, name in enumerate(names)}
        self._peak_columns = np.array([self._names[name] for name in peaks], dtype=np.intp)
        self._t = np.zeros(points)
        self._weight = np.zeros(points)
        self._count = np.zeros(points, dtype=np.int64)
        self._sums = np.zeros((points, len(self._names)))
        self._marked = np.zeros(points, dtype=bool)
        self._n = 0
        self.span = 1
        """Intervals per point (a power of two)."""

    def __len__(self) -> int:
        return self._n

    def copy(self) -> Timeline:
        """A copy that later additions to either never reach the other."""
        twin = copy.copy(self)
        for name in ("_t", "_weight", "_count", "_sums", "_marked"):
            setattr(twin, name, getattr(self, name).copy())
        return twin

    def add(self, end_s: float, length_s: float, values: Sequence[float], *, mark: bool = False) -> None:
        """One interval ending at ``end_s``, ``length_s`` long, with one value per name."""
        n = self._n
        if n == 0 or self._count[n - 1] >= self.span:
            if n == self._t.size:
                self._halve()
                n = self._n
            n += 1
            self._n = n
        last = n - 1
        weight = max(length_s, _MIN_WEIGHT_S)
        row = np.array(values, dtype=np.float64)  # a copy: the peaks are written into it
        peaks = self._peak_columns
        if self._count[last]:
            row[peaks] = np.maximum(row[peaks], self._sums[last, peaks] / self._weight[last])
        self._t[last] = end_s
        self._weight[last] += weight
        self._count[last] += 1
        self._sums[last] += row * weight
        # A peak column holds its largest value times the point's weight, so that values() reads it back.
        self._sums[last, peaks] = row[peaks] * self._weight[last]
        self._marked[last] |= mark

    def _halve(self) -> None:
        """Merge neighbouring points pairwise (all are full here): half the points, twice the span."""
        half = self._t.size // 2
        self._t[:half] = self._t[1::2]
        peaks = self._peak_columns
        highest = np.maximum(
            self._sums[0::2, peaks] / self._weight[0::2, None], self._sums[1::2, peaks] / self._weight[1::2, None]
        )
        for array in (self._weight, self._count, self._sums):
            array[:half] = array[0::2] + array[1::2]
            array[half:] = 0
        self._sums[:half, peaks] = highest * self._weight[:half, None]
        self._marked[:half] = self._marked[0::2] | self._marked[1::2]
        self._marked[half:] = False
        self._n = half
        self.span *= 2

    @property
    def times(self) -> np.ndarray:
        """Each point's time, ascending (a read-only copy)."""
        return frozen_array(self._t[: self._n])

    def values(self, name: str) -> np.ndarray:
        """Each point's mean value of ``name`` (a read-only copy)."""
        n = self._n
        return frozen_array(self._sums[:n, self._names[name]] / self._weight[:n])

    @property
    def marks(self) -> np.ndarray:
        """The times of the marked points."""
        n = self._n
        return frozen_array(self._t[:n][self._marked[:n]])

    def series(self, name: str, stats: RunningStats | None = None) -> Series:
        """``name`` as a chart series, with the mean and stddev of ``stats`` (of these points without it)."""
        values = self.values(name)
        if stats is not None:
            return Series(self.times, values, stats.mean, stats.stddev, stats.count)
        mean = float(values.mean()) if values.size else 0.0
        stddev = float(values.std(ddof=1)) if values.size > 1 else 0.0
        return Series(self.times, values, mean, stddev)


class RunningStats:
    """Mean and sample standard deviation of a stream of values, in constant memory (Welford's method)."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        """Mean of the values so far (0 before any)."""
        self._m2 = 0.0

    def add(self, value: float) -> None:
        """One more value."""
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (value - self.mean)

    @property
    def stddev(self) -> float:
        """Sample standard deviation (0 with fewer than two values)."""
        return math.sqrt(max(self._m2, 0.0) / (self.count - 1)) if self.count > 1 else 0.0


def intervals_between(bounds: Sequence[tuple[float, float]], start_s: float, end_s: float) -> tuple[int, int]:
    """The intervals (``first``, ``end`` exclusive) of ``bounds`` (each's start and end, ascending) that overlap
    ``start_s``..``end_s``: at least one, the nearest when the span falls between or beyond them."""
    if not bounds:
        return (0, 0)
    if end_s < start_s:
        start_s, end_s = end_s, start_s
    first = min(bisect.bisect_right([end for _, end in bounds], start_s), len(bounds) - 1)
    end = bisect.bisect_left([start for start, _ in bounds], end_s)
    return (first, min(max(end, first + 1), len(bounds)))
