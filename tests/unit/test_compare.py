"""Baselines and compares: a regression is past its threshold AND significant; bad files are one line."""

import json
from pathlib import Path

import pytest

from nimsync_tui.errors import ExitStatus
from nimsync_tui.suite.baseline import (
    SCHEMA_VERSION,
    BaselineError,
    BaselineFigures,
    RepetitionFigures,
    RowFigures,
    load_baseline,
)
from nimsync_tui.suite.benchmark_config import Thresholds
from nimsync_tui.suite.compare import compare, format_comparison, holm_adjusted

ENV = {"python": "3.11.7", "trio": "0.35.0", "cpu_model": "Xeon", "cores": 2, "governor": None, "load_at_start": [0.5]}
OURS = {"impl": "nimsync", "capacity": 1024, "yield_every": 128}


def run(
    throughputs: list[list[float]], *, params: dict | None = None, env: dict | None = None, rss: float = 5e7
) -> BaselineFigures:
    """A run of one row whose repetitions had these per-interval throughputs."""
    reps = tuple(
        RepetitionFigures(
            metrics={"throughput_ops_s": sum(t) / len(t), "peak_rss_bytes": rss},
            samples={"throughput_ops_s": t, "peak_rss_bytes": [rss] * len(t)},
        )
        for t in throughputs
    )
    mean = sum(r.metrics["throughput_ops_s"] or 0.0 for r in reps) / len(reps)
    row = RowFigures(dict(params or OURS), {"throughput_ops_s": mean, "peak_rss_bytes": rss}, reps)
    return BaselineFigures(
        "2026-11-28T12:00:00+00:00", dict(env or ENV), {"repeat": len(reps)}, {"spsc-throughput": row}
    )


STEADY = [[1000.0, 1010.0, 990.0, 1005.0], [995.0, 1000.0, 1008.0, 992.0], [1003.0, 997.0, 1001.0, 999.0]]


def throughput(comparison):  # type: ignore[no-untyped-def]
    return next(m for m in comparison.metrics if m.metric == "throughput_ops_s")


def test_the_same_figures_are_no_regression() -> None:
    result = compare(run(STEADY), run(STEADY), Thresholds())
    assert throughput(result).verdict == "ok" and not result.regressions
    assert result.warning is None and result.checkpoint_rules is None


def test_a_significant_drop_past_the_threshold_is_a_regression() -> None:
    slower = [[v * 0.8 for v in rep] for rep in STEADY]
    m = throughput(compare(run(STEADY), run(slower), Thresholds()))
    assert m.verdict == "REGRESSION"
    assert m.change == pytest.approx(-0.2)
    assert m.p_value is not None and m.p_value < 0.001
    assert m.tested_on == "3/3 repetitions"


def test_a_drop_within_the_threshold_is_no_regression_however_consistent() -> None:
    slightly = [[v * 0.97 for v in rep] for rep in STEADY]
    m = throughput(compare(run(STEADY), run(slightly), Thresholds()))
    assert m.verdict == "ok"


def test_a_change_of_exactly_the_threshold_is_ok() -> None:
    # -5 % exactly, in every repetition: on the line is within it, never "past the threshold".
    before = run([[1000.0], [1000.0], [1000.0]])
    after = run([[950.0], [950.0], [950.0]])
    m = throughput(compare(before, after, Thresholds()))
    assert m.change == pytest.approx(-0.05) and m.verdict == "ok"
    assert throughput(compare(before, run([[949.0], [949.0], [949.0]]), Thresholds())).verdict == "REGRESSION"


def test_a_drop_past_the_threshold_within_the_noise_is_not_decided() -> None:
    noisy = [[1000.0], [400.0], [1600.0]]
    lower = [[900.0], [360.0], [1440.0]]
    m = throughput(compare(run(noisy), run(lower), Thresholds()))
    assert m.change == pytest.approx(-0.1)
    assert m.verdict in ("not significant", "cannot decide")


def test_one_threshold_for_all_moves_the_line() -> None:
    slower = [[v * 0.8 for v in rep] for rep in STEADY]
    assert throughput(compare(run(STEADY), run(slower), Thresholds(0.25, 0.25, 0.25))).verdict == "ok"


def test_a_rise_in_throughput_is_an_improvement() -> None:
    faster = [[v * 1.5 for v in rep] for rep in STEADY]
    assert throughput(compare(run(STEADY), run(faster), Thresholds())).verdict == "improved"


def test_more_memory_past_its_threshold_is_a_regression() -> None:
    before = run(STEADY)
    rss = next(m for m in compare(before, run(STEADY, rss=7e7), Thresholds()).metrics if m.metric == "peak_rss_bytes")
    assert rss.verdict == "REGRESSION" and rss.threshold == 0.15


def latency_run(means: list[float], *, throughputs: list[float] | None = None) -> BaselineFigures:
    """A ping-pong row whose repetitions had these mean latencies (and throughputs, else their inverse)."""
    rates = throughputs or [1e9 / m for m in means]
    reps = tuple(
        RepetitionFigures(metrics={"latency_mean_ns": m, "throughput_ops_s": t}, samples={})
        for m, t in zip(means, rates, strict=True)
    )
    combined = {"latency_mean_ns": sum(means) / len(means), "throughput_ops_s": sum(rates) / len(rates)}
    row = RowFigures(dict(OURS), combined, reps)
    return BaselineFigures("2026-11-28T12:00:00+00:00", dict(ENV), {"repeat": len(reps)}, {"pingpong-latency": row})


# Per-repetition figures with the spread this busy 2-core machine shows (about 10 % a repetition).
SPREAD = [1.0, 1.12, 0.9, 1.05, 0.95, 1.1, 0.92, 1.0, 1.08, 0.97]


@pytest.mark.parametrize("repeat", range(3, 11))
def test_twice_the_latency_in_every_repetition_is_a_regression_at_any_repeat(repeat: int) -> None:
    base = [10_000 * f for f in SPREAD[:repeat]]
    now = [20_000 * f for f in reversed(SPREAD[:repeat])]
    result = compare(latency_run(base), latency_run(now), Thresholds())
    by_metric = {m.metric: m for m in result.metrics}
    # The latency rise is a regression, never read as an improvement; throughput halved with it.
    assert by_metric["latency_mean_ns"].verdict == "REGRESSION"
    assert by_metric["throughput_ops_s"].verdict == "REGRESSION"
    # And the other way round: half the latency is an improvement.
    better = {m.metric: m.verdict for m in compare(latency_run(now), latency_run(base), Thresholds()).metrics}
    assert better == {"latency_mean_ns": "improved", "throughput_ops_s": "improved"}


@pytest.mark.parametrize("repeat", range(3, 11))
def test_half_the_throughput_in_every_repetition_is_a_regression_at_any_repeat(repeat: int) -> None:
    base = [100_000 * f for f in SPREAD[:repeat]]
    now = [50_000 * f for f in reversed(SPREAD[:repeat])]
    steady = [5_000.0] * repeat  # the latency did not move: only throughput speaks
    result = compare(latency_run(steady, throughputs=base), latency_run(steady, throughputs=now), Thresholds())
    assert [m.verdict for m in result.metrics if m.metric == "throughput_ops_s"] == ["REGRESSION"]
    assert result.regressions and all(m.metric == "throughput_ops_s" for m in result.regressions)


def test_one_repetition_a_side_cannot_decide_and_says_what_would() -> None:
    # No spread to weigh the change against, however large: say so, never call it a regression or noise.
    result = compare(latency_run([10_000.0]), latency_run([40_000.0]), Thresholds())
    latency = next(m for m in result.metrics if m.metric == "latency_mean_ns")
    assert latency.verdict == "cannot decide" and latency.p_value is None
    lines = format_comparison(result, "b", "t")
    assert any(line.strip().startswith("cannot decide: 1 repetition(s) a side") for line in lines)
    assert any("use --repeat 3" in line for line in lines)


def test_two_repetitions_a_side_are_enough_to_test_a_large_consistent_change() -> None:
    # The switch point: from MIN_REPETITIONS (2) a side the repetitions are tested.
    m = next(
        m
        for m in compare(latency_run([10_000.0, 10_100.0]), latency_run([40_000.0, 40_300.0]), Thresholds()).metrics
        if m.metric == "latency_mean_ns"
    )
    assert m.tested_on == "2/2 repetitions" and m.p_value is not None and m.verdict == "REGRESSION"


def test_an_undecided_change_names_the_repetitions_that_would_decide() -> None:
    base = [10_000.0, 12_500.0, 8_000.0]
    now = [14_000.0, 17_500.0, 11_200.0]  # +40 % in every repetition, with a 25 % spread
    result = compare(latency_run(base), latency_run(now), Thresholds())
    latency = next(m for m in result.metrics if m.metric == "latency_mean_ns")
    assert latency.verdict == "cannot decide" and latency.needed_repetitions is not None
    assert latency.needed_repetitions > 3
    line = next(line for line in format_comparison(result, "b", "t") if "cannot reach" in line)
    assert line.strip().startswith("cannot decide: 3 repetitions cannot reach p < 0.05 for")
    assert line.endswith(f"use --repeat {latency.needed_repetitions} on both sides")


def test_different_environment_and_parameters_warn_in_one_line() -> None:
    trio = {"impl": "trio", "capacity": 1024}
    result = compare(run(STEADY), run(STEADY, params=trio, env={**ENV, "cpu_model": "EPYC"}), Thresholds())
    assert result.warning is not None and "\n" not in result.warning
    assert "cpu_model: Xeon -> EPYC" in result.warning
    assert "spsc-throughput impl: nimsync -> trio" in result.warning
    assert "load at start" not in result.warning  # 0.5 both times
    busier = compare(run(STEADY), run(STEADY, env={**ENV, "load_at_start": [2.5]}), Thresholds())
    assert busier.warning is not None and "load at start: 0.50 -> 2.50" in busier.warning


def test_comparing_two_implementations_names_each_sides_checkpoint_rule() -> None:
    result = compare(run(STEADY), run(STEADY, params={"impl": "trio", "capacity": 1024}), Thresholds())
    assert result.checkpoint_rules is not None
    before, now = result.checkpoint_rules
    assert "every 128th operation" in before and "Trio's rule" in now
    lines = format_comparison(result, "base.json", "yesterday")
    assert any("every 128th operation" in line for line in lines)
    assert any("trio: a checkpoint on every operation" in line for line in lines)


def test_a_baseline_survives_the_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    run(STEADY).save(path)
    assert load_baseline(path) == run(STEADY)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no baseline at"),
        ("", "is empty"),
        ("   \n", "is empty"),
        ('{"schema": "nimsync-tui/baseline", "schema_ver', "is not valid JSON (truncated or corrupt?)"),
        ("\x00\x01garbage", "is not valid JSON"),
        ('{"schema": "nimsync-tui/baseline", "schema_version": 99}', "schema version 99; this nimsync-tui reads"),
        ('{"schema": "something-else"}', "its schema is 'something-else'"),
        # A recording's results.json given for a baseline: no Python None in the message.
        (
            '{"tool": "nimsync-tui", "scenarios": []}',
            "is not a usable baseline: it names no schema; a baseline's is 'nimsync-tui/baseline' "
            "(write one with --baseline FILE)",
        ),
        ("[1, 2]", "the document must be an object"),
    ],
)
def test_an_unusable_baseline_is_one_line_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError) as info:
        load_baseline(path)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_status == ExitStatus.USAGE


def test_a_baseline_with_a_wrong_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    run(STEADY).save(path)
    doc = json.loads(path.read_text())
    assert doc["schema_version"] == SCHEMA_VERSION
    doc["scenarios"]["spsc-throughput"]["repetitions"][0]["samples"]["throughput_ops_s"] = ["fast"]
    path.write_text(json.dumps(doc))
    with pytest.raises(BaselineError, match=r"samples.throughput_ops_s must be a list of numbers"):
        load_baseline(path)


def test_a_rows_p_values_are_holm_adjusted_together() -> None:
    assert holm_adjusted([0.01, 0.04, None, 0.03]) == pytest.approx([0.03, 0.06, None, 0.06])  # type: ignore[list-item]
    # A same-code row whose latency alone came out at p = 0.048 of four tested metrics is no regression.
    assert holm_adjusted([0.048, 0.5, 0.4, 0.9])[0] == pytest.approx(0.192)


def test_the_verdicts_use_the_holm_adjusted_p_values() -> None:
    base = [10_000.0, 11_000.0, 9_000.0]
    now = [13_500.0, 12_500.0, 16_000.0]  # +36 %, a spread of 10-15 %
    alone = compare(
        BaselineFigures(
            "t", ENV, {}, {"r": RowFigures({}, {"latency_mean_ns": 10_000.0}, _reps("latency_mean_ns", base))}
        ),
        BaselineFigures(
            "t", ENV, {}, {"r": RowFigures({}, {"latency_mean_ns": 14_000.0}, _reps("latency_mean_ns", now))}
        ),
        Thresholds(),
    )
    (single,) = alone.metrics
    assert single.p_value is not None and 0.025 < single.p_value < 0.05 and single.verdict == "REGRESSION"
    # Tested beside a throughput that did not move (p = 1), the smallest p of two is doubled: past 0.05.
    flat = [1000.0] * 3
    both = compare(latency_run(base, throughputs=flat), latency_run(now, throughputs=flat), Thresholds())
    latency = next(m for m in both.metrics if m.metric == "latency_mean_ns")
    assert latency.p_value == pytest.approx(2 * single.p_value)
    assert latency.verdict != "REGRESSION" and not both.regressions


def _reps(metric: str, values: list[float]) -> tuple[RepetitionFigures, ...]:
    return tuple(RepetitionFigures({metric: v}, {}) for v in values)


def test_a_whole_suite_compare_lists_changed_and_undecided_rows_first() -> None:
    quiet = [1000.0, 1000.0, 1000.0]
    rows_before = {
        f"row-{i}": RowFigures({}, {"throughput_ops_s": 1000.0}, _reps("throughput_ops_s", quiet)) for i in range(5)
    }
    rows_now = dict(rows_before)
    rows_now["row-3"] = RowFigures({}, {"throughput_ops_s": 400.0}, _reps("throughput_ops_s", [400.0, 410.0, 390.0]))
    result = compare(BaselineFigures("t", ENV, {}, rows_before), BaselineFigures("t", ENV, {}, rows_now), Thresholds())
    table = [line.split()[0] for line in format_comparison(result, "b", "t")[2:7]]
    assert table == ["row-3", "row-0", "row-1", "row-2", "row-4"]
    only = format_comparison(result, "b", "t", only_changes=True)
    assert [line.split()[0] for line in only[2:3]] == ["row-3"]
    assert not any(line.strip().startswith("row-0") for line in only)
    assert any("4 metric(s) within their thresholds not shown" in line for line in only)


def _run_with_cpu(rates: list[float], shares: list[float]) -> BaselineFigures:
    reps = tuple(
        RepetitionFigures({"throughput_ops_s": r, "cpu_percent": s * 100}, {})
        for r, s in zip(rates, shares, strict=True)
    )
    row = RowFigures({}, {"throughput_ops_s": sum(rates) / len(rates)}, reps)
    return BaselineFigures("t", ENV, {}, {"spsc-throughput": row})


def test_a_drop_the_loads_share_of_a_core_explains_cannot_be_decided() -> None:
    # Half the rate on half the CPU: the machine was busier, the code did the same work per CPU-second.
    before = _run_with_cpu([1000.0, 1010.0, 990.0], [0.50, 0.51, 0.49])
    busier = _run_with_cpu([500.0, 505.0, 495.0], [0.25, 0.255, 0.245])
    result = compare(before, busier, Thresholds())
    m = throughput(result)
    assert m.p_value is not None and m.p_value < 0.05  # the wall clock alone would call it a regression
    assert m.verdict == "cannot decide" and m.machine_may_explain and not result.regressions
    line = next(line for line in format_comparison(result, "b", "t") if "per CPU-second" in line)
    assert "which got 50% of a core in the baseline and 25% now" in line
    # Half the rate on the same CPU share is the code: a regression.
    slower = _run_with_cpu([500.0, 505.0, 495.0], [0.50, 0.51, 0.49])
    assert throughput(compare(before, slower, Thresholds())).verdict == "REGRESSION"
