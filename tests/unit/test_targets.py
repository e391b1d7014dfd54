"""Targets and checks: every one that applies is judged, none is ever lowered to pass."""

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
    assert checks[1].describe() == "FAIL P99 Latency: 150.000 µs < 100.000 µs"


def test_a_target_below_the_runtimes_floor_fails_and_says_so() -> None:
    metrics = {"latency_mean_ns": 3_400.0, "latency_min_ns": 2_900.0}
    (check,) = check_row("async-op-latency", metrics, DEFAULT_TARGETS)
    assert not check.passed
    assert check.note == "unreachable on this runtime: its fastest operation took 2.900 µs"


def test_a_metric_not_measured_is_a_fail_not_a_pass() -> None:
    (check,) = check_row("throughput-stability", {"batch_throughput_cv": None}, DEFAULT_TARGETS)
    assert check.verdict == "FAIL" and check.note == "not measured"


def test_step_checks_apply_to_steps_and_targets_to_the_summary_row() -> None:
    step = check_row("worker-scaling.producers-4", {"efficiency": 0.45}, DEFAULT_TARGETS)
    summary = check_row("worker-scaling", {"efficiency_min": 0.72}, DEFAULT_TARGETS)
    assert [(c.metric, c.passed) for c in step] == [("efficiency", False)]
    assert [(c.metric, c.passed) for c in summary] == [("efficiency_min", True)]


def test_overrides_change_the_value_never_the_rule() -> None:
    (t,) = with_overrides([Target("a", "m", ">", 1.0, "A")], {"a.m": 5.0})
    assert (t.op, t.value) == (">", 5.0)
