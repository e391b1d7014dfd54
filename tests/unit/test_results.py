"""Summing a scenario's intervals up into its result."""

import pytest

from nimsync_tui.core.histogram import new_histogram
from nimsync_tui.core.protocol import IntervalRecord, RunStarted
from nimsync_tui.suite.results import scenario_result

STARTED = RunStarted("spsc-throughput", "per-item time", "item", {"capacity": 8}, 1.0, 1)


def interval(ops: int, length_s: float, peak: int = 50_000_000, cpu: float = 100.0) -> IntervalRecord:
    return IntervalRecord(
        tag="spsc-throughput",
        phase="measure",
        start_s=0.0,
        length_s=length_s,
        ops=ops,
        total_ops=ops,
        overflow=1,
        rss_bytes=40_000_000,
        peak_rss_bytes=peak,
        cpu_percent=cpu,
        allocated_blocks=1,
        gc_collections=(0, 0, 0),
    )


def test_a_short_last_interval_does_not_count_for_stability() -> None:
    steady = [interval(1000, 1.0), interval(1000, 1.0), interval(0, 0.003)]
    result = scenario_result(STARTED, steady, new_histogram(), status="completed", duration_s=2.003, operations=2000)
    assert result.stability.intervals == 2
    assert result.stability.cv == 0.0 and result.stability.mean_ops_s == 1000.0


def test_stability_is_the_coefficient_of_variation() -> None:
    rates = [interval(900, 1.0), interval(1100, 1.0)]
    result = scenario_result(STARTED, rates, new_histogram(), status="completed", duration_s=2.0, operations=2000)
    assert result.stability.cv == pytest.approx(141.42135 / 1000)


def test_peaks_overflow_cpu_and_throughput() -> None:
    intervals = [interval(1000, 1.0, peak=60_000_000, cpu=100.0), interval(500, 0.5, peak=55_000_000, cpu=40.0)]
    result = scenario_result(STARTED, intervals, new_histogram(), status="stopped", duration_s=1.5, operations=1500)
    assert result.rss_bytes == 60_000_000
    assert result.overflow == 2
    assert result.cpu_percent == pytest.approx((100.0 * 1.0 + 40.0 * 0.5) / 1.5)
    assert result.throughput_ops_s == 1000.0
    assert result.status == "stopped" and result.parameters == {"capacity": 8}
