"""HdrHistogram interval logs (``.hlog``), format 1.3, as the Java reference writes them.

HdrHistogram_py 0.10.8's ``HistogramLogWriter`` cannot be used: it writes format
1.2, floor-divides the interval max, never writes tags and its
``output_start_time`` raises. Its ``HistogramLogReader`` does read what
:class:`HlogWriter` writes (tags, ``#`` comment lines and all; see
``tests/unit/test_hlog.py``), and so does Java's ``HistogramLogProcessor``.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import BinaryIO, TextIO

from hdrh.histogram import HdrHistogram

from ..errors import HistogramFormatError, LineTooLongError
from .counts import CountsHistogram, HistogramLayout, SparseCounts
from .encoding import EncodedHistogramError, decode_base64, decode_many
from .files import bounded_lines
from .histogram import decode_histogram, max_value
from .protocol import IntervalRecord, Phase

__all__ = [
    "DEFAULT_MAX_VALUE_UNIT_RATIO",
    "LOG_FORMAT_VERSION",
    "MAX_COMMENT_RUN_CHARS",
    "HlogComment",
    "HlogEntry",
    "HlogReader",
    "HlogWriter",
    "decode_entries",
    "format_java_date",
    "format_java_fixed",
    "read_hlog",
    "validate_tag",
]

LOG_FORMAT_VERSION = "1.3"
DEFAULT_MAX_VALUE_UNIT_RATIO = 1e6
"""Values are recorded in ns; the interval max is written in ms, as Java's default."""

_LEGEND = '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"'
_TAG_FORBIDDEN = re.compile(r"[, \r\n]")
_START_TIME = re.compile(r"#\[StartTime: *([-\d.eE+]+)")
_BASE_TIME = re.compile(r"#\[BaseTime: *([-\d.eE+]+)")
_VERSION = re.compile(r"#\[Histogram log format version ([^\]]*)\]")
_YEAR_S = 365 * 24 * 3600.0
_LATEST_TIME_S = 253_402_300_800.0
"""Year 10000 in seconds since the epoch: later (or NaN) is no time a log can mean."""
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_COMMENT_RUN_CHARS = 16 << 20
"""Comment text a reader takes between two interval lines: a log's comments are a few lines per interval.

Each line counts :data:`_COMMENT_COST` more than its length: a million one-character
lines cost their objects, not a megabyte."""
_COMMENT_COST = 100
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_java_fixed(value: float, digits: int) -> str:
    """``String.format("%.{digits}f", value)`` as Java prints it.

    Java rounds the shortest decimal representation of the double half-up, where
    C and Python round its exact binary value: 1.0005 is "1.001" in Java but
    "1.000" in Python. Percentile levels such as 0.9999755859375 hit this case.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    quantum = Decimal(1).scaleb(-digits)
    return f"{Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP):f}"


def format_java_date(epoch_s: float) -> str:
    """``new Date(ms).toString()`` in UTC, e.g. ``Fri Nov 27 08:00:00 UTC 2026``.

    Spelled out rather than ``strftime`` so that the locale cannot change it.
    """
    t = time.gmtime(math.floor(epoch_s))
    return (
        f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC {t.tm_year}"
    )


def validate_tag(tag: str) -> str:
    """Return ``tag`` if a log line can carry it, else raise :class:`HistogramFormatError`."""
    if not tag or _TAG_FORBIDDEN.search(tag):
        raise HistogramFormatError(
            f"histogram log tag {tag!r} is empty or holds a comma, space, CR or LF; "
            "choose a name made of letters, digits, '-' or '_'"
        )
    return tag


class HlogWriter:
    """Writes an interval log to a text stream, line by line, as Java's HistogramLogWriter."""

    def __init__(self, stream: TextIO, max_value_unit_ratio: float = DEFAULT_MAX_VALUE_UNIT_RATIO) -> None:
        self._stream = stream
        self._max_value_unit_ratio = max_value_unit_ratio
        self.base_time_s: float = 0.0
        """Seconds since the epoch that interval start times are relative to."""

    def write_header(self, start_time_s: float) -> None:
        """Version, StartTime and BaseTime (both ``start_time_s``, cut to ms) and legend."""
        # Java logs a millisecond clock; cutting to ms keeps both lines and the base consistent.
        ms = math.floor(start_time_s * 1000)
        self.base_time_s = ms / 1000.0
        seconds = format_java_fixed(self.base_time_s, 3)
        self._stream.write(
            f"#[Histogram log format version {LOG_FORMAT_VERSION}]\n"
            f"#[StartTime: {seconds} (seconds since epoch), {format_java_date(self.base_time_s)}]\n"
            f"#[BaseTime: {seconds} (seconds since epoch)]\n"
            f"{_LEGEND}\n"
        )

    def write_interval(self, tag: str | None, start_s: float, length_s: float, hist: HdrHistogram) -> None:
        """One interval line: ``Tag=<tag>,<start>,<length>,<max>,<histogram>``.

        ``start_s`` is seconds since the base time. The max is the interval's
        highest equivalent max value divided by the unit ratio (true division).
        A ``None`` tag writes an untagged line.
        """
        prefix = "" if tag is None else f"Tag={validate_tag(tag)},"
        maximum = max_value(hist) / self._max_value_unit_ratio
        self._stream.write(
            f"{prefix}{format_java_fixed(start_s, 3)},{format_java_fixed(length_s, 3)},"
            f"{format_java_fixed(maximum, 3)},{hist.encode().decode('ascii')}\n"
        )

    def write_comment(self, text: str) -> None:
        """A ``#<text>`` line; both reference readers skip it."""
        if "\n" in text or "\r" in text:
            raise HistogramFormatError("a histogram log comment must be a single line (no CR or LF)")
        self._stream.write(f"#{text}\n")


@dataclass(frozen=True, slots=True)
class HlogEntry:
    """One interval line of a log; its histogram is decoded when asked for."""

    tag: str | None
    """The ``Tag=`` of the line; ``None`` for an untagged (format 1.2) line."""
    start_s: float
    """Start, seconds since the log's base time, as written (ms resolution)."""
    length_s: float
    """Interval length in seconds, as written."""
    max_s: float
    """The interval's max as written: max value / max-value unit ratio (ms for ns values)."""
    encoded: str
    """The histogram field: base64 of its (compressed) encoding, V0, V1 or V2."""
    line: int
    """1-based line number, for messages."""
    source: str = "<hlog>"
    """The log's name, for messages."""

    def histogram(self) -> HdrHistogram:
        """The decoded interval histogram, a new HdrHistogram_py object on each call.

        Raises :class:`HistogramFormatError` naming the line if it cannot be decoded.
        """
        try:
            return decode_histogram(self.encoded)
        except HistogramFormatError as error:
            raise HistogramFormatError(f"{self.source}, line {self.line}: {error}") from None

    def record(self, tag: str, *, ops: int = 0, total_ops: int = 0, histogram: str = "") -> IntervalRecord:
        """The interval as a measured record without vital signs (another tool's log): times and count only."""
        return IntervalRecord(
            tag=tag,
            phase=Phase.MEASURE,
            start_s=self.start_s,
            length_s=self.length_s,
            ops=ops,
            total_ops=total_ops,
            overflow=0,
            rss_bytes=0,
            peak_rss_bytes=0,
            cpu_percent=0.0,
            allocated_blocks=0,
            gc_collections=(),
            histogram=histogram,
        )

    def layout(self) -> HistogramLayout:
        """The histogram's layout, read without making its counts dense: what a dense copy of it would cost."""
        try:
            return decode_many([self.encoded])[0].layout
        except HistogramFormatError as error:
            raise HistogramFormatError(f"{self.source}, line {self.line}: {error}") from None

    def counts(self) -> CountsHistogram:
        """The decoded interval histogram as numpy counts (any layout and precision)."""
        try:
            return decode_base64(self.encoded)
        except HistogramFormatError as error:
            raise HistogramFormatError(f"{self.source}, line {self.line}: {error}") from None


def decode_entries(entries: Sequence[HlogEntry]) -> list[SparseCounts]:
    """The histograms of many entries, decoded in numpy batches (many times faster than one by one).

    Raises :class:`HistogramFormatError` naming the line of the first that cannot be decoded.
    """
    try:
        return decode_many([entry.encoded for entry in entries])
    except EncodedHistogramError as error:
        entry = entries[error.position]
        raise HistogramFormatError(f"{entry.source}, line {entry.line}: {error}") from None


@dataclass(frozen=True, slots=True)
class HlogComment:
    """A ``#`` line other than the version, StartTime and BaseTime lines."""

    line: int
    """1-based line number."""
    text: str
    """The line without its leading ``#`` and line end."""


class HlogReader(Iterator[HlogEntry]):
    """Iterates over the interval lines of a log (format 1.2 or 1.3, any histogram encoding).

    Consumes its lines lazily, so it can follow a live stream. The header facts
    and comments are filled in as their lines go past. Histograms are decoded
    only when an entry's :meth:`HlogEntry.histogram` or :meth:`HlogEntry.counts`
    is asked for, or for many entries at once by :func:`decode_entries`.

    The clock is the reference readers' (Java's and HdrHistogram_py's): the
    first interval fixes it. Without a StartTime line the first interval's
    start is the log's start; without a BaseTime line, timestamps more than a
    year before the start are relative to it. :meth:`elapsed_s` applies it.
    """

    def __init__(self, lines: Iterable[str], source: str = "<hlog>") -> None:
        self._lines = enumerate(lines, start=1)
        self.source = source
        """The log's name, for messages."""
        self._comment_run = 0
        self.version: str | None = None
        """The format version, once its line was read."""
        self.start_time_s: float | None = None
        """StartTime, seconds since the epoch, once read."""
        self.base_time_s: float | None = None
        """BaseTime, seconds since the epoch, once read (entry start times are relative to it)."""
        self.origin_s: float | None = None
        """The log's start on the reference readers' clock, fixed by the first interval (see the class)."""
        self._base_s = 0.0
        self.comments: list[HlogComment] = []
        """Every other comment line read so far (the runner's JSON events).

        A reader of a long log may clear it as it goes: the reader only appends.
        """

    def __iter__(self) -> HlogReader:
        return self

    def __next__(self) -> HlogEntry:
        while not isinstance(item := self._next_item(), HlogEntry):
            self.comments.append(item)
        return item

    def items(self) -> Iterator[HlogEntry | HlogComment]:
        """The interval lines and the comments (other than the header's) in the order of the log.

        Comments read this way are not added to :attr:`comments`.
        """
        while True:
            try:
                yield self._next_item()
            except StopIteration:
                return

    def _next_item(self) -> HlogEntry | HlogComment:
        for number, raw in self._lines:
            line = raw.rstrip("\r\n")
            if "\0" in line:
                raise self._error(number, "binary data (a NUL byte): not a histogram log")
            if not line.strip() or line.startswith('"StartTimestamp"'):
                continue
            if line.startswith("#"):
                self._comment_run += len(line) + _COMMENT_COST
                if self._comment_run > MAX_COMMENT_RUN_CHARS:
                    raise self._error(
                        number,
                        f"{MAX_COMMENT_RUN_CHARS >> 20} MiB of comment lines and no interval: not a histogram log",
                    )
                if (comment := self._comment(number, line)) is not None:
                    return comment
                continue
            self._comment_run = 0
            entry = self._interval(number, line)
            if self.origin_s is None:
                self._fix_clock(entry)
            return entry
        raise StopIteration

    def _fix_clock(self, first: HlogEntry) -> None:
        self.origin_s = self.start_time_s if self.start_time_s is not None else first.start_s
        if self.base_time_s is not None:
            self._base_s = self.base_time_s
        elif first.start_s < self.origin_s - _YEAR_S:
            self._base_s = self.origin_s

    def elapsed_s(self, entry: HlogEntry) -> float:
        """Seconds from the log's start to ``entry``'s start, as the reference readers count them.

        ``HistogramLogProcessor`` reads from 0 s on: an interval before it is left out.
        """
        assert self.origin_s is not None, "the first interval fixes the clock"
        return entry.start_s + self._base_s - self.origin_s

    def _error(self, number: int, what: str) -> HistogramFormatError:
        if self.version is None and self.origin_s is None:
            # No header and no interval so far: the user gave the wrong file, and needs to hear that first.
            return HistogramFormatError(f"{self.source} is not an HdrHistogram interval log (line {number}: {what})")
        return HistogramFormatError(f"{self.source}, line {number}: {what}")

    def _comment(self, number: int, line: str) -> HlogComment | None:
        """A header line fills in its fact; any other comment is returned."""
        if match := _VERSION.match(line):
            self.version = match.group(1)
        elif match := _START_TIME.match(line):
            self.start_time_s = self._seconds(number, match.group(1))
        elif match := _BASE_TIME.match(line):
            self.base_time_s = self._seconds(number, match.group(1))
        else:
            return HlogComment(number, line[1:])
        return None

    def _seconds(self, number: int, text: str) -> float:
        try:
            seconds = float(text)
        except ValueError:
            raise self._error(number, f"unreadable time {text!r}") from None
        if not abs(seconds) < _LATEST_TIME_S:
            raise self._error(number, f"time {text!r} is not a date")
        return seconds

    def _interval(self, number: int, line: str) -> HlogEntry:
        tag = None
        if line.startswith("Tag="):
            tag, _, line = line[4:].partition(",")
            if not tag:
                raise self._error(number, "empty Tag=")
        fields = line.split(",")
        if len(fields) != 4:
            raise self._error(number, f"expected start,length,max,histogram; found {len(fields)} fields")
        try:
            start_s, length_s, max_s = (float(f) for f in fields[:3])
        except ValueError:
            raise self._error(number, f"unreadable number in {','.join(fields[:3])!r}") from None
        if not all(abs(x) < _LATEST_TIME_S for x in (start_s, length_s)) or math.isnan(max_s):
            raise self._error(number, f"start or length out of range in {','.join(fields[:3])!r}")
        if not fields[3].strip():
            raise self._error(number, "empty encoded histogram")
        return HlogEntry(tag, start_s, length_s, max_s, fields[3], number, self.source)


def read_hlog(source: str | os.PathLike[str] | Iterable[str]) -> HlogReader:
    """A reader over a log file (path), streamed line by line, or over lines already in hand (any iterable of str).

    A ``str`` is taken as a path; pass ``text.splitlines()`` for log text.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            stream = path.open("rb")  # opened now: a missing or unreadable file is an error at once
        except OSError as error:
            raise HistogramFormatError(f"cannot read histogram log {path}: {error}") from None
        return HlogReader(_file_lines(stream, path), str(path))
    return HlogReader(source)


def _file_lines(stream: BinaryIO, path: Path) -> Iterator[str]:
    try:
        with stream:
            for raw in bounded_lines(stream):
                yield raw.decode("utf-8")
    except (OSError, UnicodeDecodeError, LineTooLongError) as error:
        raise HistogramFormatError(f"cannot read histogram log {path}: {error}") from None
