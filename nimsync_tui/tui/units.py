"""How figures are written on screen: latency with its unit, rates and sizes in short form (no Textual)."""

from __future__ import annotations

_LATENCY_UNITS = ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns"))


def latency(ns: float) -> str:
    """``ns`` in the largest unit that keeps it at least 1, three significant digits: ``42.6µs``."""
    for factor, unit in _LATENCY_UNITS:
        if abs(ns) >= factor:
            return f"{ns / factor:.3g}{unit}"
    return f"{ns:.3g}ns"


def count(value: float) -> str:
    """A rate or count in short form: ``3.04M``, ``136k``, ``512``."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}"


def exact_count(value: int, width: int = 8) -> str:
    """A count whole (``153,024``) when it fits in ``width`` characters, else in short form."""
    whole = f"{value:,}"
    return whole if len(whole) <= width else count(value)


def mebibytes(value: float, decimals: int = 1) -> str:
    """Bytes as MiB, with ``decimals`` digits after the point."""
    return f"{value / 2**20:.{decimals}f}MiB"


def seconds(value: float) -> str:
    """A duration as ``m:ss.s`` (or ``s.s s`` under a minute)."""
    if value < 60:
        return f"{value:.1f}s"
    minutes, rest = divmod(value, 60)
    return f"{int(minutes)}:{rest:04.1f}"
