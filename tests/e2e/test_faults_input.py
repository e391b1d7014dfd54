"""Bad options and paths: one line naming the problem, exit 2, no traceback, nothing created."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from .fault_helpers import Running, error_lines, nimsync, results

BOUNDS = [
    (["--interval", "0"], "--interval must be at least 0.05 s"),
    (["--interval", "nan"], "--interval must be at least 0.05 s"),
    (["--interval", "-1"], "--interval must be at least 0.05 s"),
    (["--duration", "0"], "--duration must be a positive number of seconds"),
    (["--duration", "-2"], "--duration must be a positive number of seconds"),
    (["--duration", "nan"], "--duration must be a positive number of seconds"),
    (["--duration", "inf"], "--duration inf runs one scenario until stopped, and 10 match"),
    (["--timeout", "0"], "--timeout must be a positive number of seconds"),
    (["--timeout", "-5"], "--timeout must be a positive number of seconds"),
    (["--timeout", "nan"], "--timeout must be a positive number of seconds"),
    (["--timeout", "x"], "argument --timeout: invalid float value: 'x'"),
    (["--duration", "10", "--timeout", "5"], "--timeout 5 s would stop every scenario before its --duration 10 s"),
    (["--iterations", "0"], "--iterations must be an integer >= 1"),
    (["--warmup", "-1"], "--warmup must be an integer >= 0"),
    (["--capacity", "-1"], "--capacity must be an integer >= 0"),
    (["--producers", "0"], "--producers must be an integer >= 1"),
    (["--consumers", "0"], "--consumers must be an integer >= 1"),
    (["--yield-every", "0"], "--yield-every must be an integer >= 1"),
    (["--sample-every", "0"], "--sample-every must be an integer >= 1"),
    (["--pattern", "pingpong-*", "--capacity", "0"], "pingpong-latency needs --capacity >= 1"),
    (["--impl", "rust"], "argument --impl: invalid choice: 'rust'"),
]


@pytest.mark.parametrize(("args", "message"), BOUNDS, ids=[" ".join(a) for a, _ in BOUNDS])
def test_every_bound_is_one_line_exit_2_and_creates_nothing(args: list[str], message: str, tmp_path: Path) -> None:
    proc = nimsync("--record", "out", *args, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_empty_record_path_is_refused(tmp_path: Path) -> None:
    proc = nimsync("--record", "", "--pattern", "pingpong-*", "--iterations", "1000", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--record: must name a directory" in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "path",
    [
        "a/b/" + "x" * 300,  # a name longer than the file system allows, under folders still to create
        "/".join(["y" * 200] * 25),  # a path longer than PATH_MAX, every name fine
        # Folders that can be created, but the log's path inside them is past PATH_MAX:
        # the folders made for the recording are removed again.
        "/".join(["z" * 200] * 20) + "/" + "z" * 60,
    ],
    ids=["long-name", "long-path", "long-path-inside"],
)
def test_an_over_long_path_is_exit_2_and_leaves_nothing_behind(path: str, tmp_path: Path) -> None:
    proc = nimsync("--record", path, "--pattern", "pingpong-*", "--iterations", "1000", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "File name too long" in proc.stderr
    assert len(proc.stderr) < 300, "the message must stay readable"
    assert list(tmp_path.iterdir()) == []


def test_duration_inf_runs_one_scenario_until_stopped(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    run = Running("--record", out, "--pattern", "pingpong-*", "--duration", "inf", "--interval", "0.2")
    run.wait_for("measure", times=3)
    os.kill(run.proc.pid, signal.SIGINT)
    status, stdout, stderr = run.finish()
    assert status == 130, stderr
    assert results(out)["pingpong-latency"]["status"] == "stopped"
    assert "not run" not in stdout
    assert error_lines(stderr) == [f"nimsync-tui: stopped by SIGINT; what was measured is in {out}"]
