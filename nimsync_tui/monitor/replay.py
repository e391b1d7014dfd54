"""Replay: an interval log (ours, an export, a partial log, or another tool's) as the same state a live run has."""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hdrh.histogram import HdrHistogram

from ..core.counts import MAX_DENSE_COUNTS, DenseBudget, HistogramLayout, SparseCounts
from ..core.histogram import add, add_sparse, counts_view, decode_histogram, percentiles_many
from ..core.hlog import decode_entries
from ..core.protocol import CORRECTED_SUFFIX, IntervalRecord, Phase, RunStarted
from ..core.units import VALUE_UNITS_NS
from ..errors import ConfigError, HistogramFormatError
from ..recording.events import LoggedInterval, logged_events
from ..recording.logfile import LogFile
from ..recording.names import UNTAGGED, find_log
from ..suite.targets import DEFAULT_TARGETS, Target, check_row
from .baseline import BaselineCurve
from .snapshot import EMPTY_CURVE, RunPhase, ScenarioRow, Snapshot, TargetLine
from .state import OVER_TIME_PERCENTILES, OverTimeRow, RunState, empty_like
from .timeline import intervals_between

_MARKS = 32
"""The most checkpoints of the whole run's figures the tag on screen keeps (about 150 kB each; the other tags
keep none): a step back re-adds at most the intervals since the one before it."""
_MARK_EVERY = 64
"""Intervals between checkpoints at first; doubled (and every other one dropped) whenever they are too many."""


@dataclass(slots=True)
class _Track:
    """The intervals of one tag, and the state of the range of them shown: ``first`` up to ``shown``.

    What each interval contributes to a range's figures but its histogram (its
    point of the latency over time above all, percentiles computed once) is
    kept when it loads; the range's histograms are the sums of its intervals'
    counts, reached from the histograms at hand (the range shown before, or the
    whole run) by adding and subtracting the intervals that differ, exact since
    counts are integers. A step back near the end of a long log so re-adds the
    figures of the intervals since the last checkpoint of the whole run's
    (:data:`_MARKS` at most) and decodes one histogram, where a rebuild decoded them all.
    """

    name: str
    started: RunStarted | None
    ns_per_unit: float
    intervals: list[tuple[IntervalRecord, bool]] = field(default_factory=list)
    """Each interval's record (its encoded histogram inside) and whether its vitals are known."""
    first: int = 0
    """Intervals before the range shown."""
    shown: int = 0
    """The end of the range shown (exclusive)."""
    follow: bool = False
    """Showing the whole run: new intervals are shown as they load (:attr:`state` is :attr:`whole` then)."""
    moving_start: bool = False
    """Whether stepping moves the range's start (else its end)."""
    state: RunState = field(init=False)
    """The range shown."""
    whole: RunState = field(init=False)
    """Every interval loaded: the timeline a range is chosen on."""
    over_time: list[OverTimeRow | None] = field(default_factory=list)
    """Each interval's point of the latency over time (:meth:`RunState.over_time_of`)."""
    _mins: list[int] = field(default_factory=list)
    """Each measured interval's histogram's ``min_value`` (``sys.maxsize``, which adds nothing, for the others)."""
    _maxes: list[int] = field(default_factory=list)
    """Each measured interval's histogram's ``get_max_value()`` (0 for the others)."""
    _kind: tuple[object, ...] | None = None
    """The histogram layout and whether ``.corrected`` of the intervals, while all are alike; else ``None``."""
    _alike: bool = True
    """Whether all intervals' histograms can be added and subtracted as counts (one layout, one kind)."""
    _marks: list[tuple[int, RunState]] = field(default_factory=list)
    """Checkpoints of :attr:`whole`'s figures (:meth:`RunState.checkpoint`): after how many intervals, and them."""
    _mark_every: int = _MARK_EVERY
    marking: bool = False
    """Whether checkpoints are kept: for the tag on screen only, so that their memory does not grow with the tags."""

    def __post_init__(self) -> None:
        self.whole = self._new_state()
        self.rebuild(0, 0)

    def _new_state(self) -> RunState:
        state = RunState(self.name, ns_per_unit=self.ns_per_unit, spool=False)
        if self.started is not None:
            state.start(self.started)
        return state

    def rebuild(self, first: int, shown: int) -> None:
        self.state = self._new_state()
        self.first = self.shown = first
        self.show(first, shown)

    def extend(self, records: Sequence[IntervalRecord], vitals: Sequence[bool], parts: Sequence[SparseCounts]) -> None:
        """More intervals (their histograms decoded); shown at once when following, or when one is the
        first: a replay opens at its first interval."""
        whole = self.whole
        found = percentiles_many(parts, OVER_TIME_PERCENTILES)
        for record, known, part, figures, over_time in zip(
            records, vitals, parts, found, whole.over_time_rows(records, found), strict=True
        ):
            self.intervals.append((record, known))
            self.over_time.append(over_time)
            measured = record.phase == Phase.MEASURE and figures.recorded > 0
            # What each decoded library histogram tracks (min_value, get_max_value()), as add() combines them.
            self._mins.append(figures.lowest if measured else sys.maxsize)
            self._maxes.append(figures.highest if measured else 0)
            kind = (part.layout, record.tag.endswith(CORRECTED_SUFFIX))
            if self._kind is None:
                self._kind = kind
            self._alike = self._alike and kind == self._kind
            whole.figures(record, vitals=known, over_time=over_time)
            if self.marking and len(self.intervals) % self._mark_every == 0:
                self._mark(len(self.intervals), whole)
            if self.state is whole:
                self.shown += 1
            elif (self.follow or not self.shown) and self.shown == len(self.intervals) - 1:
                self.state.interval(record, vitals=known, over_time=over_time)
                self.shown += 1
                self.state.phase = RunPhase.REPLAY
        self._add_histograms(records, parts)
        whole.phase = RunPhase.REPLAY

    def _add_histograms(self, records: Sequence[IntervalRecord], parts: Sequence[SparseCounts]) -> None:
        """Add the measured intervals' counts into the whole run's histograms; the last is its latest."""
        whole = self.whole
        merged, corrected, latest = whole.merged, whole.corrected, whole.latest
        for of_corrected in (False, True):
            chosen = [
                (record, part)
                for record, part in zip(records, parts, strict=True)
                if record.phase == Phase.MEASURE and record.tag.endswith(CORRECTED_SUFFIX) == of_corrected
            ]
            if not chosen:
                continue
            total = corrected if of_corrected else merged
            if total is None:  # the layout of the first interval, as add() would have made it
                total = empty_like(decode_histogram(chosen[0][0].histogram))
            if not add_sparse(total, [part for _, part in chosen]):
                # Layouts that differ: each histogram added by value, as the library adds them.
                for record, _ in chosen:
                    add(total, decode_histogram(record.histogram))
            if of_corrected:
                corrected = total
            else:
                merged, latest = total, decode_histogram(chosen[-1][0].histogram)
        whole.set_histograms(merged, corrected, latest)

    def mark(self, on: bool) -> None:
        """Keep checkpoints from now on (taken as the whole run loads, or as a range from the start is made),
        or drop them."""
        self.marking = on
        if not on:
            self._marks = []

    def _mark(self, intervals: int, state: RunState) -> None:
        """A checkpoint of ``state``, the figures of the first ``intervals``; every other one goes when they
        are too many."""
        if any(n == intervals for n, _ in self._marks):
            return
        bisect.insort(self._marks, (intervals, state.checkpoint()), key=lambda mark: mark[0])
        if len(self._marks) > _MARKS:
            self._mark_every *= 2
            self._marks = [(n, mark) for n, mark in self._marks if n % self._mark_every == 0]

    def show(self, first: int, shown: int) -> None:
        """Show intervals ``first`` up to ``shown``: a range that grows at its end adds, any other is
        made again from the figures kept and the histograms at hand."""
        total = len(self.intervals)
        first = max(0, min(first, total - 1)) if total else 0
        shown = max(first + 1, min(shown, total)) if total else 0
        if self.follow and first == 0 and shown == total:
            self.state, self.first, self.shown = self.whole, 0, total  # the same intervals: one state
            return
        if self.state is self.whole or first != self.first or shown < self.shown:
            if self._alike and total:
                self._remake(first, shown)
            else:
                self.state = self._new_state()  # layouts that cannot be counted together: every interval again
                self.first = self.shown = first
                self._feed(first, shown)
            return
        self._feed(self.shown, shown)

    def _feed(self, start: int, end: int) -> None:
        """Add intervals ``start`` up to ``end`` to the range shown, which ends at ``start``."""
        for index in range(start, end):
            record, vitals = self.intervals[index]
            self.state.interval(record, vitals=vitals, over_time=self.over_time[index])
        self.shown = end
        self.state.phase = RunPhase.REPLAY
        self.state.touch()

    def _remake(self, first: int, shown: int) -> None:
        """The state of intervals ``first`` up to ``shown``: the figures from the nearest checkpoint (or from
        nothing) plus those kept of the intervals since, the histograms from those at hand."""
        state = None
        if first == 0:
            start = max((n for n, _ in self._marks if n <= shown), default=0)
            if start:
                state = dict(self._marks)[start].checkpoint()
        if state is None:
            state, start = self._new_state(), first
        for index in range(start, shown):
            record, vitals = self.intervals[index]
            state.figures(record, vitals=vitals, over_time=self.over_time[index])
            if self.marking and first == 0 and (index + 1) % self._mark_every == 0:
                self._mark(index + 1, state)  # a tag selected after it loaded: checkpoints on the way
        state.set_histograms(*self._histograms(first, shown))
        state.phase = RunPhase.REPLAY
        self.state, self.first, self.shown = state, first, shown

    def _histograms(
        self, first: int, shown: int
    ) -> tuple[HdrHistogram | None, HdrHistogram | None, HdrHistogram | None]:
        """The merged and ``.corrected`` histograms of intervals ``first`` up to ``shown``, and the latest.

        From whichever of the range shown, the whole run, or nothing, differs from the range by the fewest
        intervals: those are decoded and their counts added or subtracted.
        """
        corrected = bool(self._kind and self._kind[-1])
        last = next((i for i in range(shown - 1, first - 1, -1) if self.intervals[i][0].phase == Phase.MEASURE), None)
        if last is None:
            return None, None, None
        latest = None if corrected else decode_histogram(self.intervals[last][0].histogram)
        wanted = range(first, shown)
        total = len(self.intervals)
        here = self.state.corrected if corrected else self.state.merged
        there = self.whole.corrected if corrected else self.whole.merged
        # (a histogram to start from, its intervals) by the number of intervals to add or subtract
        starts: list[tuple[int, HdrHistogram | None, range]] = [(len(wanted), None, range(0))]
        if there is not None:
            starts.append((total - len(wanted), there, range(total)))
        if here is not None:
            had = range(self.first, self.shown)
            differ = len(wanted) + len(had) - 2 * max(0, min(shown, self.shown) - max(first, self.first))
            starts.append((differ, here, had))
        _, base, had = min(starts, key=lambda start: start[0])
        template = there if base is None else base
        assert template is not None  # the whole run has a measured interval: the range's
        hist = empty_like(template)
        counts = counts_view(hist)
        total_count = 0
        if base is not None:
            counts[:] = counts_view(base)
            total_count = int(base.total_count)
        added = itertools.chain(range(first, min(shown, had.start)), range(max(first, had.stop), shown))
        removed = itertools.chain(range(had.start, min(had.stop, first)), range(max(had.start, shown), had.stop))
        for sign, indexes in ((1, added), (-1, removed)):
            for index in indexes:
                record = self.intervals[index][0]
                if record.phase == Phase.MEASURE:
                    part = decode_histogram(record.histogram)
                    if sign > 0:
                        counts += counts_view(part)
                    else:
                        counts -= counts_view(part)
                    total_count += sign * int(part.total_count)
        hist.total_count = total_count
        # What add() leaves: the least of the parts' least values, the greatest of their greatest.
        hist.min_value = min(self._mins[first:shown])
        hist.max_value = max(self._maxes[first:shown])
        return (None, hist, latest) if corrected else (hist, None, latest)

    def range_s(self) -> tuple[float, float] | None:
        """The seconds the range shown covers; ``None`` when it is the whole log."""
        if not self.shown or (self.first == 0 and self.shown == len(self.intervals)):
            return None
        start = self.intervals[self.first][0]
        end = self.intervals[self.shown - 1][0]
        return (start.start_s, end.start_s + end.length_s)


def _decoded(read: Sequence[LoggedInterval]) -> tuple[list[SparseCounts], HistogramFormatError | None]:
    """The intervals' histograms, decoded in one batch; up to the first that cannot be held, and its error."""
    entries = [logged.entry for logged in read]
    try:
        parts = decode_entries(entries)
    except HistogramFormatError:
        parts = []
        for entry in entries:  # which one: those before it are still shown
            try:
                parts += decode_entries([entry])
            except HistogramFormatError as error:
                return parts, error
    for position, part in enumerate(parts):
        if part.layout.significant_figures == 0:
            entry = entries[position]
            message = "a histogram of 0 significant digits cannot be held by HdrHistogram_py"
            return parts[:position], HistogramFormatError(f"{entry.source}, line {entry.line}: {message}")
    return parts, None


class ReplaySource:
    """An interval log read in batches, with a cursor per tag that steps, plays and shows all.

    Reading is lazy and batched (:meth:`load`) so that the first frame of a
    long log appears at once while the rest loads behind it.
    """

    def __init__(
        self,
        path: Path,
        *,
        value_unit: str = "ns",
        clock: Callable[[], float] = time.monotonic,
        targets: Sequence[Target] = DEFAULT_TARGETS,
        baselines: Sequence[BaselineCurve] = (),
        max_counts: int = MAX_DENSE_COUNTS,
    ) -> None:
        if value_unit not in VALUE_UNITS_NS:
            raise ConfigError(f"--value-unit must be one of {', '.join(VALUE_UNITS_NS)}, got {value_unit!r}")
        self.path = find_log(path)
        """The log being replayed."""
        self.value_unit = value_unit
        # Streamed: the log is read as far as the intervals loaded so far, never held whole.
        self._events = logged_events(LogFile(self.path).reader(), strict=False)
        self._started: dict[str, RunStarted] = {}
        self._tracks: dict[str, _Track] = {}
        self._budget = DenseBudget(max_counts)
        self._clock = clock
        self._targets = tuple(targets)
        self.baselines = tuple(baselines)
        """``--compare`` recordings drawn over each tag's spectrum (the curve of their tag of that name)."""
        self._judged: tuple[int, str, tuple[TargetLine, ...]] = (-1, "", ())
        self._play_from: tuple[float, float] | None = None
        self._changes = 0
        self.loaded = False
        """True once every interval of the log has been read."""
        self.selected = ""
        """The tag on screen."""
        self.overlaid: tuple[str, ...] = ()
        """Other tags whose spectra are drawn over the selected one's (each over its whole run)."""

    # -- loading ----------------------------------------------------------------

    def load(self, batch: int = 256) -> bool:
        """Read up to ``batch`` more intervals; returns :attr:`loaded`.

        Raises :class:`HistogramFormatError` for a line that cannot be read;
        what was read before it stays.
        """
        if self.loaded:
            return True
        read: list[LoggedInterval] = []
        try:
            try:
                for event in self._events:
                    if isinstance(event, RunStarted):
                        # A tag takes the first start of its scenario seen before its first interval.
                        self._add(read)
                        read = []
                        self._started.setdefault(event.scenario, event)
                    elif isinstance(event, LoggedInterval):
                        read.append(event)
                        if len(read) >= batch:
                            break
                else:
                    self.loaded = True
            finally:
                self._add(read)
        except HistogramFormatError:
            # What was read before the bad line is still shown; the rest of the log is not.
            self.loaded = True
            raise
        finally:
            self._changes += 1
        if self.loaded and not self._tracks:
            raise HistogramFormatError(f"{self.path} holds no interval to replay")
        return self.loaded

    def _add(self, read: Sequence[LoggedInterval]) -> None:
        """Add intervals to their tags, their histograms decoded in one batch; a bad one raises
        :class:`HistogramFormatError` once those before it are added."""
        parts, error = _decoded(read)
        batches: dict[str, tuple[list[IntervalRecord], list[bool], list[SparseCounts]]] = {}
        try:
            for logged, part in zip(read, parts, strict=False):
                entry, vitals = logged.entry, logged.record
                name = entry.tag if entry.tag is not None else UNTAGGED
                if name not in self._tracks:
                    self._new_track(name, part.layout, entry.line, ours=vitals is not None)
                records, known, decoded = batches.setdefault(name, ([], [], []))
                if vitals is not None:
                    records.append(dataclasses.replace(vitals, phase=Phase.MEASURE))
                else:
                    records.append(entry.record(name, histogram=entry.encoded))
                known.append(vitals is not None)
                decoded.append(part)
        finally:
            for name, (records, known, decoded) in batches.items():
                self._tracks[name].extend(records, known, decoded)
        if error is not None:
            raise error

    def _new_track(self, name: str, layout: HistogramLayout, line: int, *, ours: bool) -> None:
        # Each tag keeps dense histograms of its layout: refused before the first is made.
        self._budget.take(layout.counts_len, f"{self.path}, line {line}", name)
        started = self._started.get(name.split(".", 1)[0])
        # Our logs are in ns; another tool's are in whatever --value-unit says.
        ns_per_unit = 1.0 if ours or started is not None else VALUE_UNITS_NS[self.value_unit]
        self._tracks[name] = track = _Track(name, started, ns_per_unit)
        if not self.selected:
            self.selected = name
            track.mark(True)

    # -- moving -----------------------------------------------------------------

    @property
    def _track(self) -> _Track:
        return self._tracks[self.selected]

    def select(self, name: str) -> None:
        """Show the tag ``name``."""
        if name not in self._tracks:
            raise ConfigError(f"the log has no tag {name!r}")
        if name != self.selected:
            self._tracks[self.selected].mark(False)
            self._tracks[name].mark(True)
        self.selected = name
        self._play_from = None
        self._changes += 1

    @property
    def tags(self) -> list[str]:
        """Every tag read so far, in the order of the log."""
        return list(self._tracks)

    def overlay(self, names: list[str]) -> None:
        """Draw the spectra of the tags ``names`` over the selected tag's."""
        unknown = [name for name in names if name not in self._tracks]
        if unknown:
            raise ConfigError(f"the log has no tag {unknown[0]!r}")
        self.overlaid = tuple(names)
        self._changes += 1

    def step(self, by: int) -> None:
        """Move the range's end (or its start, after :meth:`move_start`) ``by`` intervals, back when negative.

        The range keeps at least one interval and stays within the log.
        """
        track = self._track
        track.follow = False
        if track.moving_start:
            track.show(min(track.first + by, track.shown - 1), track.shown)
        else:
            track.show(track.first, max(track.first + 1, track.shown + by))
        self._changes += 1

    def move_start(self) -> None:
        """Let :meth:`step` move where the range starts."""
        self._track.moving_start = True

    def move_end(self) -> None:
        """Let :meth:`step` move where the range ends (as it does at first)."""
        self._track.moving_start = False

    def select_range(self, first: int, end: int) -> None:
        """Show intervals ``first`` up to ``end`` (exclusive), within the log."""
        track = self._track
        track.follow = False
        track.show(first, end)
        self._changes += 1

    def select_time(self, start_s: float, end_s: float) -> None:
        """Show the intervals that overlap ``start_s``..``end_s`` (seconds from the log's start)."""
        bounds = [(record.start_s, record.start_s + record.length_s) for record, _ in self._track.intervals]
        self._play_from = None
        self.select_range(*intervals_between(bounds, start_s, end_s))

    def first(self) -> None:
        """Show only the first interval."""
        track = self._track
        track.follow = track.moving_start = False
        track.show(0, 1)
        self._changes += 1

    def whole(self) -> None:
        """Show every interval, and those still loading."""
        track = self._track
        track.follow, track.moving_start = True, False
        self._play_from = None
        track.show(0, len(track.intervals))
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
                track.show(track.first, track.first + 1)
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
            track.show(track.first, shown)
            self._changes += 1
        if shown >= len(track.intervals) and self.loaded:
            self._play_from = None
            self._changes += 1

    def _start_of(self, index: int) -> float:
        return self._track.intervals[max(index, 0)][0].start_s

    # -- reading ----------------------------------------------------------------

    def _target_lines(self, track: _Track) -> tuple[TargetLine, ...]:
        """The targets of the tag's scenario (headless --replay's), judged on the range shown."""
        if track.state.version != self._judged[0] or track.name != self._judged[1]:
            checks = check_row(track.name.split(".", 1)[0], track.state.metrics(), self._targets)
            lines = tuple(
                TargetLine(c.metric, c.op, c.target, None if c.measured is None else c.passed)
                for c in checks
                if c.status != "N/A"  # a target that means nothing for how the load ran is no line
            )
            self._judged = (track.state.version, track.name, lines)
        return self._judged[2]

    @property
    def version(self) -> int:
        """Changes whenever the picture would."""
        return self._changes

    def snapshot(self) -> Snapshot:
        """The frozen picture of the replay now."""
        if not self._tracks:
            return Snapshot(mode="replay", loaded=self.loaded, value_unit=self.value_unit)
        track = self._track
        range_s = track.range_s()
        return Snapshot(
            mode="replay",
            runs=(track.state.view(),),
            scenarios=tuple(ScenarioRow(name, "replay") for name in self._tracks),
            selected=self.selected,
            position=(track.shown, len(track.intervals)),
            first=track.first,
            whole=None if range_s is None else track.whole.view(),
            range_s=range_s,
            source_name=self.path.name,
            overlays=tuple(
                (name, self._tracks[name].whole.view().total) for name in self.overlaid if name != self.selected
            )
            + tuple((f"baseline {b.label}", b.curve_for(self.selected)) for b in self.baselines[1:]),
            baseline=self.baselines[0].curve_for(self.selected) if self.baselines else EMPTY_CURVE,
            baseline_label=self.baselines[0].label if self.baselines else "",
            targets=self._target_lines(track),
            target_ops_s=next((t.value for t in self._target_lines(track) if t.metric == "throughput_ops_s"), None),
            playing=self.playing,
            loaded=self.loaded,
            value_unit="ns" if track.ns_per_unit == 1.0 else self.value_unit,
        )
