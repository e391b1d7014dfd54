"""What crosses the pipe from the runner process: events, and their wire form.

The runner's stdout is a valid HdrHistogram interval log (format 1.3): each
interval is a ``Tag=`` histogram line followed by a ``#`` comment line that
holds one JSON object with everything else about that interval. A log tool
skips the comments; :class:`StreamParser` joins the two back into one
immutable :class:`IntervalRecord`. Errors travel as an event too, because
Trio's exception-group tracebacks are no format to scrape.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import RunnerError

_HISTOGRAM_LINE = re.compile(
    r"Tag=(?P<tag>[^,]*),(?P<start>[\d.]+),(?P<length>[\d.]+),(?P<max>[\d.]+),(?P<payload>\S+)$"
)
_BASE_TIME = re.compile(r"#\[BaseTime: *(\d+(?:\.\d*)?) ")


@dataclass(frozen=True, slots=True)
class RunStarted:
    """The runner is up and about to warm up."""

    kind: ClassVar[str] = "started"
    scenario: str
    """Scenario name, also the histogram tag."""
    measures: str
    """What each histogram value is."""
    operation: str
    """What one counted operation is."""
    params: dict[str, Any]
    """The scenario's parameters as run."""
    interval_s: float
    """Seconds between interval records."""
    pid: int
    """The runner's process id."""


@dataclass(frozen=True, slots=True)
class IntervalRecord:
    """One interval of load: its histogram and the process's vital signs."""

    kind: ClassVar[str] = "interval"
    tag: str
    """Scenario name."""
    phase: str
    """``warmup`` or ``measure``."""
    start_s: float
    """Interval start, seconds since the runner's base time."""
    length_s: float
    """Interval length in seconds."""
    ops: int
    """Operations completed in this interval."""
    total_ops: int
    """Operations completed in this phase so far."""
    overflow: int
    """Samples outside the histogram's range (not in the histogram, never dropped silently)."""
    rss_bytes: int
    """Resident set size of the runner at the interval's end."""
    peak_rss_bytes: int
    """The runner's highest resident set size so far."""
    cpu_percent: float
    """The runner's CPU use over the interval (100 = one core)."""
    allocated_blocks: int
    """Python heap blocks allocated (``sys.getallocatedblocks``)."""
    gc_collections: tuple[int, ...]
    """Garbage collections so far, per generation."""
    histogram: str = ""
    """The interval's compressed histogram, base64 as in the log (values in ns)."""

    @property
    def ops_per_s(self) -> float:
        """Throughput over the interval."""
        return self.ops / self.length_s if self.length_s > 0 else 0.0


@dataclass(frozen=True, slots=True)
class RunEnded:
    """The runner finished its phases, or was stopped, and flushed everything."""

    kind: ClassVar[str] = "ended"
    status: str
    """``completed`` (ran its iterations or duration) or ``stopped`` (stdin closed)."""
    phase: str
    """The phase it ended in: ``warmup`` means nothing was measured."""
    total_ops: int
    """Operations in the measured phase."""
    measured_s: float
    """Length of the measured phase in seconds."""


@dataclass(frozen=True, slots=True)
class RunFailed:
    """The scenario raised; the message is one line a user can read."""

    kind: ClassVar[str] = "failed"
    message: str


Event = RunStarted | IntervalRecord | RunEnded | RunFailed
_EVENT_TYPES: dict[str, type[Event]] = {t.kind: t for t in (RunStarted, IntervalRecord, RunEnded, RunFailed)}
# Each event's fields and the JSON types they must arrive as: the consumers
# do arithmetic on them, so a wrong type is caught here, as a RunnerError.
_JSON_TYPES: dict[object, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float), dict: (dict,)}
_FIELD_TYPES: dict[type[Event], dict[str, object]] = {
    t: {
        f.name: typing.get_origin(hint) or hint
        for f in dataclasses.fields(t)
        if (hint := typing.get_type_hints(t)[f.name])
    }
    for t in _EVENT_TYPES.values()
}


def event_json(event: Event) -> str:
    """The one-line JSON text of ``event``, for a ``#`` comment of the log.

    An interval's histogram is not repeated here: it is on the log line before.
    """
    fields = dataclasses.asdict(event)
    fields.pop("histogram", None)
    return json.dumps({"event": event.kind, **fields}, separators=(",", ":"))


class StreamParser:
    """Turns the runner's output, line by line, back into events."""

    def __init__(self) -> None:
        self.base_time_s: float | None = None
        """The runner's BaseTime, once its header has been read."""
        self._pending: tuple[str, str] | None = None

    def feed(self, line: str) -> Event | None:
        """Parse one line; return the event it completes, if any."""
        line = line.rstrip("\r\n")
        if line.startswith("#{"):
            return self._event(line[1:])
        if line.startswith("Tag="):
            match = _HISTOGRAM_LINE.match(line)
            if match is None:
                raise RunnerError(f"runner wrote a malformed histogram line: {line[:80]!r}")
            self._pending = (match["tag"], match["payload"])
            return None
        if (match := _BASE_TIME.match(line)) is not None:
            self.base_time_s = float(match[1])
        return None

    def _event(self, text: str) -> Event:
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise TypeError("not a JSON object")
            event_type = _EVENT_TYPES[raw.pop("event")]
            if event_type is IntervalRecord:
                if self._pending is None or self._pending[0] != raw["tag"]:
                    raise RunnerError("runner wrote an interval record without its histogram line")
                raw["histogram"] = self._pending[1]
                raw["gc_collections"] = tuple(raw["gc_collections"])
                self._pending = None
            _check_types(event_type, raw)
            return event_type(**raw)
        except (ValueError, KeyError, TypeError) as exc:
            reason = " ".join(str(exc).split())
            raise RunnerError(f"runner wrote an unreadable event ({reason}): {text[:80]!r}") from None


def _check_types(event_type: type[Event], raw: dict[str, Any]) -> None:
    """Raise TypeError unless ``raw`` holds exactly ``event_type``'s fields, each of its JSON type."""
    fields = _FIELD_TYPES[event_type]
    if raw.keys() != fields.keys():
        raise TypeError(f"fields {sorted(raw)} are not {sorted(fields)}")
    for name, expected in fields.items():
        value = raw[name]
        if expected is tuple:
            ok = all(type(v) is int for v in value)
        else:
            ok = not isinstance(value, bool) and isinstance(value, _JSON_TYPES[expected])
        if not ok:
            raise TypeError(f"{name} is {type(value).__name__}")
