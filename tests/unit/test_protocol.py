"""The runner's wire format: events in, the same events out."""

import dataclasses

import pytest

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

INTERVAL = IntervalRecord(
    tag="spsc-throughput",
    phase="measure",
    start_s=1.5,
    length_s=0.25,
    ops=1000,
    total_ops=5000,
    overflow=2,
    rss_bytes=30_000_000,
    peak_rss_bytes=31_000_000,
    cpu_percent=99.5,
    allocated_blocks=12345,
    gc_collections=(3, 1, 0),
    histogram="HISTFAAAAB",
)


def test_every_event_survives_the_pipe() -> None:
    parser = StreamParser()
    events = [
        RunStarted("spsc-throughput", "per-item time", "item", {"capacity": 8}, 0.25, 42),
        INTERVAL,
        RunStarted(
            "worker-scaling",
            "batch time",
            "item",
            {"parallel": True},
            0.25,
            42,
            title="Worker scaling efficiency",
            category="Scalability",
            overhead={"clock_pair_ns": 40.0, "probe_ns": 60.0, "floor_ns": 100.0},
            affinity=[1],
            notes=["machine busy at start"],
        ),
        dataclasses.replace(INTERVAL, gc_count=2, gc_pause_s=0.003, gc_pause_max_s=0.002),
        StepEnded("worker-scaling.workers-2", "workers", 2, "completed", 200, 0.5, {"efficiency": None}, ["n"]),
        StepEnded("spsc-throughput", None, None, "stopped", 7, 0.1),
        HeapProfile("spsc-throughput", 2.5, 1000, 2000, [("a.py:3", 800, 2), ("b.py:9", 200, 1)]),
        RunEnded("stopped", "measure", 5000, 1.75),
        RunEnded(
            "completed",
            "measure",
            10,
            1.0,
            metrics={"leak": 1.0, "heap_growth_per_round_bytes": None},
            step_metrics={"memory-leak.round-2": {"heap_growth_bytes": 32.0}},
            notes=["memory-leak verdict: LEAK"],
        ),
        RunFailed("ValueError: boom"),
    ]
    seen = []
    for event in events:
        if isinstance(event, IntervalRecord):
            assert parser.feed(f"Tag={event.tag},1.500,0.250,0.001,{event.histogram}\n") is None
        seen.append(parser.feed("#" + event_json(event) + "\n"))
    assert seen == events


def test_comment_lines_carry_no_histogram_and_stay_on_one_line() -> None:
    line = event_json(INTERVAL)
    assert line.startswith('{"event":"interval"')
    assert "HISTFAAAAB" not in line and "\n" not in line


def test_base_time_is_read_from_the_header() -> None:
    parser = StreamParser()
    parser.feed("#[BaseTime: 1795766400.123 (seconds since epoch)]\n")
    assert parser.base_time_s == pytest.approx(1795766400.123)


def test_interval_without_its_histogram_line_is_an_error() -> None:
    with pytest.raises(RunnerError, match="without its histogram line"):
        StreamParser().feed("#" + event_json(INTERVAL))


@pytest.mark.parametrize(
    "line",
    ['#{"event": "interval", ', '#{"event": "nonsense"}', '#{"event": "ended"}', "Tag=x,1,2"],
)
def test_garbage_is_a_runner_error_not_a_crash(line: str) -> None:
    with pytest.raises(RunnerError):
        StreamParser().feed(line)


def test_ops_per_s() -> None:
    assert INTERVAL.ops_per_s == 4000.0
