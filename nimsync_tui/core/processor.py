"""What Java's ``HistogramLogProcessor`` does to a log besides merging it: a time range, and the
coordinated-omission correction of a log known to need it (``-start``/``-end``,
``-correctLogWithKnownCoordinatedOmission``), so that nobody needs the JVM for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .counts import CountsHistogram
from .protocol import CORRECTED_SUFFIX


@dataclass(frozen=True, slots=True)
class LogWindow:
    """Which intervals of a log are read, and how, as the processor's options say."""

    start_s: float = 0.0
    """Seconds after the log's StartTime: intervals that start earlier are left out (``-start``)."""
    end_s: float = math.inf
    """Seconds after the log's StartTime: reading stops at the first interval that starts later (``-end``)."""
    correct_co: int = 0
    """The expected interval between values, in the log's value unit; 0: no correction."""

    def keeps(self, start_s: float) -> bool:
        """Whether an interval starting ``start_s`` after the log's StartTime is read."""
        return start_s >= self.start_s and start_s <= self.end_s

    def ends_before(self, start_s: float) -> bool:
        """Whether reading stops at an interval starting ``start_s`` after StartTime (the processor's rule)."""
        return start_s > self.end_s

    @property
    def whole(self) -> bool:
        """True when the window changes nothing the plain processor would do."""
        return self == LogWindow()


def parse_range(text: str) -> tuple[float, float]:
    """``START:END`` in seconds from the log's start; either side may be left empty (from the start, to the end)."""
    start_text, colon, end_text = text.partition(":")
    try:
        if not colon:
            raise ValueError
        start = float(start_text) if start_text.strip() else 0.0
        end = float(end_text) if end_text.strip() else math.inf
    except ValueError:
        raise ConfigError(f"--range takes START:END, seconds from the log's start (10:20), got {text!r}") from None
    if not (0.0 <= start <= end) or math.isnan(start) or math.isnan(end):
        raise ConfigError(f"--range {text}: START must be at least 0 and END at least START")
    return start, end


def correct_interval(value: str) -> int:
    """``--correct-co``'s interval: a positive whole number of the log's value unit."""
    try:
        interval = float(value)
    except ValueError:
        interval = math.nan
    if not interval >= 1 or not math.isfinite(interval):
        raise ConfigError(
            f"--correct-co takes the expected interval between values, in the log's value unit, at least 1: "
            f"got {value!r}"
        )
    return int(interval)  # as the processor takes it: the long part of the number


def refuse_corrected(tags: list[str], source: str) -> None:
    """Raise :class:`ConfigError` if a tag says its values are corrected already: never correct twice."""
    corrected = [tag for tag in tags if tag.endswith(CORRECTED_SUFFIX)]
    if corrected:
        raise ConfigError(
            f"{source} holds {corrected[0]!r}, already corrected for coordinated omission; "
            "--correct-co would correct it twice: leave --correct-co out"
        )


def corrected_for_coordinated_omission(hist: CountsHistogram, interval: int) -> CountsHistogram:
    """``hist`` with the values a stalled recorder missed added back, as Java's
    ``copyCorrectedForCoordinatedOmission`` adds them.

    For each recorded value v (its bucket's highest equivalent value) with count c,
    c more values are counted at v - interval, v - 2 * interval, ... down to the
    last one not below ``interval``. The correction is linear in the counts, so
    correcting the merged intervals equals merging the corrected ones.
    """
    layout = hist.layout
    corrected = np.array(hist.counts, dtype=np.int64)
    for index in np.flatnonzero(hist.counts):
        value = layout.highest_value(int(index))
        if value < 2 * interval:
            continue
        missing = np.arange(value - interval, interval - 1, -interval, dtype=np.uint64)
        np.add.at(corrected, layout.indexes_of(missing), hist.counts[index])
    return CountsHistogram(layout, corrected)
