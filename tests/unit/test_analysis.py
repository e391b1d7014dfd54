"""The suite's analyzeResults over repetitions, and the confidence interval beside it."""

import math

import pytest

from nimsync_tui.suite.analysis import BenchmarkResult, analyze_results


def rep(throughput: float, latency: float | None = 1000.0) -> BenchmarkResult:
    return BenchmarkResult("s", 1.0, int(throughput), throughput, latency, 1 << 20, 100.0)


def test_the_suites_figures_over_repetitions() -> None:
    a = analyze_results([rep(100.0, 30.0), rep(110.0, 10.0), rep(120.0, 20.0)])
    assert a.repetitions == 3
    assert a.avg_throughput_ops_s == pytest.approx(110.0)
    assert a.throughput_stddev_ops_s == pytest.approx(10.0)  # sample stddev, as calculateStdDev over a seq
    assert (a.min_latency_ns, a.max_latency_ns) == (10.0, 30.0)
    # The suite's rank: sorted[95 * 3 div 100] = sorted[2].
    assert a.p95_latency_ns == 30.0


def test_confidence_interval_is_students_t_around_the_mean() -> None:
    a = analyze_results([rep(100.0), rep(110.0), rep(120.0)])
    # t(0.975, 2 degrees of freedom) = 4.302653; half width = t * s / sqrt(n).
    half = 4.302653 * 10.0 / math.sqrt(3)
    assert a.throughput_ci_low_ops_s == pytest.approx(110.0 - half, rel=1e-6)
    assert a.throughput_ci_high_ops_s == pytest.approx(110.0 + half, rel=1e-6)


def test_one_repetition_has_no_spread_and_identical_ones_a_point_interval() -> None:
    one = analyze_results([rep(100.0)])
    assert one.throughput_stddev_ops_s is None and one.throughput_ci_low_ops_s is None
    same = analyze_results([rep(100.0), rep(100.0)])
    assert same.throughput_ci_low_ops_s == same.throughput_ci_high_ops_s == 100.0


def test_repetitions_without_latency_samples_give_no_latency() -> None:
    a = analyze_results([rep(100.0, None), rep(100.0, None)])
    assert a.min_latency_ns is a.max_latency_ns is a.p95_latency_ns is None
