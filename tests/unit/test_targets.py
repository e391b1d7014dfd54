"""Targets and checks: every one that applies is judged, none is ever lowered to pass."""

import pytest

from nimsync_tui.suite.targets import DEFAULT_TARGETS, Target, check_row, with_overrides


def test_the_suites_defaults_are_keyed_on_metric_names() -> None:
    by_key = {t.key: t for t in DEFAULT_TARGETS}
    assert by_key["spsc-throughput.throughput_ops_s"].value == 100_000
    assert by_key["mpmc-throughput.throughput_ops_s"].value == 50_000
    assert by_key["pingpong-latency.latency_mean_ns"].value == 10_000
    assert by_key["pingpong-latency.latency_p99_ns"].value == 100_000
    assert by_key["channel-memory.residual_bytes"].value == 1024 * 1024
    assert by_key["worker-scaling.efficiency_min"].value == 0.7
    assert by_key["worker-scaling.*.efficiency"].value == 0.5
    assert by_key["throughput-stability.batch_throughput_cv"].value == 0.1


def test_every_applicable_target_is_judged_with_its_measured_value() -> None:
    checks = check_row("pingpong-latency", {"latency_mean_ns": 2_000.0, "latency_p99_ns": 150_000.0}, DEFAULT_TARGETS)
    assert [(c.metric, c.measured, c.verdict) for c in checks] == [
        ("latency_mean_ns", 2_000.0, "PASS"),
        ("latency_p99_ns", 150_000.0, "FAIL"),
    ]
    # The measured value and what it needs: not "150 < 100", which reads as a statement.
    assert checks[1].describe() == "FAIL P99 Latency 150.000 µs (needs < 100 µs)"
    assert checks[1].missed() and not checks[0].missed()


def test_a_target_below_the_runtimes_floor_is_unreachable_and_says_so() -> None:
    metrics = {"latency_mean_ns": 3_400.0, "latency_min_ns": 2_900.0}
    (check,) = check_row("async-op-latency", metrics, DEFAULT_TARGETS)
    assert check.verdict == "UNREACHABLE" and not check.passed
    assert check.note == "this runtime's fastest operation took 2.900 µs"
    assert check.describe().startswith("UNREACHABLE Async operation latency 3.400 µs (needs < 1 µs): ")
    # Not a miss that anyone can fix, unless the run is strict.
    assert not check.missed() and check.missed(strict=True)


def test_a_miss_above_the_floor_is_a_fail() -> None:
    # The fastest operation met the ceiling, so the mean could have: a real miss.
    (check,) = check_row("async-op-latency", {"latency_mean_ns": 3_400.0, "latency_min_ns": 900.0}, DEFAULT_TARGETS)
    assert check.verdict == "FAIL" and check.missed()


def test_a_metric_not_measured_is_a_fail_not_a_pass() -> None:
    (check,) = check_row("throughput-stability", {"batch_throughput_cv": None}, DEFAULT_TARGETS)
    assert check.verdict == "FAIL" and check.note == "not measured" and check.missed()
    assert check.describe() == "FAIL Throughput CV under 0.1 not measured (needs < 0.1)"


def test_step_checks_apply_to_steps_and_targets_to_the_summary_row() -> None:
    parallel = {"parallel": True}
    step = check_row("worker-scaling.workers-4", {"efficiency": 0.45}, DEFAULT_TARGETS, parallel)
    summary = check_row("worker-scaling", {"efficiency_min": 0.72}, DEFAULT_TARGETS, parallel)
    assert [(c.metric, c.verdict) for c in step] == [("efficiency", "FAIL")]
    assert [(c.metric, c.verdict) for c in summary] == [("efficiency_min", "PASS")]


def test_scaling_efficiency_on_one_loop_is_not_applicable() -> None:
    on_one_loop = {"parallel": False}
    (step,) = check_row("worker-scaling.producers-4", {"efficiency": 0.25}, DEFAULT_TARGETS, on_one_loop)
    (summary,) = check_row("worker-scaling", {"efficiency_min": 0.2, "parallel": 0.0}, DEFAULT_TARGETS)
    for check in (step, summary):
        assert check.verdict == "N/A" and not check.missed() and check.missed(strict=True)
        assert check.note is not None and "1/N is expected" in check.note


@pytest.mark.parametrize(
    ("measured", "verdict"),
    [(150_000.0, "PASS"), (100_000.0, "FAIL"), (99_999.0, "FAIL")],
)
def test_a_strict_lower_bound_is_strict(measured: float, verdict: str) -> None:
    (check,) = check_row("spsc-throughput", {"throughput_ops_s": measured}, DEFAULT_TARGETS)
    assert check.verdict == verdict


@pytest.mark.parametrize(("leak", "verdict", "said"), [(0.0, "PASS", "no leak found"), (1.0, "FAIL", "a leak found")])
def test_the_leak_check_can_fail_and_says_what_it_found(leak: float, verdict: str, said: str) -> None:
    (check,) = check_row("memory-leak", {"leak": leak}, DEFAULT_TARGETS)
    assert check.verdict == verdict
    assert check.describe() == f"{verdict} No memory leak: {said} (needs none)"


def test_overrides_change_the_value_never_the_rule() -> None:
    (t,) = with_overrides([Target("a", "m", ">", 1.0, "A")], {"a.m": 5.0})
    assert (t.op, t.value) == (">", 5.0)
