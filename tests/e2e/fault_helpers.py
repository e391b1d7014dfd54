"""Running ``nimsync-tui`` as the fault tests need it: with test-only scenarios, signals and limits."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

CLI = [sys.executable, "-m", "nimsync_tui"]
FAULT_SCENARIOS = Path(__file__).with_name("fault_scenarios")
"""On PYTHONPATH, adds the scenarios broken-raises, noisy-prints and stuck-hangs (see its sitecustomize)."""


def env(*, faults: bool = False) -> dict[str, str]:
    """The environment of a run; with ``faults`` the test-only scenarios exist in it."""
    out = dict(os.environ)
    if faults:
        out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FAULT_SCENARIOS), out.get("PYTHONPATH")]))
    return out


def nimsync(
    *args: str | Path,
    faults: bool = False,
    cwd: Path | None = None,
    timeout: float = 180,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the command to its end."""
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(faults=faults),
        cwd=cwd,
        preexec_fn=preexec_fn,
    )


class Running:
    """The command running in its own session, read line by line from stderr.

    The session is the command's and its load's process group: whatever of it a
    test leaves running (a failed or timed-out test) is killed at the test's end.
    """

    def __init__(self, *args: str | Path, faults: bool = False, preexec_fn: Callable[[], object] | None = None) -> None:
        _STARTED.append(self)
        self.proc = subprocess.Popen(
            [*CLI, *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env=env(faults=faults),
            preexec_fn=lambda: as_from_a_terminal(preexec_fn),  # noqa: PLW1509 (signal dispositions, limits)
        )
        self.stderr = ""

    def wait_for(self, *words: str, times: int = 1) -> None:
        """Read progress lines until ``times`` of them hold every one of ``words``."""
        assert self.proc.stderr is not None
        seen = 0
        for line in self.proc.stderr:
            self.stderr += line
            seen += all(word in line.split() for word in words)
            if seen == times:
                return
        raise AssertionError(f"the command ended before {times} lines with {words}:\n{self.stderr}")

    def runner_pid(self) -> int:
        """The load process now running under the command."""
        (child,) = psutil.Process(self.proc.pid).children()
        return child.pid

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Wait for the end; (status, stdout, all of stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        self.stderr += err
        return self.proc.returncode, out, self.stderr


_STARTED: list[Running] = []


def as_from_a_terminal(then: Callable[[], object] | None = None) -> None:
    """In the child before exec: Ctrl-C's signal as a terminal's command gets it, then ``then``.

    Tests run as a background job of a script start with SIGINT ignored, which the
    command (rightly) keeps ignoring; a command typed at a terminal never has it so.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if then is not None:
        then()


def end_every_command() -> None:
    """Kill the process group of every :class:`Running` started so far (the tests' autouse teardown)."""
    while _STARTED:
        run = _STARTED.pop()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(run.proc.pid, signal.SIGKILL)  # its load too, even once the command itself is gone
        if run.proc.poll() is None:
            run.proc.communicate()


def gone(pid: int, within_s: float = 15) -> bool:
    """Whether the process ``pid`` ended and was reaped (no zombie left) within ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE and time.monotonic() > deadline - 1:
                return False
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def results(out: Path) -> dict[str, dict[str, Any]]:
    """The scenarios of ``out/results.json`` by name."""
    return {s["name"]: s for s in json.loads((out / "results.json").read_text())["scenarios"]}


THREE = ("--pattern", "[smp][pi][smn]*")
"""Selects spsc-throughput, mpmc-throughput and pingpong-latency: quick, and in that order."""


def error_lines(stderr: str) -> list[str]:
    """The lines addressed to the user (not progress lines, not a busy-machine warning)."""
    return [
        ln for ln in stderr.splitlines() if ln.startswith("nimsync-tui:") and not ln.startswith("nimsync-tui: warning:")
    ]
