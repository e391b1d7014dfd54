"""A runner's events summed up into result rows: one per tag, a summary for steps, metrics on each."""

from __future__ import annotations

import numpy as np
import pytest

from nimsync_tui.core.histogram import new_histogram, record_values
from nimsync_tui.core.protocol import IntervalRecord, RunEnded, RunStarted, StepEnded
from nimsync_tui.run.collect import ScenarioCollector

OVERHEAD = {"clock_pair_ns": 40.0, "probe_ns": 60.0, "floor_ns": 100.0}
COMMON = {
    "operations",
    "duration_s",
    "throughput_ops_s",
    "latency_samples",
    "latency_mean_ns",
    "latency_min_ns",
    "latency_p50_ns",
    "latency_p95_ns",
    "latency_p99_ns",
    "latency_p999_ns",
    "latency_max_ns",
    "latency_stddev_ns",
    "cpu_percent",
    "peak_rss_bytes",
    "gc_collections",
    "gc_pause_total_s",
    "gc_pause_max_s",
    "overhead_clock_pair_ns",
    "overhead_probe_ns",
    "overhead_floor_ns",
    "near_floor",
}


def started(name: str) -> RunStarted:
    return RunStarted(
        name, "time", "item", {"capacity": 8}, 1.0, 1, title="T", category="Scalability", overhead=OVERHEAD
    )


def interval(tag: str, ops: int, phase: str = "measure", gc_count: int = 0) -> IntervalRecord:
    return IntervalRecord(
        tag=tag,
        phase=phase,
        start_s=0.0,
        length_s=1.0,
        ops=ops,
        total_ops=ops,
        overflow=0,
        rss_bytes=1,
        peak_rss_bytes=2,
        cpu_percent=50.0,
        allocated_blocks=1,
        gc_collections=(0, 0, 0),
        gc_count=gc_count,
        gc_pause_s=0.001 * gc_count,
        gc_pause_max_s=0.001 if gc_count else 0.0,
    )


def histogram(*values: int) -> object:
    hist = new_histogram()
    record_values(hist, np.array(values, dtype=np.int64))
    return hist


def step(tag: str, value: int | None, ops: int, **metrics: float | None) -> StepEnded:
    param = None if value is None else "capacity"
    return StepEnded(tag, param, value, "completed", ops, 1.0, metrics=dict(metrics))


def test_a_stepped_scenario_gives_a_row_per_step_and_a_summary() -> None:
    c = ScenarioCollector()
    c.feed(started("capacity-scaling"))
    c.add_interval(interval("capacity-scaling", 99, phase="warmup"), histogram(1))
    for value, values in ((1, (5000, 6000)), (10, (7000,))):
        tag = f"capacity-scaling.capacity-{value}"
        c.add_interval(interval(tag, 1000, gc_count=value), histogram(*values))
        c.feed(step(tag, value, 1000, batches=3.0))
    c.feed(
        RunEnded(
            "completed",
            "measure",
            2000,
            2.0,
            metrics={"cores": 2.0},
            step_metrics={"capacity-scaling.capacity-10": {"efficiency": 0.5}},
            notes=["a rule"],
        )
    )
    rows = c.rows()
    assert [r.result.name for r in rows] == [
        "capacity-scaling.capacity-1",
        "capacity-scaling.capacity-10",
        "capacity-scaling",
    ]
    one, ten, summary = (r.result for r in rows)
    assert one.step == {"param": "capacity", "value": 1} and one.parameters["capacity"] == 1
    assert ten.parameters["capacity"] == 10 and summary.step is None
    assert all(r.scenario == "capacity-scaling" and r.category == "Scalability" and r.title == "T" for r in (one, ten))
    assert one.metrics.keys() >= COMMON and summary.metrics.keys() >= COMMON
    assert one.metrics["batches"] == 3.0 and "efficiency" not in one.metrics
    assert ten.metrics["efficiency"] == 0.5
    assert summary.metrics["cores"] == 2.0 and summary.notes == ["a rule"] and "cores" not in one.metrics
    assert (one.metrics["gc_collections"], ten.metrics["gc_collections"], summary.metrics["gc_collections"]) == (
        1.0,
        10.0,
        11.0,
    )
    # Each histogram once; the warm-up in none.
    assert [r.histogram.get_total_count() for r in rows] == [2, 1, 3]
    assert summary.operations == 2000 and one.operations == 1000
    assert one.metrics["throughput_ops_s"] == 1000.0 and one.metrics["latency_p95_ns"] == pytest.approx(6000, rel=1e-3)


def test_a_plain_scenario_is_one_row_with_the_runs_figures() -> None:
    c = ScenarioCollector()
    c.feed(started("channel-memory"))
    c.add_interval(interval("channel-memory", 10), histogram(3000))
    c.feed(step("channel-memory", None, 10, residual_bytes=12.0))
    c.feed(RunEnded("completed", "measure", 10, 1.0, metrics={"leak": 0.0}, notes=["verdict"]))
    (row,) = c.rows()
    assert row.result.name == row.result.scenario == "channel-memory" and row.result.step is None
    assert row.result.metrics["residual_bytes"] == 12.0 and row.result.metrics["leak"] == 0.0
    assert row.result.notes == ["verdict"]


def test_a_load_that_timed_itself_is_believed() -> None:
    # Worker processes time their load on their own clocks: their start-up is no load time.
    c = ScenarioCollector()
    c.feed(started("worker-scaling"))
    for n in (1, 2):
        tag = f"worker-scaling.workers-{n}"
        c.add_interval(interval(tag, 100 * n), histogram(300))
        c.feed(step(tag, n, 100 * n, throughput_ops_s=1000.0 * n, load_duration_s=0.1))
    c.feed(RunEnded("completed", "measure", 300, 2.0))
    one, two, summary = (r.result for r in c.rows())
    assert (one.duration_s, one.throughput_ops_s, one.metrics["throughput_ops_s"]) == (0.1, 1000.0, 1000.0)
    assert (two.duration_s, two.throughput_ops_s) == (0.1, 2000.0)
    assert summary.duration_s == pytest.approx(0.2) and summary.throughput_ops_s == pytest.approx(1500.0)


@pytest.mark.parametrize(("value_ns", "near"), [(900, 1.0), (1100, 0.0)])
def test_a_latency_within_10x_of_the_instruments_floor_is_flagged(value_ns: int, near: float) -> None:
    c = ScenarioCollector()
    c.feed(started("pingpong-latency"))
    c.add_interval(interval("pingpong-latency", 3), histogram(value_ns, value_ns, value_ns))
    c.feed(step("pingpong-latency", None, 3))
    c.feed(RunEnded("completed", "measure", 3, 1.0))
    (row,) = c.rows()
    assert row.result.metrics["near_floor"] == near
    assert any("instrument's own floor (100 ns" in n for n in row.result.notes) == bool(near)


def test_no_samples_means_no_latency_figures_never_zero() -> None:
    c = ScenarioCollector()
    c.feed(started("memory-leak"))
    c.add_interval(interval("memory-leak.round-1", 3), new_histogram())
    c.feed(StepEnded("memory-leak.round-1", "round", 1, "completed", 3, 1.0))
    c.feed(RunEnded("completed", "measure", 3, 1.0))
    for row in c.rows():
        metrics = row.result.metrics
        assert metrics["latency_samples"] == 0.0
        assert all(metrics[k] is None for k in COMMON if k.startswith("latency_") and k != "latency_samples")
        assert metrics["near_floor"] is None


def test_nothing_measured_gives_no_rows() -> None:
    c = ScenarioCollector()
    c.feed(started("spsc-throughput"))
    c.feed(RunEnded("stopped", "warmup", 0, 0.0))
    assert c.rows() == []
