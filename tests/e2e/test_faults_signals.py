"""SIGTERM and SIGHUP stop a recording as Ctrl-C does: load stopped, files finished, 128 + signal.

SIGTERM is what ``timeout``, CI cancellation, systemd and docker send; SIGHUP
is a closed terminal (sent to the whole foreground process group).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..prerequisites import require_tmux
from .fault_helpers import CLI, THREE, Running, error_lines, gone, results


@pytest.mark.parametrize(
    ("signum", "to_group"),
    [(signal.SIGTERM, False), (signal.SIGHUP, False), (signal.SIGTERM, True), (signal.SIGHUP, True)],
    ids=["SIGTERM-pid", "SIGHUP-pid", "SIGTERM-group", "SIGHUP-group"],
)
def test_a_stop_signal_finishes_the_recording(signum: signal.Signals, to_group: bool, tmp_path: Path) -> None:
    if signal.getsignal(signum) == signal.SIG_IGN:
        # Inherited by the command, which rightly keeps ignoring it (see the nohup test below).
        pytest.skip(f"{signum.name} is ignored in the shell that runs the tests (nohup?): the command would keep on")
    out = tmp_path / "rec"
    run = Running("--record", out, *THREE, "--duration", "60", "--interval", "0.2")
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
    # Two signals of one kind that arrive before the first is handled count as one:
    # the second goes once the recorder has asked its load to stop (closed its stdin).
    deadline = time.monotonic() + 60
    while not _let_go_of_stdin(run.proc.pid, runner):
        assert time.monotonic() < deadline, "the first SIGTERM never reached the load"
        time.sleep(0.05)
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


def _let_go_of_stdin(parent: int, child: int) -> bool:
    """Whether ``parent`` no longer holds the pipe that is ``child``'s stdin (Linux ``/proc``)."""
    pipe = os.readlink(f"/proc/{child}/fd/0")
    held = set()
    for fd in Path(f"/proc/{parent}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # an fd closed while listed
            held.add(os.readlink(fd))
    return pipe not in held


def test_nohup_keeps_recording_through_a_hangup(tmp_path: Path) -> None:
    # nohup (SIGHUP ignored on start) is the user saying "survive my terminal": respect it.
    out = tmp_path / "rec"
    run = Running(
        "--record", out, "--pattern", "spsc-*", "--duration", "1.5", "--interval", "0.2", "--repeat", "1",
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )  # fmt: skip
    run.wait_for("warmup")
    os.kill(run.proc.pid, signal.SIGHUP)
    status, _, stderr = run.finish()
    assert status == 0, stderr
    assert results(out)["spsc-throughput"]["status"] == "completed"


def test_closing_the_terminal_stops_the_recording_and_keeps_it(tmp_path: Path) -> None:
    # A real terminal closed under the command: tmux kills the session, the
    # pty hangs up and its session leader gets SIGHUP. A shell would resend it
    # to its jobs; the watcher standing in for the shell does the same, then
    # waits for the command and writes down its status. Every later write of
    # the command to the terminal fails.
    tmux = require_tmux()
    out, status_file = tmp_path / "rec", tmp_path / "status"
    watcher = (
        "import signal, subprocess, sys; "
        "p = subprocess.Popen(sys.argv[2:]); "
        "signal.signal(signal.SIGHUP, lambda *_: p.send_signal(signal.SIGHUP)); "
        "open(sys.argv[1], 'w').write(str(p.wait()))"
    )
    command = [sys.executable, "-c", watcher, str(status_file), *CLI, "--record", str(out)]
    command += [*THREE, "--duration", "60", "--interval", "0.2"]
    session = f"nimsync-hup-{os.getpid()}"
    socket = ["-S", str(tmp_path / "tmux.sock")]  # a server of our own, its socket removed with tmp_path
    subprocess.run(
        [tmux, *socket, "new-session", "-d", "-s", session, "-x", "120", "-y", "20", shlex.join(command)], check=True
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "run.hlog.partial").exists() or len((out / "run.hlog.partial").read_text().splitlines()) < 12:
            assert time.monotonic() < deadline, "the recording never got going"
            time.sleep(0.2)
    finally:
        subprocess.run([tmux, *socket, "kill-server"], check=False)
    deadline = time.monotonic() + 60
    while not status_file.exists() or not status_file.read_text():
        assert time.monotonic() < deadline, "the command did not end after the hangup"
        time.sleep(0.2)
    assert status_file.read_text() == "129"
    assert results(out)["spsc-throughput"]["status"] == "stopped"
    assert (out / "run.hlog").exists()
