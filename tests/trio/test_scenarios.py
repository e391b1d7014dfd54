"""The suite's loads, run in-process under Trio with a probe that keeps everything."""

from __future__ import annotations

import math

import pytest
import trio

from nimsync_tui.scenarios import IMPLEMENTATIONS, SCENARIOS, Load, Params


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


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_continuous_loads_run_until_cancelled(name: str) -> None:
    load, probe = run_load(name, None)
    assert load.ops > 100
    assert probe.values


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_without_a_probe_nothing_is_timed_and_the_load_still_runs(name: str) -> None:
    scenario = SCENARIOS[name]
    load = Load(None)
    trio.run(scenario.body, load, scenario.defaults, 2000)
    assert load.ops == 2000


def test_spsc_on_a_rendezvous_channel() -> None:
    load, probe = run_load("spsc-throughput", 300, capacity=0)
    assert load.ops == 300 and len(probe.values) == 5


def test_every_histogram_says_what_it_measures_with_the_runs_parameters() -> None:
    spsc = SCENARIOS["spsc-throughput"]
    assert spsc.measures_with(Params(sample_every=32)).endswith("(one item in 32 timed)")
    mpmc = SCENARIOS["mpmc-throughput"]
    assert "batch of 16 items" in mpmc.measures_with(Params(sample_every=16))
    for scenario in SCENARIOS.values():
        assert "{" not in scenario.measures_with(scenario.defaults)
