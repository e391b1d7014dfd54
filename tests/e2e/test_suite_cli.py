"""The suite's runner as a user runs it: exit statuses 0, 2, 3 and 4, and what each run writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "nimsync_tui"]
QUICK = ["--pattern:pingpong-latency", "--iterations", "3000", "--warmup", "300", "--repeat", "2"]
# Long enough for several full intervals per repetition: the significance test needs samples.
# A target no latency can miss: above the largest value a histogram holds (2**42 - 1 ns). A test of the verdict's
# plumbing must not hang on how fast this (shared, loaded) machine runs ping-pong.
UNMISSABLE_NS = 1e13
SAMPLED = ["--pattern", "pingpong-latency", "--duration", "0.4", "--interval", "0.05", "--warmup", "300"]


def nimsync(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=180, cwd=cwd)


def unmissable(tmp_path: Path, mean_ns: float = UNMISSABLE_NS) -> Path:
    """A config file whose pingpong-latency targets pass at any speed, unless ``mean_ns`` says otherwise."""
    config = tmp_path.parent / f"{tmp_path.name}-targets.toml"  # outside the directory the tests list
    targets = {"latency_mean_ns": mean_ns, "latency_p99_ns": UNMISSABLE_NS}
    config.write_text("[targets]\n" + "".join(f"pingpong-latency.{k} = {v!r}\n" for k, v in targets.items()))
    return config


def test_performance_alone_runs_headless_prints_the_targets_and_writes_nothing(tmp_path: Path) -> None:
    proc = nimsync("--performance", "--config", unmissable(tmp_path), *QUICK, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pingpong-latency    6,000 round trips in " in proc.stdout
    assert "PASS Average Latency " in proc.stdout and "PASS P99 Latency " in proc.stdout
    assert "targets and checks: 2 of 2 passed" in proc.stdout
    assert "rep 2/2 pingpong-latency" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_target_states_the_floor_and_misses_only_when_strict(tmp_path: Path) -> None:
    config = unmissable(tmp_path, mean_ns=1)
    proc = nimsync("--performance", "--config", config, *QUICK, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(
        r"UNREACHABLE Average Latency [\d.]+ µs \(needs < 0\.001 µs\): this runtime's fastest", proc.stdout
    )
    assert "targets and checks: 1 of 2 passed, 1 unreachable here (all reachable ones passed)" in proc.stdout
    strict = nimsync("--performance", "--strict-targets", "--config", config, *QUICK, cwd=tmp_path)
    assert strict.returncode == 3, strict.stderr
    assert "(1 missed, --strict-targets counts unreachable and n/a)" in strict.stdout


def test_a_real_miss_exits_3_with_performance_only(tmp_path: Path) -> None:
    config = tmp_path / "fast.toml"
    config.write_text("[targets]\nspsc-throughput.throughput_ops_s = 1e12\n")
    quick = ["--pattern", "spsc-throughput", "--iterations", "3000", "--warmup", "300", "--repeat", "1"]
    proc = nimsync("--performance", "--config", config, *quick, cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert re.search(r"FAIL SPSC Throughput [\d,]+ ops/s \(needs > 1,000,000,000,000 ops/s\)", proc.stdout)
    assert "targets and checks: 0 of 1 passed (1 missed)" in proc.stdout
    # Without --performance the verdicts are shown but do not decide the exit status.
    assert nimsync("--config", config, *quick, cwd=tmp_path).returncode == 0


def test_a_regression_against_a_baseline_exits_4(tmp_path: Path) -> None:
    saved = nimsync("--baseline:base.json", "--repeat", "3", *SAMPLED, cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    assert "baseline saved to base.json" in saved.stdout
    doc = json.loads((tmp_path / "base.json").read_text())
    row = doc["scenarios"]["pingpong-latency"]
    assert doc["schema_version"] == 1
    assert {"cpu_model", "cores", "governor", "load_at_start"} <= doc["environment"].keys()
    assert len(row["repetitions"]) == 3 and row["parameters"]["capacity"] == 1
    # A baseline ten times faster than this code: every throughput figure and sample scaled up.
    row["metrics"]["throughput_ops_s"] *= 10
    for rep in row["repetitions"]:
        rep["metrics"]["throughput_ops_s"] *= 10
        rep["samples"]["throughput_ops_s"] = [v * 10 for v in rep["samples"]["throughput_ops_s"]]
    (tmp_path / "fast.json").write_text(json.dumps(doc))

    proc = nimsync(
        "--compare", "fast.json", "--repeat", "3", "--stats", "--output", "stats.json", *SAMPLED, cwd=tmp_path
    )
    assert proc.returncode == 4, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if "throughput_ops_s" in ln)
    assert "pingpong-latency" in line and "-5%" in line and line.endswith("REGRESSION")
    change = float(re.search(r" ([-+][\d.]+)% ", line)[1])  # type: ignore[index]
    assert -99 < change < -50  # a tenth of the rate, give or take a loaded machine's noise
    assert " 3/3 repetitions " in line
    # (The latency of this loaded machine may move too; the throughput regression must be listed.)
    assert re.search(r"regression\(s\): .*pingpong-latency throughput_ops_s", proc.stdout)
    stats = json.loads((tmp_path / "stats.json").read_text())
    (row_stats,) = stats["scenarios"]
    assert len(row_stats["repetitions"]) == 3 and row_stats["analysis"]["repetitions"] == 3
    assert {m["verdict"] for m in stats["comparison"]["metrics"] if m["metric"] == "throughput_ops_s"} == {"REGRESSION"}
    # --regression-threshold past the change: not a regression any more.
    relaxed = nimsync("--compare:fast.json", "--regression-threshold:0.999", "--repeat", "3", *SAMPLED, cwd=tmp_path)
    line = next(ln for ln in relaxed.stdout.splitlines() if "throughput_ops_s" in ln)
    assert "-99.9%" in line and line.endswith(" ok"), relaxed.stdout


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({"b.json": '{"schema": "nimsync-tui/baseline", "sch'}, ["--compare", "b.json"], "not valid JSON"),
        ({"b.json": ""}, ["--compare", "b.json"], "is empty"),
        ({}, ["--compare", "b.json"], "no baseline at b.json"),
        (
            {"b.json": '{"schema": "nimsync-tui/baseline", "schema_version": 0}'},
            ["--compare", "b.json"],
            "schema version 0",
        ),
        ({"c.toml": "repetitions = 3"}, ["--config", "c.toml"], "unknown key 'repetitions'"),
        ({"pyproject.toml": "[tool.nimsync-tui]\ntimeout = -1"}, [], "timeout must be a positive number"),
        ({}, ["--baseline", "missing/b.json"], "--baseline missing/b.json: the directory missing does not exist"),
        ({}, ["--repeat", "0"], "argument --repeat: invalid positive integer value: '0'"),
        ({}, ["--regression-threshold:-1"], "invalid non-negative fraction"),
    ],
)
def test_bad_config_or_baseline_is_one_line_exit_2_and_nothing_runs(
    tmp_path: Path, files: dict[str, str], args: list[str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    proc = nimsync("--performance", *args, *QUICK, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert message in line
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)


def test_a_recording_holds_every_repetition(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    proc = nimsync("--record", out, "--config", unmissable(tmp_path), *QUICK, "--interval", "0.1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads((out / "results.json").read_text())["scenarios"]
    assert row["operations"] == 6000 and row["latency_ns"]["count"] == 6000
    assert [r["operations"] for r in row["repetitions"]] == [3000, 3000]
    assert row["analysis"]["repetitions"] == 2 and row["analysis"]["throughput_ci_low_ops_s"] is not None
    assert [(t["metric"], t["verdict"]) for t in row["targets"]] == [
        ("latency_mean_ns", "PASS"),
        ("latency_p99_ns", "PASS"),
    ]
    assert {t["target"] for t in row["targets"]} == {UNMISSABLE_NS}  # the config's targets, not the suite's
    assert row["metrics"]["latency_p99_ns"] == row["latency_ns"]["p99"]
    # The .hgrm is the two repetitions merged.
    assert "Total count    =         6000]" in (out / "pingpong-latency.hgrm").read_text()
