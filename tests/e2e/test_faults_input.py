"""Bad options and paths: one line naming the problem, exit 2, no traceback, nothing created.

The refusals run ``main()`` in this process; the last test runs the command for real.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from ..in_process import run_main
from .fault_helpers import Running, error_lines, results

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
    (["--impl", "rust"], "--impl rust: no such implementation; give one of nimsync, trio"),
]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's directory as the working directory: a refused command must leave it empty."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("args", "message"), BOUNDS, ids=[" ".join(a) for a, _ in BOUNDS])
def test_every_bound_is_one_line_exit_2_and_creates_nothing(
    args: list[str], message: str, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_main(capsys, "--record", "out", *args)
    assert status == 2, err
    assert err.count("\n") == 1 and message in err, err
    assert out == ""
    assert list(in_tmp.iterdir()) == []


def test_an_empty_record_path_is_refused(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_main(capsys, "--record", "", "--pattern", "pingpong-*", "--iterations", "1000")
    assert status == 2
    assert err.count("\n") == 1 and "--record: must name a directory" in err
    assert list(in_tmp.iterdir()) == []


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
def test_an_over_long_path_is_exit_2_and_leaves_nothing_behind(
    path: str, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_main(capsys, "--record", path, "--pattern", "pingpong-*", "--iterations", "1000")
    assert status == 2, err
    assert err.count("\n") == 1 and "File name too long" in err
    assert len(err) < 300, "the message must stay readable"
    assert list(in_tmp.iterdir()) == []


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
