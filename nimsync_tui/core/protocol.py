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
import types
import typing
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from ..errors import RunnerError

_HISTOGRAM_LINE = re.compile(
    r"Tag=(?P<tag>[^,]*),(?P<start>[\d.]+),(?P<length>[\d.]+),(?P<max>[\d.]+),(?P<payload>\S+)$"
)
_BASE_TIME = re.compile(r"#\[BaseTime: *(\d+(?:\.\d*)?) ")


class Phase(StrEnum):
    """The phase of a load: warming up, or measured."""

    WARMUP = "warmup"
    MEASURE = "measure"


class Status(StrEnum):
    """How a run (a step, a repetition, a result row) ended, or where it stands."""

    COMPLETED = "completed"
    """Ran its iterations or duration."""
    STOPPED = "stopped"
    """Stopped early, when asked (its stdin closed)."""
    FAILED = "failed"
    """The load failed or died."""
    TIMED_OUT = "timed_out"
    """The load overran its timeout."""
    INTERRUPTED = "interrupted"
    """A log that ends mid-run: the recorder was killed."""
    REPLAYED = "replayed"
    """Another tool's log, replayed: it says nothing of how its run ended."""
    RUNNING = "running"
    """Exported while its load still ran."""


CORRECTED_SUFFIX = ".corrected"
"""Tag suffix of an open-loop run's histogram timed from each operation's intended start."""


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
    title: str = ""
    """The suite's test name."""
    category: str = ""
    """The suite's category (Throughput, Latency, Memory, Scalability, Statistical)."""
    overhead: dict[str, float] = field(default_factory=dict)
    """The instrument's own cost, measured before the load: ``clock_pair_ns``, ``probe_ns``, ``floor_ns``."""
    affinity: list[int] = field(default_factory=list)
    """CPUs the load may run on (one with ``--pin-cpu``)."""
    notes: list[str] = field(default_factory=list)
    """Warnings about the run's conditions (a busy machine)."""


@dataclass(frozen=True, slots=True)
class IntervalRecord:
    """One interval of load: its histogram and the process's vital signs."""

    kind: ClassVar[str] = "interval"
    tag: str
    """Scenario name."""
    phase: Phase
    """Warm-up or measured."""
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
    gc_count: int = 0
    """Garbage collections during this interval (``gc.callbacks``)."""
    gc_pause_s: float = 0.0
    """Their summed pause in seconds."""
    gc_pause_max_s: float = 0.0
    """The longest of them in seconds."""
    histogram: str = ""
    """The interval's compressed histogram, base64 as in the log (values in ns)."""

    @property
    def ops_per_s(self) -> float:
        """Throughput over the interval."""
        return self.ops / self.length_s if self.length_s > 0 else 0.0


@dataclass(frozen=True, slots=True)
class StepEnded:
    """One histogram tag's measured phase is over: a step, or the whole load if it has no steps."""

    kind: ClassVar[str] = "step"
    tag: str
    """The tag: the scenario's name, ``<scenario>.<param>-<value>`` or ``<scenario>.corrected``."""
    param: str | None
    """The stepped parameter (``producers``, ``capacity``, ``round``), or ``None``."""
    value: int | None
    """Its value in this step."""
    status: Status
    """``completed`` or ``stopped``."""
    total_ops: int
    """Operations in the step."""
    measured_s: float
    """Length of the step in seconds."""
    metrics: dict[str, float | None] = field(default_factory=dict)
    """Figures the load measured itself (memory, exact batch statistics)."""
    notes: list[str] = field(default_factory=list)
    """One-line statements about the step."""


@dataclass(frozen=True, slots=True)
class HeapProfile:
    """``--profile``: the traced Python heap at an interval's end and its biggest allocation sites."""

    kind: ClassVar[str] = "heap"
    tag: str
    t_s: float
    """Seconds since the runner's base time."""
    traced_bytes: int
    """Bytes allocated since tracing began and still alive."""
    peak_bytes: int
    """The highest that figure has been."""
    top: list[tuple[str, int, int]]
    """``(file:line, bytes, blocks)`` of the largest allocation sites, largest first."""


@dataclass(frozen=True, slots=True)
class RunEnded:
    """The runner finished its phases, or was stopped, and flushed everything."""

    kind: ClassVar[str] = "ended"
    status: Status
    """``completed`` (ran its iterations or duration) or ``stopped`` (stdin closed); a recorder's
    stand-in for a load that died says ``failed``, ``timed_out`` or ``interrupted``."""
    phase: Phase
    """The phase it ended in: ``warmup`` means nothing was measured."""
    total_ops: int
    """Operations in the measured phase."""
    measured_s: float
    """Length of the measured phase in seconds."""
    metrics: dict[str, float | None] = field(default_factory=dict)
    """Scenario-level figures across steps (efficiency, the leak verdict)."""
    step_metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    """More figures per step tag, known only after later steps ran."""
    notes: list[str] = field(default_factory=list)
    """One-line statements the scenario's result must carry."""


@dataclass(frozen=True, slots=True)
class RunFailed:
    """The scenario raised; the message is one line a user can read."""

    kind: ClassVar[str] = "failed"
    message: str


Event = RunStarted | IntervalRecord | StepEnded | HeapProfile | RunEnded | RunFailed
_EVENT_TYPES: dict[str, type[Event]] = {
    t.kind: t for t in (RunStarted, IntervalRecord, StepEnded, HeapProfile, RunEnded, RunFailed)
}
# Each event's fields with their types, and those a runner must send (no default):
# consumers do arithmetic on the fields, so a wrong type is caught here, as a RunnerError.
_FIELDS: dict[type[Event], tuple[dict[str, Any], frozenset[str]]] = {
    t: (
        {f.name: typing.get_type_hints(t)[f.name] for f in dataclasses.fields(t)},
        frozenset(
            f.name
            for f in dataclasses.fields(t)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ),
    )
    for t in _EVENT_TYPES.values()
}

_ENUM_FIELDS: dict[type[Event], dict[str, type[StrEnum]]] = {
    t: {name: hint for name, hint in hints.items() if isinstance(hint, type) and issubclass(hint, StrEnum)}
    for t, (hints, _) in _FIELDS.items()
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
        pending = self._pending
        event = decode_event(text, histogram=pending[1] if pending is not None else "")
        if isinstance(event, IntervalRecord):
            if pending is None or pending[0] != event.tag:
                raise RunnerError("runner wrote an interval record without its histogram line")
            self._pending = None
        return event


def decode_event(text: str, *, histogram: str = "") -> Event:
    """The event that a log comment's JSON ``text`` holds, every field checked against its type here.

    An interval's histogram is on the log line before its comment: pass it as
    ``histogram``. Raises :class:`RunnerError` for text that is no event of
    this protocol (not JSON, an unknown event, a missing or mistyped field).
    """
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise TypeError("not a JSON object")
        event_type = _EVENT_TYPES[raw.pop("event")]
        if event_type is IntervalRecord:
            raw["histogram"] = histogram
            raw["gc_collections"] = tuple(raw["gc_collections"])
        elif event_type is HeapProfile:
            raw["top"] = [tuple(site) for site in raw["top"]]
        for name, vocabulary in _ENUM_FIELDS[event_type].items():
            if isinstance(raw.get(name), str):
                raw[name] = vocabulary(raw[name])  # ValueError: a word outside the protocol's
        _check_fields(event_type, raw)
        return event_type(**raw)
    except (ValueError, KeyError, TypeError) as exc:
        reason = " ".join(str(exc).split())
        raise RunnerError(f"runner wrote an unreadable event ({reason}): {text[:80]!r}") from None


def _check_fields(event_type: type[Event], raw: dict[str, Any]) -> None:
    """Raise TypeError unless ``raw`` holds ``event_type``'s fields (the required ones at least), each as typed."""
    hints, required = _FIELDS[event_type]
    if not required <= raw.keys() <= hints.keys():
        raise TypeError(f"fields {sorted(raw)} are not those of {event_type.kind!r}")
    for name, value in raw.items():
        if not _conforms(value, hints[name]):
            raise TypeError(f"{name} is {type(value).__name__}")


def _conforms(value: object, hint: Any) -> bool:
    """Whether a decoded JSON ``value`` is what the annotation ``hint`` says (an int is a float too)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (types.UnionType, typing.Union):
        return any(_conforms(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint in (int, float):
        return isinstance(value, int | float if hint is float else int) and not isinstance(value, bool)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return isinstance(value, hint)
    if hint in (str, bool):
        return isinstance(value, hint)
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if origin is list:
        return isinstance(value, list) and all(_conforms(v, args[0]) for v in value)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(v, args[0]) for v in value)
        return len(value) == len(args) and all(map(_conforms, value, args))
    raise AssertionError(f"protocol field annotation {hint!r} has no JSON check")  # caught by the tests
