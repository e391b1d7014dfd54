"""Summing a scenario's intervals up into its result: figures that were not measured are null."""

import numpy as np
import pytest

from nimsync_tui.core.hgrm import percentile_rows
from nimsync_tui.core.histogram import new_histogram, record_values, summarize
from nimsync_tui.core.protocol import IntervalRecord, RunStarted
from nimsync_tui.suite.results import checkpoint_rule, scenario_result

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


def test_stability_is_not_measured_with_fewer_than_three_full_intervals() -> None:
    # Two full intervals and a short last one: a CV over two rates would read as "perfectly steady".
    steady = [interval(1000, 1.0), interval(1000, 1.0), interval(0, 0.003)]
    result = scenario_result(STARTED, steady, new_histogram(), status="completed", duration_s=2.003, operations=2000)
    assert result.stability.intervals == 2
    assert result.stability.mean_ops_s == 1000.0
    assert result.stability.cv is None
    assert result.metrics["throughput_ops_s"] == pytest.approx(2000 / 2.003)


def test_stability_is_the_coefficient_of_variation_over_three_or_more() -> None:
    rates = [interval(900, 1.0), interval(1100, 1.0), interval(1000, 1.0)]
    result = scenario_result(STARTED, rates, new_histogram(), status="completed", duration_s=3.0, operations=3000)
    assert result.stability.cv == pytest.approx(100.0 / 1000)


def test_an_empty_histogram_reports_its_count_and_no_percentiles() -> None:
    result = scenario_result(
        STARTED, [interval(0, 1.0)], new_histogram(), status="stopped", duration_s=1.0, operations=0
    )
    lat = result.latency_ns
    assert lat.count == 0
    assert (lat.min, lat.max, lat.mean, lat.stddev, lat.p50, lat.p99, lat.p999) == (None,) * 7
    assert result.metrics["latency_samples"] == 0.0
    assert result.metrics["latency_p99_ns"] is None and result.metrics["latency_mean_ns"] is None


def test_percentiles_round_the_rank_up_as_java_and_the_hgrm_do() -> None:
    # 1,060 distinct values (exact below 2,048 at 3 significant figures): p99's rank is 1049.4.
    # HdrHistogram_py rounds it to 1049; Java's getValueAtPercentile, and its .hgrm iterator, reach 1050.
    hist = new_histogram()
    record_values(hist, np.arange(1, 1061))
    assert hist.get_value_at_percentile(99.0) == 1049  # the library's rule, for contrast
    assert summarize(hist).p99 == 1050
    # Every percentile the summary states is the .hgrm's value at that level.
    rows = {level: value for value, level, _ in percentile_rows(hist)}
    assert summarize(hist).p50 == rows[50.0] and summarize(hist).p90 == rows[90.0]


def test_peaks_overflow_cpu_and_throughput() -> None:
    intervals = [interval(1000, 1.0, peak=60_000_000, cpu=100.0), interval(500, 0.5, peak=55_000_000, cpu=40.0)]
    result = scenario_result(STARTED, intervals, new_histogram(), status="stopped", duration_s=1.5, operations=1500)
    assert result.rss_bytes == 60_000_000 == result.metrics["peak_rss_bytes"]
    assert result.overflow == 2
    assert result.cpu_percent == pytest.approx((100.0 * 1.0 + 40.0 * 0.5) / 1.5)
    assert result.throughput_ops_s == 1000.0
    assert result.status == "stopped" and result.parameters == {"capacity": 8}


def test_a_trio_result_states_no_yield_every() -> None:
    ours = RunStarted("spsc-throughput", "t", "item", {"impl": "nimsync", "yield_every": 128}, 1.0, 1)
    trio = RunStarted("spsc-throughput", "t", "item", {"impl": "trio", "yield_every": 128}, 1.0, 1)

    def parameters(started: RunStarted) -> dict:
        return scenario_result(started, [], new_histogram(), status="completed", duration_s=1, operations=1).parameters

    assert parameters(ours)["yield_every"] == 128
    assert "yield_every" not in parameters(trio)


@pytest.mark.parametrize(
    ("params", "rule"),
    [
        ({"impl": "trio"}, "trio: a checkpoint on every operation (Trio's rule)"),
        ({"impl": "nimsync", "yield_every": 128}, "nimsync: a checkpoint every 128th operation"),
        ({"impl": "nimsync", "yield_every": 1}, "nimsync: a checkpoint on every operation (--yield-every 1"),
    ],
)
def test_checkpoint_rule_names_where_the_difference_comes_from(params: dict, rule: str) -> None:
    assert checkpoint_rule(params).startswith(rule)
