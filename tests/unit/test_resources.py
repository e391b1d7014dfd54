"""The load process's vital signs: CPU from CPU time, collections from gc.callbacks, the machine's load."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from nimsync_tui.run import resources
from nimsync_tui.run.resources import GcWatch, ResourceSampler, busy_machine


def spin_cpu(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


@pytest.mark.parametrize("cpu_s", [0.002, 0.005, 0.013])
def test_cpu_percent_is_exact_over_a_few_milliseconds(cpu_s: float, monkeypatch: pytest.MonkeyPatch) -> None:
    # psutil counts 10 ms ticks: a few ms of CPU read 0 % or several hundred.
    # The reference is the sampler's own window (the clock readings it took),
    # so a loaded machine preempting the test between two reads cannot skew it.
    cpu_reads: list[float] = []
    wall_reads: list[float] = []

    def recorded(clock: Callable[[], float], reads: list[float]) -> Callable[[], float]:
        def read() -> float:
            reads.append(clock())
            return reads[-1]

        return read

    clocks = SimpleNamespace(
        process_time=recorded(time.process_time, cpu_reads), perf_counter=recorded(time.perf_counter, wall_reads)
    )
    monkeypatch.setattr(resources, "time", clocks)
    with ResourceSampler() as sampler:
        sampler.sample()
        spin_cpu(cpu_s)
        sample = sampler.sample()
    cpu, wall = cpu_reads[-1] - cpu_reads[-2], wall_reads[-1] - wall_reads[-2]
    assert cpu >= cpu_s  # the spin lies inside the sampled window
    assert 0 < sample.cpu_percent <= 100 * 1.05  # one thread never uses more than one core
    assert sample.cpu_percent == pytest.approx(100 * cpu / wall, rel=1e-9)


def test_collections_and_their_pauses_are_counted_per_sample() -> None:
    with ResourceSampler() as sampler:
        sampler.sample()
        gc.collect()
        gc.collect(0)
        first = sampler.sample()
        second = sampler.sample()
    assert first.gc_count >= 2 and first.gc_pause_s > 0 and 0 < first.gc_pause_max_s <= first.gc_pause_s
    assert second.gc_count == 0 or second.gc_count < first.gc_count  # counted once, then started over


def test_the_sampler_unhooks_itself() -> None:
    before = list(gc.callbacks)
    with ResourceSampler():
        assert len(gc.callbacks) == len(before) + 1
    assert gc.callbacks == before


def test_gc_watch_sums_and_keeps_the_longest_pause() -> None:
    watch = GcWatch()
    for _ in range(3):
        watch("start", {})
        watch("stop", {})
    count, total, longest = watch.take()
    assert count == 3 and 0 <= longest <= total
    assert watch.take() == (0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("load", "cores", "busy"),
    [(0.5, 2, False), (1.0, 2, False), (1.3, 2, True), (3.9, 4, True), (2.9, 4, False), (0.1, 1, True)],
)
def test_a_busy_machine_is_one_whose_load_exceeds_the_free_cores(load: float, cores: int, busy: bool) -> None:
    warning = busy_machine(load_average=load, cores=cores)
    assert (warning is not None) == busy
    if warning:
        assert f"{load:.2f}" in warning and f"the {cores - 1} core(s)" in warning and "\n" not in warning
