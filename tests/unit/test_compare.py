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
    assert m.tested_on == "12/12 intervals"


def test_a_drop_within_the_threshold_is_no_regression_however_significant() -> None:
    slightly = [[v * 0.97 for v in rep] for rep in STEADY]
    m = throughput(compare(run(STEADY), run(slightly), Thresholds()))
    assert m.verdict == "ok" and m.p_value is not None and m.p_value < 0.001


def test_a_drop_past_the_threshold_within_the_noise_is_not_significant() -> None:
    noisy = [[1000.0, 400.0, 1600.0, 1000.0], [1500.0, 500.0, 900.0, 1100.0], [600.0, 1400.0, 1000.0, 1000.0]]
    lower = [[v * 0.9 for v in rep] for rep in noisy]
    m = throughput(compare(run(noisy), run(lower), Thresholds()))
    assert m.change == pytest.approx(-0.1)
    assert m.verdict == "not significant"


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


def test_too_few_samples_are_never_significant() -> None:
    # Three repetitions of one short interval each: one-sided Mann-Whitney U cannot go below p = 0.05.
    before = run([[1000.0], [1001.0], [999.0]])
    after = run([[500.0], [501.0], [499.0]])
    result = compare(before, after, Thresholds())
    m = throughput(result)
    assert m.tested_on == "3/3 repetitions" and m.verdict == "not significant"
    assert any("or a quieter machine decide" in line for line in format_comparison(result, "b", "t"))


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


def test_enough_repetitions_are_tested_as_the_independent_unit() -> None:
    # Within each run the intervals agree closely, but the runs themselves scatter: five fresh
    # processes each side whose spreads overlap are no evidence, however tight each run's intervals.
    base = [[1000.0 + r * 40 + i for i in range(4)] for r in range(5)]
    now = [[1000.0 + r * 40 - 60 + i for i in range(4)] for r in range(5)]
    m = throughput(compare(run(base), run(now), Thresholds(0.01, 0.01, 0.01)))
    assert m.tested_on == "5/5 repetitions"
    assert m.change is not None and m.change < -0.01
    assert m.verdict == "not significant"
    # With three runs a side the test falls back on the intervals, and the same kind of
    # run-to-run shift looks significant: why repetitions come first when there are enough.
    three = throughput(compare(run(base[:3]), run(now[:3]), Thresholds(0.01, 0.01, 0.01)))
    assert three.tested_on == "12/12 intervals" and three.verdict == "REGRESSION"


def test_a_rows_p_values_are_holm_adjusted_together() -> None:
    assert holm_adjusted([0.01, 0.04, None, 0.03]) == pytest.approx([0.03, 0.06, None, 0.06])  # type: ignore[list-item]
    # A same-code row whose latency alone came out at p = 0.048 of four tested metrics is no regression.
    assert holm_adjusted([0.048, 0.5, 0.4, 0.9])[0] == pytest.approx(0.192)
