"""Turning command-line options into checked run specs."""

from pathlib import Path

import pytest

from nimsync_tui.errors import ConfigError
from nimsync_tui.recording.names import find_log
from nimsync_tui.run.config import Overrides, RunOptions, RunSpec, plan_runs, select_scenarios
from nimsync_tui.scenarios import CATEGORIES, SCENARIOS


def test_defaults_are_the_suites() -> None:
    specs = plan_runs("*", Overrides())
    assert [s.scenario for s in specs] == list(SCENARIOS)
    for spec in specs:
        assert spec.params == SCENARIOS[spec.scenario].defaults
        assert spec.duration_s == SCENARIOS[spec.scenario].default_duration_s


def test_the_suites_timed_run_lasts_10_s_unless_given_a_count() -> None:
    (timed,) = plan_runs("throughput-stability", Overrides())
    assert timed.duration_s == 10.0 and timed.params.iterations is None
    (counted,) = plan_runs("throughput-stability", Overrides(iterations=5000))
    assert counted.duration_s is None and counted.params.iterations == 5000


def test_override_applies_only_where_the_parameter_exists() -> None:
    specs = {s.scenario: s for s in plan_runs("*", Overrides(producers=8, capacity=64))}
    assert specs["mpmc-throughput"].params.producers == 8
    assert specs["spsc-throughput"].params.producers == 1
    for name, spec in specs.items():
        tunable = "capacity" in SCENARIOS[name].tunable
        assert (spec.params.capacity == 64) == tunable, name
    # The suite fixes these: the steps' capacities, a memory round's, a sleep's (none).
    assert {n for n in specs if "capacity" not in SCENARIOS[n].tunable} == {
        "async-op-latency",
        "channel-memory",
        "memory-leak",
        "capacity-scaling",
    }


def test_duration_makes_the_measured_phase_continuous() -> None:
    (spec,) = plan_runs("spsc-*", Overrides(), duration_s=2.5)
    assert spec.duration_s == 2.5 and spec.params.iterations is None


def test_pattern_is_a_glob() -> None:
    assert [s.name for s in select_scenarios("*throughput")] == ["spsc-throughput", "mpmc-throughput"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # The suite's own command lines: a category selects its benchmarks...
        ("Scalability", ["worker-scaling", "capacity-scaling"]),
        ('"Scalability"', ["worker-scaling", "capacity-scaling"]),
        ("Memory", ["channel-memory", "memory-leak"]),
        ("statistical", ["latency-distribution", "throughput-stability"]),
        # ...as a substring of a name, category or title, case-insensitively...
        ("Throughput", ["spsc-throughput", "mpmc-throughput", "throughput-stability"]),
        ("leak detection", ["memory-leak"]),
        ("ASYNC", ["async-op-latency"]),
        # ...or as a glob over any of them.
        ("*-latency", ["pingpong-latency", "async-op-latency"]),
        ("Worker scaling*", ["worker-scaling"]),
        ("[ms]psc-*", ["spsc-throughput"]),
    ],
)
def test_pattern_matches_name_category_or_suite_title(pattern: str, expected: list[str]) -> None:
    assert [s.name for s in select_scenarios(pattern)] == expected


def test_every_scenario_has_a_suite_title_and_category() -> None:
    assert len(SCENARIOS) == 10
    assert {s.category for s in SCENARIOS.values()} == set(CATEGORIES)
    assert len({s.title for s in SCENARIOS.values()}) == 10


def test_options_reach_only_the_scenarios_that_have_them() -> None:
    specs = {s.scenario: s for s in plan_runs("*", Overrides(rate=2000.0, parallel=True, workers=3, iterations=10))}
    assert {n for n, s in specs.items() if s.params.rate == 2000.0} == {
        "pingpong-latency",
        "async-op-latency",
        "latency-distribution",
    }
    assert {n for n, s in specs.items() if s.params.parallel} == {"worker-scaling"}
    assert specs["worker-scaling"].params.workers == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pattern": "nope*"}, "no scenario matches 'nope*'; scenarios are: spsc-throughput"),
        ({"overrides": Overrides(capacity=-1)}, "--capacity must be an integer >= 0, got -1"),
        ({"overrides": Overrides(producers=0)}, "--producers must be an integer >= 1"),
        ({"overrides": Overrides(yield_every=0)}, "--yield-every must be an integer >= 1"),
        ({"overrides": Overrides(iterations=0)}, "--iterations must be an integer >= 1"),
        ({"overrides": Overrides(impl="asyncio")}, "--impl must be one of nimsync, trio"),
        ({"overrides": Overrides(capacity=0)}, "pingpong-latency needs --capacity >= 1"),
        ({"duration_s": -1.0}, "--duration must be a positive number"),
        ({"duration_s": float("nan")}, "--duration must be a positive number"),
        ({"interval_s": 0.001}, "--interval must be at least"),
        ({"duration_s": 1.0, "overrides": Overrides(iterations=5)}, "exclude each other"),
        ({"overrides": Overrides(rate=0.0)}, "--rate must be a positive number"),
        ({"overrides": Overrides(rate=float("inf"))}, "--rate must be a positive number"),
        ({"overrides": Overrides(workers=0)}, "--workers must be an integer >= 1"),
        ({"options": RunOptions(profile=True)}, "give --record DIR"),
        ({"options": RunOptions(pin_cpu=4096)}, "--pin-cpu must be one of the CPUs available"),
    ],
)
def test_bad_options_are_refused_with_an_actionable_message(kwargs: dict, message: str) -> None:
    args = {"pattern": "*", "overrides": Overrides(), **kwargs}
    pattern, overrides = args.pop("pattern"), args.pop("overrides")
    with pytest.raises(ConfigError) as info:
        plan_runs(pattern, overrides, **args)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_spec_crosses_to_the_runner_unchanged() -> None:
    options = RunOptions(pin_cpu=0, profile=True, trace=True, artifacts_dir="/tmp/x")
    for spec in plan_runs("*", Overrides(impl="trio", rate=100.0), duration_s=3.0, interval_s=0.25, options=options):
        assert RunSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"scenario": "spsc-throughput"}',
        '{"scenario": "x", "params": {}, "interval_s": 1, "duration_s": null}',
        '{"scenario": "spsc-throughput", "params": {"capacity": -5}, "interval_s": 1, "duration_s": null}',
        '{"scenario": "spsc-throughput", "params": {"bogus": 1}, "interval_s": 1, "duration_s": null}',
    ],
)
def test_malformed_spec_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        RunSpec.from_json(text)


def test_find_log_prefers_the_finished_log_and_falls_back_to_the_partial(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="holds no recording"):
        find_log(tmp_path)
    (tmp_path / "run.hlog.partial").write_text("")
    assert find_log(tmp_path).name == "run.hlog.partial"
    (tmp_path / "run.hlog").write_text("")
    assert find_log(tmp_path).name == "run.hlog"
    assert find_log(tmp_path / "run.hlog") == tmp_path / "run.hlog"
    with pytest.raises(ConfigError, match="no such file"):
        find_log(tmp_path / "missing.hlog")
