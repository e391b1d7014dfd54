"""The suite's loads, run in-process under Trio with a probe that keeps everything."""

from __future__ import annotations

import dataclasses
import math
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import trio

from nimsync_tui.scenarios import IMPLEMENTATIONS, SCENARIOS, Load, Params, Step, StepOutcome
from nimsync_tui.scenarios import throughput as throughput_module
from nimsync_tui.scenarios._ends import Ends, open_ends
from nimsync_tui.scenarios._open_loop import run_open_loop
from nimsync_tui.scenarios.memory import leak_verdict


class KeepingProbe:
    def __init__(self) -> None:
        self.values: list[int] = []

    def record(self, value_ns: int) -> None:
        self.values.append(value_ns)


def run_load(name: str, count: int | None, **changes: object) -> tuple[Load, KeepingProbe]:
    scenario = SCENARIOS[name]
    params = Params(**{**_fields(scenario.defaults), **changes})
    probe = KeepingProbe()
    load = Load(probe)

    async def main() -> None:
        if count is None:
            with trio.move_on_after(0.1):
                await scenario.body(load, params, None)
        else:
            with trio.fail_after(30):
                await scenario.body(load, params, count)

    trio.run(main)
    return load, probe


def _fields(p: Params) -> dict[str, object]:
    return {f: getattr(p, f) for f in p.__slots__}


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("count", [1, 63, 64, 65, 1000])
def test_spsc_moves_every_item_and_stamps_one_per_batch(impl: str, count: int) -> None:
    load, probe = run_load("spsc-throughput", count, impl=impl, sample_every=64)
    assert load.ops == count
    assert len(probe.values) == math.ceil(count / 64)
    # Each value is a real time in the channel: positive and far below a second.
    assert all(0 < v < 1_000_000_000 for v in probe.values)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(("producers", "consumers"), [(1, 1), (4, 4), (3, 2)])
def test_mpmc_moves_every_item(impl: str, producers: int, consumers: int) -> None:
    load, probe = run_load(
        "mpmc-throughput", 10_001, impl=impl, producers=producers, consumers=consumers, sample_every=50
    )
    assert load.ops == 10_001
    # Only whole batches are timed; each consumer may end on a partial one.
    assert 10_001 // 50 - consumers <= len(probe.values) <= 10_001 // 50
    assert all(v > 0 for v in probe.values)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_pingpong_times_every_round_trip(impl: str) -> None:
    load, probe = run_load("pingpong-latency", 500, impl=impl)
    assert load.ops == 500
    assert len(probe.values) == 500 and min(probe.values) > 0


# The memory loads do a fixed amount of work per call (a fill, a round); the rest run until stopped.
CONTINUOUS = [n for n, s in SCENARIOS.items() if not s.traces_memory]


@pytest.fixture
def tracing() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_loads_run_until_cancelled(name: str) -> None:
    load, probe = run_load(name, None)
    assert load.ops > 100
    assert probe.values


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.usefixtures("tracing")
def test_without_a_probe_nothing_is_timed_and_the_load_still_runs(name: str) -> None:
    scenario = SCENARIOS[name]
    load = Load(None)
    trio.run(scenario.body, load, dataclasses.replace(scenario.defaults, producers=2), 2000)
    per_call = {"channel-memory": 3 * 2000, "worker-scaling": 2 * 2000}
    assert load.ops == per_call.get(name, 2000)


def test_spsc_on_a_rendezvous_channel() -> None:
    load, probe = run_load("spsc-throughput", 300, capacity=0)
    assert load.ops == 300 and len(probe.values) == 5


def test_every_histogram_says_what_it_measures_with_the_runs_parameters() -> None:
    spsc = SCENARIOS["spsc-throughput"]
    assert spsc.measures_with(Params(sample_every=32)).endswith("(one item in 32 timed, at a random place)")
    mpmc = SCENARIOS["mpmc-throughput"]
    assert "batch of 16 items" in mpmc.measures_with(Params(sample_every=16))
    for scenario in SCENARIOS.values():
        assert "{" not in scenario.measures_with(scenario.defaults)


def test_spsc_stamps_one_item_per_batch_at_a_random_place(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[int] = []

    def spying_ends(*args: Any) -> Ends:
        ends = open_ends(*args)

        async def send(value: int) -> None:
            sent.append(value)
            await ends.send(value)

        return ends._replace(send=send)

    monkeypatch.setattr(throughput_module, "open_ends", spying_ends)
    load, probe = run_load("spsc-throughput", 64 * 200, sample_every=64, yield_every=128)
    assert load.ops == len(sent) == 64 * 200 and len(probe.values) == 200
    # Stamps are clock readings, plain items their index in the batch.
    stamps = [i for i, v in enumerate(sent) if v > 10**9]
    assert [i // 64 for i in stamps] == list(range(200))
    # A fixed place would always sit at one phase of the channel's checkpoint
    # (every 128th operation) and never time an item that waits across a yield.
    phases = {i % 128 for i in stamps}
    assert len(phases) > 50


def test_open_loop_sees_a_stall_that_the_closed_loop_timing_hides() -> None:
    scenario = SCENARIOS["pingpong-latency"]
    assert scenario.open_loop is not None
    # No checkpoint inside an operation: the stall can only land between them.
    params = dataclasses.replace(scenario.defaults, rate=2000.0, yield_every=10**9)
    service, corrected = KeepingProbe(), KeepingProbe()
    load = Load(service, corrected)

    async def main() -> None:
        async def stall() -> None:
            await trio.sleep(0.1)
            time.sleep(0.05)  # blocks the whole loop, as a collection or a slow neighbour would

        async with trio.open_nursery() as nursery:
            nursery.start_soon(stall)
            with trio.fail_after(30):
                await run_open_loop(load, params, 600, scenario.open_loop)  # type: ignore[arg-type]

    trio.run(main)
    assert load.ops == len(service.values) == len(corrected.values) == 600
    # Timed from its intended start, the operation due during the stall waited ~50 ms...
    assert max(corrected.values) >= 45_000_000
    # ...and the ones after it queued: the tail holds a run of late operations, not one.
    assert sum(v > 5_000_000 for v in corrected.values) >= 5
    # Timed from its actual start, no operation saw it: the stall is in the wait before
    # an operation (corrected minus service), which only the corrected time counts.
    waits = [c - s for s, c in zip(service.values, corrected.values, strict=True)]
    assert min(waits) >= 0 and max(waits) >= 45_000_000


def test_open_loop_keeps_its_schedule() -> None:
    scenario = SCENARIOS["async-op-latency"]
    params = dataclasses.replace(scenario.defaults, rate=1000.0)
    load = Load(KeepingProbe(), KeepingProbe())
    started = time.perf_counter()
    trio.run(run_open_loop, load, params, 200, scenario.open_loop)
    elapsed = time.perf_counter() - started
    # 200 operations at 1,000 a second: the last is due at 0.199 s; a closed loop takes ~1 ms.
    assert elapsed >= 0.199 and load.ops == 200


@pytest.mark.parametrize(
    ("heaps", "verdict"),
    [
        ([1000.0, 1000.0, 1000.0], None),  # too few rounds to tell
        ([1000.0, 1032.0, 1064.0, 1096.0, 1128.0], 0.0),  # the runner's own counters
        ([1000.0, 9000.0, 9000.0, 9000.0, 9000.0], 0.0),  # round 1 fills caches
        ([1000.0, 1600.0, 1600.0, 1600.0, 9000.0], 0.0),  # one jump is not steady growth
        ([1000.0, 1520.0, 2040.0, 2560.0, 3080.0], 1.0),  # one Trio channel a round
        ([5000.0, 7700.0, 10400.0, 13100.0, 15800.0, 18500.0], 1.0),  # one of ours a round
    ],
)
def test_the_leak_verdict_rule(heaps: list[float], verdict: float | None) -> None:
    _, leak = leak_verdict(heaps)
    assert leak == verdict


def summarize(name: str, throughputs: list[float], parallel: bool = False) -> Any:
    scenario = SCENARIOS[name]
    assert scenario.summarize is not None
    steps = scenario.plan_steps(dataclasses.replace(scenario.defaults, parallel=parallel))
    assert steps is not None
    outcomes = [
        StepOutcome(s.tag(name), s, int(rate), 1.0, {}) for s, rate in zip(list(steps), throughputs, strict=False)
    ]
    return scenario.summarize(outcomes)


def test_worker_scaling_efficiency_and_what_one_loop_means() -> None:
    summary = summarize("worker-scaling", [1000.0, 1000.0, 1000.0, 1000.0, 1000.0])
    efficiency = [m["efficiency"] for m in summary.steps.values()]
    assert efficiency == [1.0, 0.5, 0.25, 0.125, 0.0625]
    assert summary.metrics["efficiency_min"] == 0.0625 and summary.metrics["parallel"] == 0.0
    assert any("concurrency, not parallelism" in n for n in summary.notes)
    assert all(m["beyond_cores"] == 0.0 for m in summary.steps.values())


def test_parallel_worker_scaling_marks_workers_beyond_the_cores() -> None:
    summary = summarize("worker-scaling", [1000.0, 2000.0, 3000.0, 3000.0, 3000.0], parallel=True)
    cores = summary.metrics["cores"]
    assert summary.metrics["parallel"] == 1.0
    assert not any("concurrency, not parallelism" in n for n in summary.notes)
    for tag, m in summary.steps.items():
        assert m["beyond_cores"] == (1.0 if m["workers"] > cores else 0.0), tag
    assert [m["efficiency"] for m in summary.steps.values()] == [1.0, 1.0, 0.75, 0.375, 0.1875]


def test_steps_follow_the_suite() -> None:
    def values(name: str, **changes: object) -> list[int]:
        scenario = SCENARIOS[name]
        steps = scenario.plan_steps(dataclasses.replace(scenario.defaults, **changes))
        assert steps is not None
        return [s.value for s in steps]

    assert values("worker-scaling") == [1, 2, 4, 8, 16]
    assert values("worker-scaling", workers=6) == [1, 2, 4, 6]
    assert values("capacity-scaling") == [1, 10, 100, 1000, 10000]
    assert values("memory-leak") == list(range(1, 11))
    assert values("memory-leak", iterations=3500) == [1, 2, 3, 4]
    endless = SCENARIOS["memory-leak"].plan_steps(
        dataclasses.replace(SCENARIOS["memory-leak"].defaults, iterations=None)
    )
    assert endless is not None and len([s for s, _ in zip(endless, range(50), strict=False)]) == 50
    step = Step("capacity", 100, Params())
    assert step.tag("capacity-scaling") == "capacity-scaling.capacity-100"


def test_batch_throughput_statistics_are_exact() -> None:
    load, probe = run_load("throughput-stability", 5500, sample_every=1000)
    assert load.ops == 5500 and len(probe.values) == 6
    rates = [(1000 if i < 5 else 500) * 1e9 / v for i, v in enumerate(probe.values)]
    mean = sum(rates) / 6
    sd = math.sqrt(sum((r - mean) ** 2 for r in rates) / 5)
    m = load.metrics
    assert m["batches"] == 6.0
    assert m["batch_throughput_mean_ops_s"] == pytest.approx(mean, rel=1e-9)
    assert m["batch_throughput_stddev_ops_s"] == pytest.approx(sd, rel=1e-9)
    assert m["batch_throughput_cv"] == pytest.approx(sd / mean, rel=1e-9)


def test_batch_cv_needs_three_batches() -> None:
    load, _ = run_load("throughput-stability", 2000, sample_every=1000)
    assert load.metrics["batches"] == 2.0 and load.metrics["batch_throughput_cv"] is None


@pytest.mark.usefixtures("tracing")
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_channel_memory_measures_every_figure(impl: str) -> None:
    load, probe = run_load("channel-memory", 500, impl=impl)
    m = load.metrics
    assert load.ops == len(probe.values) == 1500
    for cap in (10, 1000, 100000):
        assert m[f"creation_bytes_capacity_{cap}"] > 0  # type: ignore[operator]
    assert m["creation_overhead_bytes"] > 0  # type: ignore[operator]
    # A str or an object per item costs more than a small int from the cache.
    assert 0 < m["per_item_bytes_int"] < m["per_item_bytes_str"]  # type: ignore[operator]
    assert m["per_item_bytes_object"] > m["per_item_bytes_int"]  # type: ignore[operator]
    assert m["data_overhead_bytes"] > 500 * 8  # type: ignore[operator]
    # Closed and collected, next to nothing stays.
    assert abs(m["residual_bytes"]) < 64 * 1024  # type: ignore[arg-type]
