"""SIGTERM and SIGHUP stop a recording as Ctrl-C does: load stopped, files finished, 128 + signal.

SIGTERM is what ``timeout``, CI cancellation, systemd and docker send; SIGHUP
is a closed terminal (sent to the whole foreground process group).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from .fault_helpers import Running, error_lines, gone, results


@pytest.mark.parametrize(
    ("signum", "to_group"),
    [(signal.SIGTERM, False), (signal.SIGHUP, False), (signal.SIGTERM, True), (signal.SIGHUP, True)],
    ids=["SIGTERM-pid", "SIGHUP-pid", "SIGTERM-group", "SIGHUP-group"],
)
def test_a_stop_signal_finishes_the_recording(signum: signal.Signals, to_group: bool, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    run = Running("--record", out, "--duration", "60", "--interval", "0.2")
    run.wait_for("measure", times=2)
    runner = run.runner_pid()
    if to_group:
        os.killpg(run.proc.pid, signum)
    else:
        os.kill(run.proc.pid, signum)
    status, stdout, stderr = run.finish()
    assert status == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert error_lines(stderr) == [f"nimsync-tui: stopped by {signum.name}; what was measured is in {out}"]
    # The running scenario's measured part is kept; the others are named as never run.
    (name,) = results(out)
    assert name == "spsc-throughput"
    assert results(out)[name]["status"] == "stopped" and results(out)[name]["operations"] > 0
    assert "not run: mpmc-throughput, pingpong-latency" in stdout
    assert (out / "run.hlog").exists() and not (out / "run.hlog.partial").exists()
    assert gone(runner), "the load process outlived the recording"


def test_a_second_signal_ends_at_once_and_keeps_the_partial_log(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    # A load that cannot be stopped gently: the first SIGTERM asks, the second insists.
    run = Running("--record", out, "--pattern", "stuck-*", "--interval", "0.1", "--timeout", "600", faults=True)
    run.wait_for("warmup")
    runner = run.runner_pid()
    os.kill(run.proc.pid, signal.SIGTERM)
    time.sleep(0.5)  # two pending signals of one kind would arrive as one
    os.kill(run.proc.pid, signal.SIGTERM)
    status, _, stderr = run.finish()
    assert status == 143, stderr
    assert "Traceback" not in stderr
    partial = out / "run.hlog.partial"
    assert error_lines(stderr) == [
        f"nimsync-tui: stopped by SIGTERM before the recording was finished; what was measured is in {partial}"
    ]
    assert (out / "run.hlog.partial").exists() and not (out / "results.json").exists()
    assert gone(runner)
