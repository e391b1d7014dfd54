"""Braille plotting maths over numpy: scales, ticks and a dot canvas (no Textual, tested on its own).

Each terminal cell holds a 2x4 braille dot matrix, so a 60x16-cell plot has
120x64 dots. Curves are rasterised with numpy and OR-ed into the cells, so a
later curve never wipes the dots of an earlier one; the cell's colour is that
of the last curve drawn into it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_BRAILLE_BASE = 0x2800
# Dot bits by (row within the cell, column within the cell).
_DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)

NINES_LABELS = ("0%", "90%", "99%", "99.9%", "99.99%", "99.999%")


@dataclass(frozen=True, slots=True)
class Scale:
    """Maps data values onto ``[0, 1]``, linearly or on a log10 scale."""

    lo: float
    hi: float
    log: bool = False

    def unit(self, values: np.ndarray) -> np.ndarray:
        """``values`` as fractions of the range (0 at ``lo``, 1 at ``hi``); outside values fall outside [0, 1]."""
        v = np.asarray(values, dtype=np.float64)
        lo, hi = self.lo, self.hi
        if self.log:
            v = np.log10(np.maximum(v, 1e-300))
            lo, hi = math.log10(lo), math.log10(hi)
        span = hi - lo
        return (v - lo) / span if span > 0 else np.zeros_like(v)


def log_scale_for(values: Sequence[np.ndarray], *, floor: float = 1.0) -> Scale:
    """A log scale from the decade below the smallest value to the decade above the largest."""
    positive = [v[v > 0] for v in values if v.size]
    joined = np.concatenate(positive) if positive else np.array([])
    if joined.size == 0:
        return Scale(floor, floor * 1000, log=True)
    lo = 10 ** math.floor(math.log10(max(float(joined.min()), floor)))
    hi = 10 ** math.ceil(math.log10(max(float(joined.max()), lo * 10)))
    return Scale(lo, max(hi, lo * 10), log=True)


def linear_scale_for(values: Sequence[np.ndarray], *, include: Sequence[float] = (), zero: bool = True) -> Scale:
    """A linear scale over ``values`` (and ``include``), from zero if ``zero``, with 10 % headroom."""
    parts = [v for v in values if v.size] + ([np.asarray(include, dtype=np.float64)] if include else [])
    if not parts:
        return Scale(0.0, 1.0)
    joined = np.concatenate(parts)
    lo = 0.0 if zero else float(joined.min())
    hi = float(joined.max())
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    return Scale(lo, lo + (hi - lo) * 1.1)


def decade_ticks(scale: Scale) -> list[float]:
    """Every power of ten within a log scale."""
    return [10.0**k for k in range(round(math.log10(scale.lo)), round(math.log10(scale.hi)) + 1)]


def nice_ticks(scale: Scale, count: int = 4) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) within a linear scale."""
    span = scale.hi - scale.lo
    if span <= 0:
        return [scale.lo]
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(scale.lo / step) * step
    return [first + i * step for i in range(int((scale.hi - first) / step) + 1)]


def nines(levels: np.ndarray) -> np.ndarray:
    """Percentile levels (0..100) as the x of an HdrHistogram plot: log10(1 / (1 - p))."""
    return np.log10(1.0 / np.maximum(1.0 - np.asarray(levels, dtype=np.float64) / 100.0, 1e-12))


class BrailleCanvas:
    """A ``width`` x ``height`` cell grid of braille dots with one colour index per cell."""

    def __init__(self, width: int, height: int) -> None:
        self.width = max(width, 1)
        self.height = max(height, 1)
        self._dots = np.zeros((self.height * 4, self.width * 2), dtype=bool)
        self._colour = np.full((self.height, self.width), -1, dtype=np.int16)

    @property
    def dot_size(self) -> tuple[int, int]:
        """(columns, rows) of dots."""
        return self.width * 2, self.height * 4

    def plot(self, x: np.ndarray, y: np.ndarray, colour: int, *, connect: bool = True) -> None:
        """Draw points given as fractions of the plot (0..1, y upwards); ``connect`` joins them with lines.

        Points outside [0, 1] are clipped away, not drawn at the edge.
        """
        cols, rows = self.dot_size
        px = np.asarray(x, dtype=np.float64) * (cols - 1)
        py = (1.0 - np.asarray(y, dtype=np.float64)) * (rows - 1)
        ok = np.isfinite(px) & np.isfinite(py)
        px, py = px[ok], py[ok]
        if px.size == 0:
            return
        if connect and px.size > 1:
            # Enough samples along each segment to touch every dot it crosses.
            steps = np.maximum(np.ceil(np.maximum(np.abs(np.diff(px)), np.abs(np.diff(py)))), 1).astype(np.int64)
            t = np.concatenate([np.arange(n) / n for n in steps] + [np.array([1.0])])
            seg = np.concatenate([np.full(n, i) for i, n in enumerate(steps)] + [np.array([steps.size - 1])])
            px = px[seg] + (px[seg + 1] - px[seg]) * t
            py = py[seg] + (py[seg + 1] - py[seg]) * t
        ix, iy = np.rint(px).astype(np.int64), np.rint(py).astype(np.int64)
        inside = (ix >= 0) & (ix < cols) & (iy >= 0) & (iy < rows)
        ix, iy = ix[inside], iy[inside]
        self._dots[iy, ix] = True
        self._colour[iy // 4, ix // 2] = colour

    def hline(self, y: float, colour: int) -> None:
        """A horizontal line at fraction ``y`` of the height."""
        self.plot(np.array([0.0, 1.0]), np.array([y, y]), colour)

    def vline(self, x: float, colour: int) -> None:
        """A vertical line at fraction ``x`` of the width."""
        self.plot(np.array([x, x]), np.array([0.0, 1.0]), colour)

    def marks(self, x: np.ndarray, colour: int) -> None:
        """A short tick on the bottom edge at each fraction of ``x``: events in time, not values."""
        x = np.asarray(x, dtype=np.float64)
        _, rows = self.dot_size
        tick = 1.0 / max(rows - 1, 1)  # two dots high
        self.plot(np.repeat(x, 2), np.tile([0.0, tick], x.size), colour, connect=False)

    def rows(self) -> list[list[tuple[str, int]]]:
        """Each cell as (character, colour index); colour -1 for an empty cell."""
        cells = self._dots.reshape(self.height, 4, self.width, 2)
        codes = np.einsum("hrwc,rc->hw", cells.astype(np.uint16), _DOT_BITS.astype(np.uint16))
        return [
            [
                (chr(_BRAILLE_BASE + int(code)) if code else " ", int(colour))
                for code, colour in zip(row, crow, strict=True)
            ]
            for row, crow in zip(codes, self._colour, strict=True)
        ]

    def text(self) -> str:
        """The canvas as plain lines, for tests."""
        return "\n".join("".join(ch for ch, _ in row) for row in self.rows())
