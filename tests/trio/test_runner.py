"""The runner's loop in-process: phases, intervals and the log it writes."""

from __future__ import annotations

import dataclasses
import io
import itertools
import os
import pstats
import tracemalloc
from pathlib import Path

import pytest
import trio

from nimsync_tui.core.histogram import decode_histogram
from nimsync_tui.core.hlog import read_hlog
from nimsync_tui.core.protocol import (
    HeapProfile,
    IntervalRecord,
    RunEnded,
    RunFailed,
    RunStarted,
    StepEnded,
    StreamParser,
)
from nimsync_tui.run import runner as runner_module
from nimsync_tui.run.config import Overrides, RunOptions, RunSpec, plan_runs
from nimsync_tui.run.runner import run
from nimsync_tui.scenarios import SCENARIOS, Scenario


def run_spec(spec: RunSpec) -> tuple[int, str]:
    out = io.StringIO()
    status = trio.run(lambda: run(spec, out, watch_stdin=False))
    return status, out.getvalue()


def events_of(text: str) -> list[object]:
    parser = StreamParser()
    return [e for line in text.splitlines() if (e := parser.feed(line)) is not None]


def small_spec(pattern: str, **overrides: object) -> RunSpec:
    (spec,) = plan_runs(pattern, Overrides(**{"iterations": 5000, "warmup": 300, **overrides}), interval_s=0.05)
    return spec


# Operations one run of 5,000 iterations measures, and the histogram values it records.
OPERATIONS = {
    "channel-memory": 3 * 5000,  # three data channels of 5,000 items each
    "worker-scaling": (1 + 2 + 4 + 8 + 16) * 5000,  # 5,000 items per producer at each step
    "capacity-scaling": 5 * 5000,  # five capacities
}
SAMPLES = {
    "spsc-throughput": -(-5000 // 64),
    "pingpong-latency": 5000,
    "async-op-latency": 5000,
    "channel-memory": 3 * 5000,
    "memory-leak": 5000,
    "latency-distribution": 5000,
    "throughput-stability": 5,
    "capacity-scaling": 5 * -(-5000 // 64),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_bounded_run_reports_warmup_then_steps_then_end(name: str) -> None:
    spec = small_spec(name)
    status, text = run_spec(spec)
    assert status == 0
    events = events_of(text)
    assert isinstance(events[0], RunStarted) and events[0].scenario == name
    assert events[0].title == SCENARIOS[name].title and events[0].category == SCENARIOS[name].category
    assert isinstance(events[-1], RunEnded) and events[-1].status == "completed"
    intervals = [e for e in events if isinstance(e, IntervalRecord)]
    phases = [i.phase for i in intervals]
    assert phases[0] == "warmup" and phases[-1] == "measure"
    assert phases == sorted(phases, key=["warmup", "measure"].index)
    steps = [e for e in events if isinstance(e, StepEnded)]
    planned = SCENARIOS[name].plan_steps(spec.params)
    expected_tags = [name] if planned is None else [s.tag(name) for s in planned]
    assert [s.tag for s in steps] == expected_tags
    measured = [i for i in intervals if i.phase == "measure"]
    assert [i.tag for i in measured] == sorted((i.tag for i in measured), key=expected_tags.index)
    for step in steps:
        mine = [i for i in measured if i.tag == step.tag]
        assert sum(i.ops for i in mine) == step.total_ops == mine[-1].total_ops
        assert step.measured_s == pytest.approx(sum(i.length_s for i in mine), abs=1e-5)
        # Within a step, intervals follow each other without gaps or overlaps;
        # the instrument's own phase and step changes lie between them, in neither.
        for a, b in itertools.pairwise(mine):
            assert b.start_s == pytest.approx(a.start_s + a.length_s, abs=2e-6)
    for a, b in itertools.pairwise(intervals):
        assert b.start_s >= a.start_s + a.length_s - 2e-6
    end = events[-1]
    assert end.total_ops == sum(s.total_ops for s in steps) == OPERATIONS.get(name, 5000)
    assert end.measured_s == pytest.approx(sum(s.measured_s for s in steps), abs=1e-5)
    counts = sum(decode_histogram(i.histogram).get_total_count() for i in measured)
    if name in SAMPLES:
        assert counts == SAMPLES[name]
    else:
        assert counts > 0


def test_the_runner_output_is_an_hlog_tagged_with_the_scenario() -> None:
    _, text = run_spec(small_spec("pingpong-latency"))
    reader = read_hlog(text.splitlines())
    entries = list(reader)
    assert reader.version == "1.3"
    assert {e.tag for e in entries} == {"pingpong-latency"}
    assert sum(e.histogram().get_total_count() for e in entries) == 5300
    assert any('"event":"interval"' in c.text for c in reader.comments)


def test_a_duration_bounds_the_measured_phase() -> None:
    (spec,) = plan_runs("spsc-throughput", Overrides(warmup=100), interval_s=0.05, duration_s=0.3)
    status, text = run_spec(spec)
    end = events_of(text)[-1]
    assert status == 0 and isinstance(end, RunEnded)
    assert end.status == "completed" and 0.28 <= end.measured_s <= 1.0 and end.total_ops > 1000


def test_a_failing_scenario_ends_with_one_failed_event(monkeypatch: pytest.MonkeyPatch) -> None:
    async def explode(load: object, params: object, count: int | None) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.sleep, 0)
            raise RuntimeError("channel\nbroke")

    broken = dataclasses.replace(SCENARIOS["spsc-throughput"], body=explode)
    monkeypatch.setitem(SCENARIOS, "spsc-throughput", broken)
    status, text = run_spec(small_spec("spsc-throughput"))
    assert status == 1
    last = events_of(text)[-1]
    assert last == RunFailed("RuntimeError: channel broke")


def test_scenario_type_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SCENARIOS["spsc-throughput"].name = "x"  # type: ignore[misc]
    assert isinstance(SCENARIOS["spsc-throughput"], Scenario)


def test_the_run_measures_and_reports_its_own_floor() -> None:
    _, text = run_spec(small_spec("pingpong-latency"))
    started = events_of(text)[0]
    assert isinstance(started, RunStarted)
    overhead = started.overhead
    assert overhead["clock_pair_ns"] > 0 and overhead["probe_ns"] > 0
    assert overhead["floor_ns"] == overhead["clock_pair_ns"] + overhead["probe_ns"]
    assert started.affinity and set(started.affinity) <= set(range(os.cpu_count() or 1))


def test_an_open_loop_run_logs_service_and_corrected_time_under_two_tags() -> None:
    spec = small_spec("pingpong-latency", iterations=400, rate=4000.0)
    status, text = run_spec(spec)
    assert status == 0
    events = events_of(text)
    steps = [e for e in events if isinstance(e, StepEnded)]
    assert [s.tag for s in steps] == ["pingpong-latency", "pingpong-latency.corrected"]
    assert all(s.total_ops == 400 and s.metrics["rate_ops_s"] == 4000.0 for s in steps)
    measured = [e for e in events if isinstance(e, IntervalRecord) and e.phase == "measure"]
    by_tag = {tag: [i for i in measured if i.tag == tag] for tag in ("pingpong-latency", "pingpong-latency.corrected")}
    assert [(i.start_s, i.ops) for i in by_tag["pingpong-latency"]] == [
        (i.start_s, i.ops) for i in by_tag["pingpong-latency.corrected"]
    ]
    totals = {t: sum(decode_histogram(i.histogram).get_total_count() for i in v) for t, v in by_tag.items()}
    assert totals == {"pingpong-latency": 400, "pingpong-latency.corrected": 400}
    # 400 operations at 4,000 a second take at least 0.1 s, however fast each one is.
    assert steps[0].measured_s >= 0.0995
    reader = read_hlog(text.splitlines())
    assert {e.tag for e in reader} == {"pingpong-latency", "pingpong-latency.corrected"}


@pytest.mark.parametrize(("impl", "leak_per_round"), [("nimsync", 0), ("nimsync", 1), ("trio", 0), ("trio", 1)])
def test_a_planted_leak_is_reported_and_a_clean_run_is_not(impl: str, leak_per_round: int) -> None:
    spec = small_spec("memory-leak", iterations=8000, impl=impl)
    spec = dataclasses.replace(spec, params=dataclasses.replace(spec.params, leak_per_round=leak_per_round))
    status, text = run_spec(spec)
    assert status == 0
    events = events_of(text)
    steps = [e for e in events if isinstance(e, StepEnded)]
    assert [s.tag for s in steps] == [f"memory-leak.round-{k}" for k in range(1, 9)]
    assert all(s.metrics["heap_bytes"] > 0 for s in steps)  # type: ignore[operator]
    end = events[-1]
    assert isinstance(end, RunEnded)
    assert end.metrics["leak"] == float(leak_per_round) and end.metrics["rounds"] == 8.0
    verdict = "LEAK" if leak_per_round else "no leak"
    assert any(n.startswith(f"memory-leak verdict: {verdict} (") and "bytes/round" in n for n in end.notes)
    growth = [end.step_metrics[s.tag]["heap_growth_bytes"] for s in steps]
    assert growth[0] is None and all(g is not None for g in growth[1:])


def test_a_memory_leak_bounded_by_time_runs_rounds_until_then() -> None:
    (spec,) = plan_runs("memory-leak", Overrides(), interval_s=0.05, duration_s=0.5)
    status, text = run_spec(spec)
    events = events_of(text)
    rounds = [e for e in events if isinstance(e, StepEnded)]
    assert status == 0 and len(rounds) >= 1
    end = events[-1]
    assert isinstance(end, RunEnded) and end.metrics["rounds"] == len(rounds)
    # No round starts once the time is up; while plenty is left, another does (a busy machine
    # may take the whole half second for one round, so the count itself is not fixed).
    assert sum(r.measured_s for r in rounds[:-1]) < 0.5
    if rounds[0].measured_s < 0.1:
        assert len(rounds) >= 2


def test_profile_logs_the_heap_and_trace_writes_a_cpu_profile(tmp_path: Path) -> None:
    options = RunOptions(profile=True, trace=True, artifacts_dir=str(tmp_path))
    (spec,) = plan_runs("spsc-throughput", Overrides(iterations=30_000, warmup=300), interval_s=0.05, options=options)
    status, text = run_spec(spec)
    assert status == 0
    heaps = [e for e in events_of(text) if isinstance(e, HeapProfile)]
    assert heaps and all(h.tag == "spsc-throughput" and h.peak_bytes >= h.traced_bytes > 0 for h in heaps)
    assert all(len(h.top) <= 10 and all(size > 0 for _, size, _ in h.top) for h in heaps)
    assert not tracemalloc.is_tracing()  # off again once the load is done
    profile = (tmp_path / "spsc-throughput.profile.txt").read_text()
    assert "# heap over time" in profile and "# top allocation sites" in profile
    stats = pstats.Stats(str(tmp_path / "spsc-throughput.pstats"))
    assert any(func[2] == "produce" for func in stats.stats)  # type: ignore[attr-defined]
    assert "produce" in (tmp_path / "spsc-throughput.trace.txt").read_text()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity")
def test_pin_cpu_pins_the_load_and_records_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (100.0, 100.0, 100.0))
    cpu = max(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    try:
        spec = dataclasses.replace(small_spec("pingpong-latency"), options=RunOptions(pin_cpu=cpu))
        status, text = run_spec(spec)
        assert os.sched_getaffinity(0) == {cpu}
    finally:
        os.sched_setaffinity(0, before)
    started = events_of(text)[0]
    assert status == 0 and isinstance(started, RunStarted) and started.affinity == [cpu]
    # Whether the machine was busy is judged on all its cores, not the one the load was pinned to.
    (note,) = started.notes
    assert f"load average 100.00 above the {len(before) - 1} core(s)" in note


def test_a_busy_machine_at_start_is_noted_in_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "busy_machine", lambda: "machine busy at start: load average 3.00")
    _, text = run_spec(small_spec("pingpong-latency"))
    started = events_of(text)[0]
    assert isinstance(started, RunStarted) and started.notes == ["machine busy at start: load average 3.00"]
    monkeypatch.setattr(runner_module, "busy_machine", lambda: None)
    _, text = run_spec(small_spec("pingpong-latency"))
    assert events_of(text)[0].notes == []  # type: ignore[attr-defined]
