"""The ``--compare`` curve: a recording (or any interval log) merged per tag."""

from __future__ import annotations

from pathlib import Path

from hdrh.histogram import HdrHistogram

from ..core.counts import MAX_DENSE_COUNTS, DenseBudget
from ..core.histogram import add
from ..errors import HistogramFormatError
from ..recording.logfile import LogFile
from ..recording.names import find_log
from .curves import percentile_curve
from .snapshot import EMPTY_CURVE, Curve
from .state import empty_like


class BaselineCurve:
    """Per-tag merged histograms of a log; the curve shown against the live one."""

    def __init__(self, merged: dict[str | None, HdrHistogram], label: str, ns_per_unit: float = 1.0) -> None:
        self.label = label
        """What the user named (the directory or file)."""
        self._merged = merged
        self._ns_per_unit = ns_per_unit
        self._curves: dict[str | None, Curve] = {}

    @classmethod
    def load(cls, path: Path, ns_per_unit: float = 1.0, *, max_counts: int = MAX_DENSE_COUNTS) -> BaselineCurve:
        """Read the log ``path`` names (a recording directory or a ``.hlog``); its tags' dense histograms
        hold at most ``max_counts`` counts in all."""
        log = find_log(path)
        merged: dict[str | None, HdrHistogram] = {}
        budget = DenseBudget(max_counts)
        for entry in LogFile(log).reader():
            into = merged.get(entry.tag)
            if into is None:  # refused before its dense histogram is made
                budget.take(entry.layout().counts_len, f"{log}, line {entry.line}", entry.tag)
            histogram = entry.histogram()
            if into is None:
                into = merged[entry.tag] = empty_like(histogram)
            add(into, histogram)
        if not merged:
            raise HistogramFormatError(f"{log} holds no interval to compare with")
        return cls(merged, path.name or str(path), ns_per_unit)

    def curve_for(self, scenario: str) -> Curve:
        """The baseline of ``scenario``: its own tag, or the log's only one (a foreign, untagged log)."""
        key: str | None = scenario
        if key not in self._merged:
            if len(self._merged) != 1:
                return EMPTY_CURVE
            (key,) = self._merged
        if key not in self._curves:
            self._curves[key] = percentile_curve(self._merged[key], self._ns_per_unit)
        return self._curves[key]
