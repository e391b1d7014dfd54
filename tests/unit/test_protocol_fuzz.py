"""Fuzzing the runner's wire format: whatever arrives, the parser reads it or raises RunnerError.

A load process can die mid-line, a bug can write garbage, and the recorder
and the app both sit on this parser: anything but an event, ``None`` or the
project's own error would end the monitor with a traceback. An event that
is returned must also hold the types its fields promise, since the recorder
does arithmetic on them.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nimsync_tui.core.protocol import (
    HeapProfile,
    IntervalRecord,
    RunEnded,
    RunFailed,
    RunStarted,
    StepEnded,
    StreamParser,
    event_json,
)
from nimsync_tui.errors import RunnerError

VALID_STREAM = [
    "#[Histogram log format version 1.3]",
    "#[StartTime: 1795766400.123 (seconds since epoch), Fri Nov 27 08:00:00 UTC 2026]",
    "#[BaseTime: 1795766400.123 (seconds since epoch)]",
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    "#" + event_json(RunStarted("spsc-throughput", "per-item time", "item", {"capacity": 8}, 0.25, 42)),
    "Tag=spsc-throughput,0.000,0.250,0.012,HISTFAAAACl4nJNpmSzMwMDAxQABzFCaEUzOmNZg/wEiIPOB",
    "#"
    + event_json(
        IntervalRecord("spsc-throughput", "measure", 0.0, 0.25, 10, 10, 0, 3_000_000, 3_100_000, 99.0, 7, (1, 0, 0))
    ),
    "#" + event_json(StepEnded("worker-scaling.workers-2", "workers", 2, "completed", 200, 0.5, {"e": None}, ["n"])),
    "#" + event_json(HeapProfile("spsc-throughput", 2.5, 1000, 2000, [("a.py:3", 800, 2), ("b.py:9", 200, 1)])),
    "#" + event_json(RunEnded("stopped", "measure", 10, 0.25, {"cv": 0.1}, {"a.b-1": {"x": None}}, ["note"])),
    "#" + event_json(RunFailed("ValueError: boom")),
]


def _check_types(event: Any) -> None:
    """Each field is of its annotated type, at least on the surface (numbers exactly)."""
    hints = typing.get_type_hints(type(event))
    for field in dataclasses.fields(event):
        hint = hints[field.name]
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        assert any(_is(getattr(event, field.name), option) for option in options), field.name
    if isinstance(event, IntervalRecord):
        assert all(type(n) is int for n in event.gc_collections)


def _is(value: object, hint: Any) -> bool:
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    cls = typing.get_origin(hint) or hint
    if cls is float:
        return type(value) in (int, float)
    if cls is int:
        return type(value) is int
    return isinstance(value, cls)


def feed_all(lines: list[str]) -> None:
    """Feed ``lines`` to a fresh parser; each gives an event (well typed), None, or RunnerError."""
    parser = StreamParser()
    messages: list[str] = []
    for line in lines:
        try:
            event = parser.feed(line + "\n")
        except RunnerError as exc:
            messages.append(str(exc))
            continue
        if event is not None:
            _check_types(event)
    assert parser.base_time_s is None or isinstance(parser.base_time_s, float)
    # Each error is one line for the user.
    assert not any("\n" in m or "\r" in m for m in messages)


# No deadline: a busy machine can stall one example past hypothesis' 200 ms; these check parsing, not speed.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=200), max_size=20))
def test_random_bytes(chunks: list[bytes]) -> None:
    # The parent reads the pipe as UTF-8, replacing what is not.
    feed_all([c.decode("utf-8", "replace") for c in chunks])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(["#", "#{", "Tag=", "#[BaseTime: ", ""]).flatmap(lambda p: st.text().map(lambda t: p + t)),
        max_size=20,
    )
)
def test_random_lines_with_meaningful_prefixes(lines: list[str]) -> None:
    feed_all(lines)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def mutated_streams(draw: st.DrawFn) -> list[str]:
    """The valid stream with a few lines cut, swapped, duplicated or given wrong JSON values."""
    lines = list(VALID_STREAM)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["cut", "drop", "dup", "swap", "json", "char"]))
        if how == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif how == "drop":
            del lines[i]
        elif how == "dup":
            lines.insert(i, lines[i])
        elif how == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif how == "json" and lines[i].startswith("#{") and lines[i].endswith("}"):
            try:
                raw = json.loads(lines[i][1:])
            except ValueError:  # already cut or changed
                continue
            key = draw(st.sampled_from(sorted(raw)))
            raw[key] = draw(_JSON_VALUES)
            lines[i] = "#" + json.dumps(raw)
        elif how == "char" and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:k] + draw(st.characters()) + lines[i][k + 1 :]
        if not lines:
            break
    return lines


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_streams())
@example(["#[BaseTime: 1.2.3 (seconds since epoch)]"])
@example(["#{}", "#[1]", '#{"event": 3}', "#{" + '"event":"ended"' + "}"])
@example(['#{"event":"ended","status":"stopped","phase":"measure","total_ops":"many","measured_s":1.0}'])
def test_mutated_valid_streams(lines: list[str]) -> None:
    feed_all(lines)


def test_the_valid_stream_parses_to_its_events() -> None:
    parser = StreamParser()
    events = [e for line in VALID_STREAM if (e := parser.feed(line + "\n")) is not None]
    assert [type(e) for e in events] == [RunStarted, IntervalRecord, StepEnded, HeapProfile, RunEnded, RunFailed]
    assert parser.base_time_s == 1795766400.123
