"""Faults during a recording, each injected for real; what the user is left with.

The load process killed, the recorder killed, a scenario that raises, prints
or hangs, a run past its timeout, a disk that fills up.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
from pathlib import Path

import pytest
from hdrh.log import HistogramLogReader

from nimsync_tui.core.histogram import new_histogram
from nimsync_tui.core.hlog import read_hlog
from nimsync_tui.core.protocol import IntervalRecord, RunStarted, event_json
from nimsync_tui.recording.directory import OutputDir
from nimsync_tui.run import process
from nimsync_tui.run.config import Overrides, RunSpec, plan_runs
from nimsync_tui.run.record import Recorder, TimeLimit
from nimsync_tui.scenarios import Params

from ..java_reference import java_percentile_distribution
from .fault_helpers import THREE, Running, env, error_lines, gone, nimsync, results


def reference_counts(log: Path) -> int:
    """Total count of every interval HdrHistogram_py reads from ``log`` (it raises on a bad line)."""
    reader = HistogramLogReader(str(log), new_histogram())
    total = 0
    while (hist := reader.get_next_interval_histogram()) is not None:
        total += hist.get_total_count()
    return total


# The tests of the killed-load recording run in one worker: the module-scoped fixture is made once
# (without the mark, loadgroup spreads them and each worker made its own, three runs for one).
load_killed_group = pytest.mark.xdist_group("faults_run_load_killed")


@pytest.fixture(scope="module")
def load_killed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, str, int]:
    """A three-scenario recording whose first load process is killed (kill -9) mid-run."""
    out = tmp_path_factory.mktemp("killed") / "rec"
    run = Running("--record", out, *THREE, "--duration", "1.5", "--interval", "0.1", "--repeat", "1")
    run.wait_for("spsc-throughput", "measure", times=3)
    os.kill(run.runner_pid(), signal.SIGKILL)
    status, stdout, stderr = run.finish(timeout=120)
    before_kill = sum({"spsc-throughput", "measure"} <= set(ln.split()) for ln in stderr.splitlines())
    return out, status, stdout, stderr, before_kill


@load_killed_group
def test_a_killed_load_is_one_line_and_the_others_still_run(load_killed: tuple[Path, int, str, str, int]) -> None:
    out, status, stdout, stderr, _ = load_killed
    assert status == 1, stderr
    assert "Traceback" not in stderr
    (line,) = error_lines(stderr)
    assert line.startswith("nimsync-tui: spsc-throughput: load process was killed by signal 9 (SIGKILL)")
    by_name = results(out)
    assert by_name["spsc-throughput"]["status"] == "failed"
    assert "killed by signal 9" in by_name["spsc-throughput"]["error"]
    for other in ("mpmc-throughput", "pingpong-latency"):
        assert by_name[other]["status"] == "completed" and by_name[other]["error"] is None
    assert "spsc-throughput" in stdout and "FAILED" in stdout


@load_killed_group
def test_a_killed_loads_intervals_are_all_in_the_final_log(load_killed: tuple[Path, int, str, str, int]) -> None:
    out, _, _, _, before_kill = load_killed
    assert (out / "run.hlog").exists() and not (out / "run.hlog.partial").exists()
    tags = [e.tag for e in read_hlog(out / "run.hlog")]
    # Every interval reported before the kill is in the log, none lost, none invented.
    assert tags.count("spsc-throughput") == before_kill >= 3
    assert tags.count("pingpong-latency") > 0
    by_name = results(out)
    assert reference_counts(out / "run.hlog") == sum(s["latency_ns"]["count"] for s in by_name.values())


@pytest.mark.java
@load_killed_group
def test_a_killed_loads_log_is_read_by_the_java_reference(
    load_killed: tuple[Path, int, str, str, int], tmp_path: Path
) -> None:
    out, *_ = load_killed
    for tag in ("spsc-throughput", "pingpong-latency"):
        assert "#[Mean" in java_percentile_distribution(out / "run.hlog", tag, tmp_path)


def test_a_killed_recorder_leaves_a_partial_log_of_whole_intervals(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    run = Running("--record", out, "--pattern", "mpmc-*", "--duration", "600", "--interval", "0.05")
    run.wait_for("measure", times=10)
    runner = run.runner_pid()
    os.kill(run.proc.pid, signal.SIGKILL)
    _, _, stderr = run.finish()
    shown = sum(" measure " in ln for ln in stderr.splitlines())
    partial = out / "run.hlog.partial"
    assert not (out / "run.hlog").exists() and not (out / "results.json").exists()
    entries = list(read_hlog(partial))
    # A progress line is shown only once its interval is in the log.
    assert len(entries) >= shown >= 10
    assert reference_counts(partial) == sum(e.histogram().get_total_count() for e in entries)
    assert partial.read_text().endswith("\n")
    # The orphaned load notices (its stdin closes) and ends by itself.
    assert gone(runner)


@pytest.mark.java
def test_a_killed_recorders_partial_log_is_read_by_the_java_reference(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    run = Running("--record", out, "--pattern", "spsc-*", "--duration", "600", "--interval", "0.05")
    run.wait_for("measure", times=5)
    os.kill(run.proc.pid, signal.SIGKILL)
    run.finish()
    assert "#[Mean" in java_percentile_distribution(out / "run.hlog.partial", "spsc-throughput", tmp_path)


def test_a_scenario_that_raises_is_one_structured_line_and_the_rest_runs(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    proc = nimsync(
        "--record", out, "--pattern", "[bp]*", "--iterations", "20000", "--warmup", "100", "--repeat", "2", faults=True
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    # One line per repetition that failed; the row over both says failed.
    line = "nimsync-tui: broken-raises failed: ValueError: injected fault: the load broke"
    assert error_lines(proc.stderr) == [line, line]
    by_name = results(out)
    assert by_name["broken-raises"]["status"] == "failed"
    assert by_name["broken-raises"]["error"] == "ValueError: injected fault: the load broke"
    assert len(by_name["broken-raises"]["repetitions"]) == 2
    assert by_name["pingpong-latency"]["status"] == "completed"
    assert (out / "run.hlog").exists()


def test_a_scenario_that_prints_cannot_corrupt_the_stream(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    proc = nimsync(
        "--record", out, "--pattern", "[np]*", "--iterations", "20000", "--warmup", "100", "--repeat", "1", faults=True
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    by_name = results(out)
    assert by_name["noisy-prints"]["status"] == "completed"
    assert by_name["noisy-prints"]["operations"] == 20000
    assert by_name["pingpong-latency"]["status"] == "completed"


def test_a_hung_scenario_times_out_and_the_rest_runs(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    proc = nimsync(
        "--record", out, "--pattern", "[sp][ti][un]*", "--iterations", "20000", "--warmup", "100", "--timeout", "3",
        "--repeat", "1", faults=True,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    (line,) = error_lines(proc.stderr)
    assert line.startswith("nimsync-tui: stuck-hangs timed out after 3 s")
    by_name = results(out)
    assert by_name["stuck-hangs"]["status"] == "timed_out"
    assert by_name["pingpong-latency"]["status"] == "completed"


def test_the_timeout_bounds_each_step_not_the_whole_scenario(tmp_path: Path) -> None:
    # Four steps of 3 s: 12 s in all, each well inside the 8 s timeout.
    out = tmp_path / "rec"
    proc = nimsync(
        "--record", out, "--pattern", "slow-*", "--warmup", "100", "--timeout", "8", "--repeat", "1", faults=True
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    by_name = results(out)
    assert [by_name[f"slow-steps.round-{k}"]["status"] for k in range(1, 5)] == ["completed"] * 4
    assert by_name["slow-steps"]["status"] == "completed"


def test_iterations_beyond_reach_are_stopped_by_the_timeout(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    proc = nimsync(
        "--record", out, "--pattern", "pingpong-*", "--iterations", str(10**21), "--timeout", "2",
        "--interval", "0.2", "--repeat", "1",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    (line,) = error_lines(proc.stderr)
    assert line.startswith("nimsync-tui: pingpong-latency timed out after 2 s")
    result = results(out)["pingpong-latency"]
    assert result["status"] == "timed_out" and result["operations"] > 0
    assert "timed out" in result["error"]


def test_without_a_timeout_a_load_that_stops_progressing_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stuck-hangs blocks its loop once measuring: no interval, no operation.
    monkeypatch.setenv("PYTHONPATH", env(faults=True)["PYTHONPATH"])
    spec = RunSpec("stuck-hangs", Params(iterations=20_000, warmup=100), interval_s=0.1)  # only the child knows it
    progress = _Notices()
    with OutputDir(tmp_path / "rec", [spec.scenario], overwrite=False) as out:
        (result,) = Recorder(out, [spec], progress, limit=TimeLimit(stall_s=2.0)).run()
    assert result.status == "timed_out"
    assert result.error is not None and result.error.startswith("made no progress for 2 s")
    assert progress.notices == [f"stuck-hangs {result.error}"]


def test_without_a_timeout_a_slow_load_that_progresses_runs_to_its_end(tmp_path: Path) -> None:
    # Three times the stall limit, every interval with operations: a slow
    # implementation's bounded count is measured to its end, not cut off.
    (spec,) = plan_runs("pingpong-*", Overrides(warmup=100), interval_s=0.1, duration_s=7.5)
    progress = _Notices()
    with OutputDir(tmp_path / "rec", [spec.scenario], overwrite=False) as out:
        (result,) = Recorder(out, [spec], progress, limit=TimeLimit(stall_s=2.5)).run()
    assert (result.status, progress.notices) == ("completed", [])
    assert result.duration_s >= 7.0


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


# Two places a full disk can strike. The log as it grows: intervals of about
# 500 bytes every 50 ms pass a 4 KiB limit early, and the run lasts until they
# do however slow the machine. The final files: with one interval
# per scenario the log stays near 4.0 kB and the .hgrm files under 4.3 kB, all
# under 4700 bytes, but results.json (7.7 kB, written after them) is not.
LOG_FILLS = ("--pattern", "spsc-*", "--duration", "600", "--interval", "0.05")
FINAL_FILE_FAILS = (
    "--pattern", "[sp][pi][sn]*", "--iterations", "20000", "--warmup", "100", "--interval", "60", "--repeat", "1"
)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "limit"), [(LOG_FILLS, 4096), (FINAL_FILE_FAILS, 4700)], ids=["log-fills", "final-file-fails"]
)
def test_a_full_disk_is_one_line_and_touches_nothing_the_user_had(
    tmp_path: Path, args: tuple[str, ...], limit: int
) -> None:
    out = tmp_path / "rec"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    proc = nimsync("--record", out, *args, preexec_fn=lambda: _limit_file_size(limit))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = error_lines(proc.stderr)
    assert line.startswith(f"nimsync-tui: cannot write {out}/") and line.endswith(": File too large")
    # Nothing that looks complete: no final log, no results, no temporary files left.
    assert {p.name for p in out.iterdir()} == {"notes.txt", "run.hlog.partial"}
    assert (out / "notes.txt").read_text() == "mine\n"
    # The partial log was cut back to whole intervals: both readers take all of it.
    partial = out / "run.hlog.partial"
    assert partial.read_text().endswith("\n")
    entries = list(read_hlog(partial))
    assert entries and reference_counts(partial) == sum(e.histogram().get_total_count() for e in entries)


def test_a_full_disk_leaves_an_earlier_recording_whole(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    first = nimsync("--record", out, *FINAL_FILE_FAILS)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # The .hgrm files are written before the file that fails: they must not replace the old ones either.
    proc = nimsync("--record", out, *FINAL_FILE_FAILS, "--overwrite", preexec_fn=lambda: _limit_file_size(4700))
    assert proc.returncode == 1, proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != "run.hlog.partial"} == before


def test_a_corrupt_histogram_from_the_load_is_its_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A load process that speaks the protocol but sends a payload no decoder takes.
    started = RunStarted("pingpong-latency", "x", "round trip", {}, 0.1, 1)
    interval = IntervalRecord("pingpong-latency", "measure", 0.0, 0.1, 5, 5, 0, 1, 1, 1.0, 1, (0, 0, 0))
    stream = "\n".join(
        [
            "#[BaseTime: 1795766400.123 (seconds since epoch)]",
            "#" + event_json(started),
            "Tag=pingpong-latency,0.000,0.100,0.001,HISTFAAAAnotreallyahistogram",
            "#" + event_json(interval),
            "",
        ]
    )
    fake = [sys.executable, "-c", f"import sys; sys.stdout.write({stream!r}); sys.stdin.read()"]
    monkeypatch.setattr(process, "runner_command", lambda _spec: fake)
    specs = plan_runs("pingpong-*", Overrides(iterations=1000))
    progress = _Notices()
    notices = progress.notices
    with OutputDir(tmp_path / "rec", [s.scenario for s in specs], overwrite=False) as out:
        recorder = Recorder(out, specs, progress)
        (result,) = recorder.run()
    assert result.status == "failed" and result.error is not None
    assert result.error.startswith("load process wrote an undecodable histogram: ")
    assert notices == [f"pingpong-latency: {result.error}"]


class _Notices:
    """A recording's progress that keeps only its notices."""

    def __init__(self) -> None:
        self.notices: list[str] = []

    def interval(self, position: str, record: object, latency: object) -> None:
        pass

    def repetition(self, position: str, result: object) -> None:
        pass

    def nothing_measured(self, position: str, scenario: str) -> None:
        pass

    def notice(self, line: str) -> None:
        self.notices.append(line)
