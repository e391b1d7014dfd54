"""Replay: an interval log (ours, an export, a partial log, or another tool's) as the same state a live run has."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from ..core.counts import DenseBudget
from ..core.hlog import HlogEntry, HlogReader, read_hlog
from ..core.protocol import IntervalRecord, RunStarted
from ..core.recording import find_log
from ..core.units import VALUE_UNITS_NS
from ..errors import ConfigError, HistogramFormatError
from .snapshot import ScenarioRow, Snapshot
from .state import RunState

UNTAGGED = "(untagged)"
"""The name shown for the intervals of a log without tags (format 1.2, most foreign logs)."""
_INTERVAL_FIELDS = {f.name for f in fields(IntervalRecord)}


@dataclass(slots=True)
class _Track:
    """The intervals of one tag, and the state of the first ``shown`` of them."""

    name: str
    started: RunStarted | None
    ns_per_unit: float
    intervals: list[tuple[IntervalRecord, bool]] = field(default_factory=list)
    """Each interval's record (its encoded histogram inside) and whether its vitals are known."""
    shown: int = 0
    follow: bool = True
    """Showing the whole run: new intervals are shown as they load."""
    state: RunState = field(init=False)

    def __post_init__(self) -> None:
        self.rebuild(0)

    def rebuild(self, shown: int) -> None:
        self.state = RunState(self.name, ns_per_unit=self.ns_per_unit, spool=False)
        if self.started is not None:
            self.state.start(self.started)
        self.shown = 0
        self.show(shown)

    def append(self, record: IntervalRecord, vitals: bool, hist: HdrHistogram) -> None:
        """One more interval; shown at once (with its histogram already decoded) when following."""
        self.intervals.append((record, vitals))
        if self.follow and self.shown == len(self.intervals) - 1:
            self.state.interval(record, hist, vitals=vitals)
            self.shown += 1
            self.state.phase = "replay"

    def show(self, shown: int) -> None:
        """Show the first ``shown`` intervals: forward adds, backward rebuilds."""
        shown = max(0, min(shown, len(self.intervals)))
        if shown < self.shown:
            self.rebuild(shown)
            return
        for record, vitals in self.intervals[self.shown : shown]:
            self.state.interval(record, vitals=vitals)
        self.shown = shown
        self.state.phase = "replay"
        self.state.touch()


class ReplaySource:
    """An interval log read in batches, with a cursor per tag that steps, plays and shows all.

    Reading is lazy and batched (:meth:`load`) so that the first frame of a
    long log appears at once while the rest loads behind it.
    """

    def __init__(self, path: Path, *, value_unit: str = "ns", clock: Callable[[], float] = time.monotonic) -> None:
        if value_unit not in VALUE_UNITS_NS:
            raise ConfigError(f"--value-unit must be one of {', '.join(VALUE_UNITS_NS)}, got {value_unit!r}")
        self.path = find_log(path)
        """The log being replayed."""
        self.value_unit = value_unit
        # Streamed: a log's lines are never all in memory at once.
        self._reader: HlogReader = read_hlog(self.path)
        self._reader_comments = 0
        self._held: HlogEntry | None = None
        self._started: dict[str, RunStarted] = {}
        self._vitals: dict[int, IntervalRecord] = {}
        self._tracks: dict[str, _Track] = {}
        self._budget = DenseBudget()
        self._clock = clock
        self._play_from: tuple[float, float] | None = None
        self._changes = 0
        self.loaded = False
        """True once every interval of the log has been read."""
        self.selected = ""
        """The tag on screen."""

    # -- loading ----------------------------------------------------------------

    def load(self, batch: int = 256) -> bool:
        """Read up to ``batch`` more intervals; returns :attr:`loaded`.

        Raises :class:`HistogramFormatError` for a line that cannot be read;
        what was read before it stays.
        """
        if self.loaded:
            return True
        entries = [] if self._held is None else [self._held]
        self._held = None
        failure: HistogramFormatError | None = None
        try:
            for entry in self._reader:
                entries.append(entry)
                if len(entries) > batch:
                    break
            else:
                self.loaded = True
        except HistogramFormatError as error:
            # What was read before the bad line is still shown; the rest of the log is not.
            failure, self.loaded = error, True
        self._read_comments()
        if not self.loaded and entries:
            # Its JSON comment is on the next line, not read yet.
            self._held = entries.pop()
        for entry in entries:
            self._add(entry)
        self._changes += 1
        if failure is not None:
            raise failure
        if self.loaded and not self._tracks:
            raise HistogramFormatError(f"{self.path} holds no interval to replay")
        return self.loaded

    def _read_comments(self) -> None:
        comments = self._reader.comments
        for comment in comments[self._reader_comments :]:
            raw = _json_event(comment.text)
            if raw is None:
                continue
            kind = raw.pop("event")
            try:
                if kind == "started":
                    started = RunStarted(**raw)
                    self._started.setdefault(started.scenario, started)
                elif kind == "interval" and raw.keys() <= _INTERVAL_FIELDS:
                    raw["gc_collections"] = tuple(raw.get("gc_collections", ()))
                    self._vitals[comment.line] = IntervalRecord(**raw)
            except TypeError:
                continue  # an event of another version: the histogram line still counts
        self._reader_comments = len(comments)

    def _add(self, entry: HlogEntry) -> None:
        name = entry.tag or UNTAGGED
        vitals = self._vitals.pop(entry.line + 1, None)
        track = self._tracks.get(name)
        if track is None:
            # Each tag keeps a dense histogram of its layout.
            self._budget.take(entry.counts().layout.counts_len, f"{self.path}, line {entry.line}", name)
            started = self._started.get(name.split(".", 1)[0])
            # Our logs are in ns; another tool's are in whatever --value-unit says.
            ours = vitals is not None or started is not None
            track = self._tracks[name] = _Track(name, started, 1.0 if ours else VALUE_UNITS_NS[self.value_unit])
            if not self.selected:
                self.selected = name
        payload = entry.encoded
        if vitals is not None:
            record = IntervalRecord(**{**_record_fields(vitals), "histogram": payload, "phase": "measure"})
        else:
            record = entry.record(name, histogram=payload)
        track.append(record, vitals is not None, entry.histogram)

    # -- moving -----------------------------------------------------------------

    @property
    def _track(self) -> _Track:
        return self._tracks[self.selected]

    def select(self, name: str) -> None:
        """Show the tag ``name``."""
        if name not in self._tracks:
            raise ConfigError(f"the log has no tag {name!r}")
        self.selected = name
        self._play_from = None
        self._changes += 1

    def step(self, by: int) -> None:
        """Move the cursor ``by`` intervals (back when negative), stopping at the first and the last."""
        track = self._track
        track.follow = False
        track.show(max(1, track.shown + by))
        self._changes += 1

    def first(self) -> None:
        """Show only the first interval."""
        self.step(-len(self._track.intervals))

    def whole(self) -> None:
        """Show every interval, and those still loading."""
        track = self._track
        track.follow = True
        self._play_from = None
        track.show(len(track.intervals))
        self._changes += 1

    @property
    def playing(self) -> bool:
        """Whether intervals are shown at their recorded pace."""
        return self._play_from is not None

    def toggle_play(self) -> bool:
        """Start or stop playing; playing from the end starts over. Returns :attr:`playing`."""
        if self._play_from is not None:
            self._play_from = None
        else:
            track = self._track
            if track.shown >= len(track.intervals):
                track.show(1)
            track.follow = False
            self._play_from = (self._clock(), self._start_of(track.shown - 1))
        self._changes += 1
        return self.playing

    def tick(self) -> None:
        """While playing, show every interval whose recorded start has come."""
        if self._play_from is None:
            return
        track = self._track
        wall0, log0 = self._play_from
        due = log0 + (self._clock() - wall0)
        shown = track.shown
        while shown < len(track.intervals) and self._start_of(shown) <= due:
            shown += 1
        if shown != track.shown:
            track.show(shown)
            self._changes += 1
        if shown >= len(track.intervals) and self.loaded:
            self._play_from = None
            self._changes += 1

    def _start_of(self, index: int) -> float:
        return self._track.intervals[max(index, 0)][0].start_s

    # -- reading ----------------------------------------------------------------

    @property
    def version(self) -> int:
        """Changes whenever the picture would."""
        return self._changes

    def snapshot(self) -> Snapshot:
        """The frozen picture of the replay now."""
        if not self._tracks:
            return Snapshot(mode="replay", loaded=self.loaded, value_unit=self.value_unit)
        track = self._track
        return Snapshot(
            mode="replay",
            runs=(track.state.view(),),
            scenarios=tuple(ScenarioRow(name, "replay") for name in self._tracks),
            selected=self.selected,
            position=(track.shown, len(track.intervals)),
            playing=self.playing,
            loaded=self.loaded,
            value_unit="ns" if track.ns_per_unit == 1.0 else self.value_unit,
        )


def _json_event(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    return raw if isinstance(raw, dict) and isinstance(raw.get("event"), str) else None


def _record_fields(record: IntervalRecord) -> dict[str, Any]:
    return {f: getattr(record, f) for f in _INTERVAL_FIELDS}
