"""BenchmarkConfig from TOML and the command line: unknown keys and wrong types are one line."""

from pathlib import Path

import pytest

from nimsync_tui.cli import benchmark_config, build_parser, planned_runs
from nimsync_tui.errors import ConfigError, ExitStatus
from nimsync_tui.run.config import RunSpec
from nimsync_tui.run.record import TimeLimit, scenario_limit
from nimsync_tui.suite.benchmark_config import BenchmarkConfig, Thresholds, load_config


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_are_the_suites(tmp_path: Path) -> None:
    config = load_config(None, tmp_path)
    assert config == BenchmarkConfig()
    # No timeout of its own: the runner's default (30 s, past any --duration) applies.
    assert (config.measurement_iterations, config.timeout_s, config.parallel) == (3, None, False)
    assert config.thresholds == Thresholds(throughput=0.05, latency=0.10, memory=0.15)


def test_a_config_file_sets_every_key(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bench.toml",
        """
iterations = 5000
warmup_iterations = 100
measurement_iterations = 5
timeout = 12.5
parallel = true
workers = 4
[targets]
spsc-throughput.throughput_ops_s = 150000
"worker-scaling.*".efficiency = 0.4
[thresholds]
latency = 0.2
""",
    )
    config = load_config(path, tmp_path)
    assert (config.iterations, config.warmup_iterations, config.measurement_iterations) == (5000, 100, 5)
    assert (config.timeout_s, config.parallel, config.workers) == (12.5, True, 4)
    targets = {t.key: t.value for t in config.targets}
    assert targets["spsc-throughput.throughput_ops_s"] == 150_000
    assert targets["worker-scaling.*.efficiency"] == 0.4
    assert targets["mpmc-throughput.throughput_ops_s"] == 50_000
    assert config.thresholds == Thresholds(throughput=0.05, latency=0.2, memory=0.15)


def test_the_working_directorys_pyproject_table_is_read(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n[tool.nimsync-tui]\nmeasurement_iterations = 7\n')
    assert load_config(None, tmp_path).measurement_iterations == 7
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_config(None, tmp_path) == BenchmarkConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repeat = 3", "unknown key 'repeat'; keys are: iterations, warmup_iterations"),
        ("timeout = 'soon'", "timeout must be a number, got 'soon'"),
        ("timeout = 0", "timeout must be a positive number"),
        ("measurement_iterations = 0", "measurement_iterations must be an integer >= 1, got 0"),
        ("measurement_iterations = true", "measurement_iterations must be an integer >= 1, got True"),
        ("iterations = 2.5", "iterations must be an integer >= 1, got 2.5"),
        ("parallel = 1", "parallel must be true or false, got 1"),
        ("targets = 3", "targets must be a table"),
        ("[targets]\nspsc-throughput.throughput = 1", "unknown target 'spsc-throughput.throughput'"),
        ("[targets]\nspsc-throughput.throughput_ops_s = 'fast'", "must be a number, got 'fast'"),
        ("[thresholds]\ncpu = 0.1", "unknown key 'thresholds.cpu'; keys are: throughput, latency, memory"),
        ("[thresholds]\nmemory = -0.1", "thresholds.memory must be a non-negative number"),
        ("timeout = ", "is not valid TOML"),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bench.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path, tmp_path)
    assert message in str(info.value)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_status == ExitStatus.USAGE


def test_a_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml", tmp_path)


def test_the_command_line_wins_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bench.toml", "measurement_iterations = 5\ntimeout = 9\n[thresholds]\nlatency = 0.3\n")
    args = build_parser().parse_args(["--config", str(path), "--repeat", "2", "--regression-threshold", "0.01"])
    config = benchmark_config(args, tmp_path)
    assert (config.measurement_iterations, config.timeout_s) == (2, 9.0)
    assert config.thresholds == Thresholds(0.01, 0.01, 0.01)


def test_the_config_reaches_every_run_spec(tmp_path: Path) -> None:
    path = write(tmp_path / "bench.toml", "iterations = 777\nwarmup_iterations = 7\ntimeout = 9\n")
    args = build_parser().parse_args(["--config", str(path), "--pattern", "pingpong-latency"])
    config = benchmark_config(args, tmp_path)
    (spec,) = planned_runs(args, config)
    assert (spec.params.iterations, spec.params.warmup) == (777, 7)
    assert scenario_limit(config.timeout_s, args.duration) == TimeLimit(total_s=9.0)
    assert RunSpec.from_json(spec.to_json()) == spec
    # --timeout wins; --duration makes the run continuous whatever the file's count.
    args = build_parser().parse_args(["--config", str(path), "--timeout", "4", "--duration", "1", "--pattern", "p*"])
    config = benchmark_config(args, tmp_path)
    (spec,) = planned_runs(args, config)
    assert (spec.params.iterations, spec.duration_s) == (None, 1.0)
    assert scenario_limit(config.timeout_s, args.duration) == TimeLimit(total_s=4.0)
