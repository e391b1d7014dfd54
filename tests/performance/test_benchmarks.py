"""The nimsync suite's ``test_benchmarks.nim``, test for test, run through ``nimsync-tui --record``.

One test per benchmark, under the suite's own test name and grouped as its
suites are. Most read one recording of every scenario made once for the module
(one command, as a user runs the suite); a test that needs other options (an
open loop, parallel workers, a duration) records its own. Each run is brief, in
real load processes, and the tests check
what holds however fast the machine is: counts, order, steps, histogram
totals against operations, every metric present. Speed itself is shown by
full runs (``nimsync-tui --performance``) and the scripts in ``benchmarks/``,
never asserted here.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nimsync_tui.core.hlog import read_hlog

# One worker runs the module: its module-scoped fixture is made once.
pytestmark = pytest.mark.xdist_group("benchmarks")

CLI = [sys.executable, "-m", "nimsync_tui"]
PATIENT = ("--timeout", "300")
"""The suite's 30 s timeout is for a quiet machine; on a busy one it must not fail a count."""

COMMON_METRICS = {
    "operations",
    "duration_s",
    "throughput_ops_s",
    "latency_samples",
    "latency_mean_ns",
    "latency_p50_ns",
    "latency_p95_ns",
    "latency_p99_ns",
    "latency_max_ns",
    "latency_stddev_ns",
    "cpu_percent",
    "peak_rss_bytes",
    "gc_collections",
    "gc_pause_total_s",
    "overhead_clock_pair_ns",
    "overhead_probe_ns",
    "overhead_floor_ns",
    "near_floor",
}


@dataclass
class Recording:
    rows: dict[str, dict[str, Any]]
    """results.json's rows by name, in order."""
    log_counts: dict[str, int]
    """Values per tag in run.hlog."""
    log_spans_s: dict[str, float]
    """Per tag in run.hlog, seconds from its first interval's start to its last one's end."""
    path: Path


def record(tmp_path: Path, pattern: str, *args: str) -> Recording:
    out = tmp_path / "rec"
    proc = subprocess.run(
        # The suite's 30 s timeout is for a quiet machine; here a busy one must not fail a count.
        [
            *CLI,
            "--record",
            str(out),
            "--pattern",
            pattern,
            "--interval",
            "0.1",
            "--repeat",
            "1",
            "--timeout",
            "300",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads((out / "results.json").read_text())["scenarios"]}
    counts: dict[str, int] = {}
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    for entry in read_hlog(out / "run.hlog"):
        counts[entry.tag] = counts.get(entry.tag, 0) + entry.histogram().get_total_count()
        starts.setdefault(entry.tag, entry.start_s)
        ends[entry.tag] = entry.start_s + entry.length_s
    for name, row in rows.items():
        assert (out / f"{name}.hgrm").exists(), name
        assert row["metrics"].keys() >= COMMON_METRICS, name
        assert row["metrics"]["operations"] == row["operations"]
        assert row["metrics"]["latency_samples"] == row["latency_ns"]["count"]
        if row["latency_ns"]["count"]:
            m = row["metrics"]
            assert m["latency_p50_ns"] <= m["latency_p95_ns"] <= m["latency_p99_ns"] <= m["latency_max_ns"]
        assert row["title"] and row["category"] and row["status"] == "completed"
    return Recording(rows, counts, {tag: ends[tag] - starts[tag] for tag in starts}, out)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """Every scenario with the same counts, recorded once (one command, one load process each)."""
    return record(tmp_path_factory.mktemp("suite"), "*", "--iterations", "5000", "--warmup", "500", "--workers", "4")


def step_rows(rec: Recording, scenario: str) -> list[dict[str, Any]]:
    return [r for r in rec.rows.values() if r["scenario"] == scenario and r["step"] is not None]


def check_log_matches_rows(rec: Recording) -> None:
    """Every measured tag's values in run.hlog are the row's histogram, and nothing else is there."""
    logged_rows = {n: r for n, r in rec.rows.items() if n in rec.log_counts}
    assert rec.log_counts == {n: r["latency_ns"]["count"] for n, r in logged_rows.items()}
    for name, row in rec.rows.items():
        if name not in rec.log_counts:  # a stepped scenario's summary: its steps merged
            steps = step_rows(rec, name)
            assert steps and row["latency_ns"]["count"] == sum(s["latency_ns"]["count"] for s in steps)
            assert row["operations"] == sum(s["operations"] for s in steps)


class TestThroughputBenchmarks:
    def test_spsc_channel_throughput(self, suite: Recording) -> None:
        row = suite.rows["spsc-throughput"]
        assert row["operations"] == 5000 and row["parameters"]["capacity"] == 1024
        assert row["latency_ns"]["count"] == math.ceil(5000 / 64)  # one item in 64, at a random place
        check_log_matches_rows(suite)

    def test_mpmc_channel_throughput(self, suite: Recording) -> None:
        row = suite.rows["mpmc-throughput"]
        assert row["operations"] == 5000
        assert (row["parameters"]["producers"], row["parameters"]["consumers"]) == (4, 4)
        # Whole batches of 64 are timed; each of the 4 consumers may end on a partial one.
        assert 5000 // 64 - 4 <= row["latency_ns"]["count"] <= 5000 // 64
        check_log_matches_rows(suite)


class TestLatencyBenchmarks:
    def test_channel_send_receive_latency(self, suite: Recording, tmp_path: Path) -> None:
        row = suite.rows["pingpong-latency"]
        assert row["parameters"]["capacity"] == 1
        assert row["operations"] == row["latency_ns"]["count"] == 5000  # every round trip
        check_log_matches_rows(suite)
        # Open loop: the same round trips on a schedule, timed twice.
        rec = record(tmp_path / "open", "pingpong-latency", "--iterations", "500", "--warmup", "100", "--rate", "5000")
        assert list(rec.rows) == ["pingpong-latency", "pingpong-latency.corrected"]
        service, corrected = rec.rows.values()
        assert service["latency_ns"]["count"] == corrected["latency_ns"]["count"] == 500
        assert service["metrics"]["rate_ops_s"] == corrected["metrics"]["rate_ops_s"] == 5000.0
        # Timed from an earlier moment, the corrected time is never the smaller.
        assert corrected["latency_ns"]["max"] >= service["latency_ns"]["max"]
        check_log_matches_rows(rec)

    def test_async_operation_latency(self, suite: Recording) -> None:
        row = suite.rows["async-op-latency"]
        assert row["operation"] == "sleep" and row["operations"] == row["latency_ns"]["count"] == 5000
        assert row["metrics"]["latency_mean_ns"] > 0  # the suite's target is on this figure
        check_log_matches_rows(suite)


class TestMemoryBenchmarks:
    def test_channel_memory_usage(self, suite: Recording) -> None:
        row = suite.rows["channel-memory"]
        assert row["operations"] == row["latency_ns"]["count"] == 3 * 5000  # int, str and object channels
        m = row["metrics"]
        for name in (
            "creation_overhead_bytes",
            "creation_bytes_capacity_10",
            "creation_bytes_capacity_1000",
            "creation_bytes_capacity_100000",
            "data_overhead_bytes",
            "per_item_bytes_int",
            "per_item_bytes_str",
            "per_item_bytes_object",
            "residual_bytes",
        ):
            assert isinstance(m[name], float) and math.isfinite(m[name]), name
        assert m["data_overhead_bytes"] > 0 and m["creation_overhead_bytes"] > 0
        check_log_matches_rows(suite)

    def test_memory_leak_detection(self, suite: Recording) -> None:
        rounds = step_rows(suite, "memory-leak")
        assert [r["name"] for r in rounds] == [f"memory-leak.round-{k}" for k in range(1, 6)]
        # The summary row follows its rounds.
        names = list(suite.rows)
        assert names.index("memory-leak") == names.index("memory-leak.round-5") + 1
        for r in rounds:
            assert r["operations"] == r["latency_ns"]["count"] == 1000  # 100 channels x 10 send/recv
            assert r["metrics"]["heap_bytes"] > 0
        summary = suite.rows["memory-leak"]
        assert summary["metrics"]["rounds"] == 5.0
        assert summary["metrics"]["leak"] in (0.0, 1.0)  # a verdict, whichever it is
        assert any(n.startswith("memory-leak verdict:") for n in summary["notes"])
        check_log_matches_rows(suite)


class TestScalabilityBenchmarks:
    def test_worker_scaling_efficiency(self, suite: Recording) -> None:
        steps = step_rows(suite, "worker-scaling")
        assert [s["name"] for s in steps] == [f"worker-scaling.producers-{n}" for n in (1, 2, 4)]
        for s, n in zip(steps, (1, 2, 4), strict=True):
            assert s["operations"] == n * 5000  # 5,000 items per producer
            assert s["metrics"]["workers"] == n and s["metrics"]["efficiency"] > 0
        assert steps[0]["metrics"]["efficiency"] == 1.0
        summary = suite.rows["worker-scaling"]
        assert summary["metrics"]["parallel"] == 0.0 and summary["metrics"]["efficiency_min"] > 0
        assert any("concurrency, not parallelism" in n for n in summary["notes"])
        check_log_matches_rows(suite)

    def test_worker_scaling_efficiency_in_parallel(self, tmp_path: Path) -> None:
        rec = record(
            tmp_path, "worker-scaling", "--iterations", "3000", "--warmup", "500", "--parallel", "--workers", "3"
        )
        steps = step_rows(rec, "worker-scaling")
        assert [s["name"] for s in steps] == [f"worker-scaling.workers-{n}" for n in (1, 2, 3)]
        cores = rec.rows["worker-scaling"]["metrics"]["cores"]
        for s, n in zip(steps, (1, 2, 3), strict=True):
            assert s["operations"] == n * 3000
            assert s["metrics"]["beyond_cores"] == (1.0 if n > cores else 0.0)
            # Timed by the workers' own clocks, their start-up left out.
            assert s["duration_s"] == s["metrics"]["load_duration_s"] > 0
            assert s["throughput_ops_s"] == pytest.approx(s["operations"] / s["duration_s"])
        assert rec.rows["worker-scaling"]["metrics"]["parallel"] == 1.0
        check_log_matches_rows(rec)

    def test_worker_scaling_efficiency_in_parallel_for_a_time(self, tmp_path: Path) -> None:
        rec = record(tmp_path, "worker-scaling", "--duration", "2.5", "--warmup", "500", "--parallel", "--workers", "2")
        steps = step_rows(rec, "worker-scaling")
        assert [s["name"] for s in steps] == ["worker-scaling.workers-1", "worker-scaling.workers-2"]
        for s in steps:
            # Stopped when the step's time was up, the workers still report what they did;
            # the step's time in the log counts their start-up, their duration only their load.
            assert s["operations"] > 0 and s["latency_ns"]["count"] > 0
            assert 0 < s["duration_s"] <= rec.log_spans_s[s["name"]] + 0.002  # the log's times are to 1 ms
            assert s["parameters"]["iterations"] is None
        check_log_matches_rows(rec)

    def test_channel_capacity_scaling(self, suite: Recording) -> None:
        steps = step_rows(suite, "capacity-scaling")
        capacities = [1, 10, 100, 1000, 10000]
        assert [s["name"] for s in steps] == [f"capacity-scaling.capacity-{c}" for c in capacities]
        for s, c in zip(steps, capacities, strict=True):
            assert s["parameters"]["capacity"] == c and s["operations"] == 5000
            assert s["latency_ns"]["count"] == math.ceil(5000 / 64)
            assert s["metrics"]["throughput_ops_s"] > 0
        check_log_matches_rows(suite)


class TestStatisticalAnalysis:
    def test_latency_distribution(self, suite: Recording) -> None:
        row = suite.rows["latency-distribution"]
        assert row["parameters"]["capacity"] == 100
        assert row["operations"] == row["latency_ns"]["count"] == 5000
        m = row["metrics"]
        assert m["stddev_over_mean"] == pytest.approx(m["latency_stddev_ns"] / m["latency_mean_ns"])
        check_log_matches_rows(suite)

    def test_throughput_stability(self, tmp_path: Path) -> None:
        rec = record(tmp_path, "throughput-stability", "--duration", "1", "--warmup", "1000")
        (row,) = rec.rows.values()
        m = row["metrics"]
        assert m["batches"] >= 3 and row["operations"] == m["batches"] * 1000  # only whole batches count
        assert row["latency_ns"]["count"] == m["batches"]  # each batch timed
        assert m["batch_throughput_cv"] == pytest.approx(
            m["batch_throughput_stddev_ops_s"] / m["batch_throughput_mean_ops_s"]
        )
        assert row["parameters"]["iterations"] is None and 0.9 <= row["duration_s"] <= 5
        check_log_matches_rows(rec)
