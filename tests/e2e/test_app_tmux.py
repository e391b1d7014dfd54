"""The app as a new user meets it: ``nimsync-tui`` in a real terminal (tmux, 120x40).

Textual draws on stderr, so the command runs with its streams untouched; only
its exit status goes to a file.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from hdrh.log import HistogramLogReader

from nimsync_tui.core.histogram import new_histogram

from ..java_reference import java_percentile_distribution
from ..prerequisites import require_tmux

COMMAND = Path(sys.executable).with_name("nimsync-tui")


class Terminal:
    """One tmux session running one command in ``cwd``."""

    def __init__(self, command: str, cwd: Path) -> None:
        self.name = f"nimsync-{uuid.uuid4().hex[:8]}"
        self.status_file = cwd / ".exit-status"
        # The server's environment is whatever its first client had: COLUMNS and LINES there
        # would override the pane's real size, which no user's terminal does.
        script = f"unset COLUMNS LINES; cd {cwd} && {command}; echo $? > {self.status_file}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", script], check=True)
        size = subprocess.run(
            ["tmux", "display", "-p", "-t", self.name, "#{window_width}x#{window_height}"],
            capture_output=True,
            text=True,
        )
        assert size.stdout.strip() == "120x40", f"tmux made a {size.stdout.strip()} window"

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.screen()}")

    def exit_status(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status_file.exists() and self.status_file.read_text().strip():
                return int(self.status_file.read_text())
            time.sleep(0.1)
        raise AssertionError(f"the command did not exit; the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Callable[[str], Terminal]]:
    require_tmux()
    opened: list[Terminal] = []

    def open_(command: str) -> Terminal:
        opened.append(Terminal(command, tmp_path))
        return opened[-1]

    yield open_
    for t in opened:
        t.close()


def runners_in(cwd: Path) -> list[psutil.Process]:
    """Load processes started from ``cwd`` that are still alive."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = proc.info["cmdline"] or []
        if "nimsync_tui.run.runner" in cmdline and proc.info["cwd"] == str(cwd):
            found.append(proc)
    return found


@pytest.mark.java
def test_a_new_user_watches_switches_exports_and_quits(terminal, tmp_path: Path) -> None:
    term = terminal(str(COMMAND))
    screen = term.wait_for(lambda s: "phase measuring" in s and "p99.99" in s and "µs" in s, "live numbers")
    assert max(len(line) for line in screen.splitlines()) == 120, f"the app fills the 120-column terminal:\n{screen}"
    assert runners_in(tmp_path), "the load runs in a process of its own"
    term.keys("Down", "Enter")
    term.wait_for(lambda s: "nimsync-tui mpmc-throughput" in s and "phase measuring" in s, "the second scenario")
    term.keys("e")
    term.wait_for(lambda s: "Export the run so far into" in s, "the export dialog")
    term.keys("Enter")
    term.wait_for(lambda _: any((tmp_path / "runs").glob("mpmc-throughput-*/run.hlog")), "the export's files")
    (export,) = (tmp_path / "runs").glob("mpmc-throughput-*")
    term.keys("q")
    assert term.exit_status() == 0
    assert runners_in(tmp_path) == []

    reader = HistogramLogReader(str(export / "run.hlog"), new_histogram())
    intervals = 0
    while reader.get_next_interval_histogram() is not None:
        intervals += 1
    assert intervals > 0
    java = java_percentile_distribution(export / "run.hlog", "mpmc-throughput", tmp_path)
    assert java.splitlines()[2:] == (export / "mpmc-throughput.hgrm").read_text().splitlines()


def test_replay_of_a_recorded_directory(terminal, tmp_path: Path) -> None:
    recording = tmp_path / "rec"
    subprocess.run(
        [str(COMMAND), "--record", str(recording), "--pattern", "pingpong-latency", "--duration", "2",
         "--interval", "0.25", "--repeat", "1"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    term = terminal(f"{COMMAND} --replay {recording}")
    screen = term.wait_for(
        lambda s: "replay  interval" in s and "(loading)" not in s and "interval 0/0" not in s, "the replayed run"
    )
    assert "pingpong-latency" in screen
    total = screen.split("replay  interval ", 1)[1].split()[0].split("/")[1]
    term.keys("Home")
    term.wait_for(lambda s: f"interval 1/{total}" in s, "the first interval")
    term.keys("Right")
    term.wait_for(lambda s: f"interval 2/{total}" in s, "the second interval")
    term.keys("q")
    assert term.exit_status() == 0


@pytest.mark.parametrize("how", ["ctrl+c", "SIGTERM"])
def test_ctrl_c_and_sigterm_quit_as_q_does(terminal, tmp_path: Path, how: str) -> None:
    term = terminal(str(COMMAND))
    term.wait_for(lambda s: "phase measuring" in s, "live numbers")
    (runner,) = runners_in(tmp_path)
    if how == "ctrl+c":
        term.keys("C-c")
        expected = 0
    else:
        (app,) = [p for p in runner.parents() if p.cmdline()[1:2] == [str(COMMAND)]]
        app.terminate()
        expected = 143
    assert term.exit_status() == expected
    assert not runner.is_running() or runner.status() == psutil.STATUS_ZOMBIE
    assert runners_in(tmp_path) == []


def test_a_closed_terminal_ends_the_app_and_its_load(terminal, tmp_path: Path) -> None:
    # A closed terminal window (or a dropped ssh session) is a hang-up: nothing can be
    # drawn any more, and the app must not linger with nowhere to draw.
    term = terminal(str(COMMAND))
    term.wait_for(lambda s: "phase measuring" in s, "live numbers")
    (runner,) = runners_in(tmp_path)
    (app,) = [p for p in runner.parents() if p.cmdline()[1:2] == [str(COMMAND)]]
    term.close()
    app.wait(timeout=30)
    runner.wait(timeout=30)
    assert runners_in(tmp_path) == []


def test_i_switches_implementation_and_keeps_the_first_beside_it(terminal, tmp_path: Path) -> None:
    # Issue 12: the implementations given on the command line, each on its own loop; the one run
    # before stays on the spectrum (named in its legend) and in the table (a column of its own).
    term = terminal(f"{COMMAND} --impl nimsync,asyncio --pattern spsc-throughput")
    term.wait_for(lambda s: "nimsync (checkpoint" in s and "phase measuring" in s and "run so far" in s, "nimsync")
    term.keys("i")
    screen = term.wait_for(lambda s: "asyncio on asyncio" in s and "phase measuring" in s, "asyncio measuring")
    screen = term.wait_for(lambda s: "asyncio  latest interval  nimsync" in s, "the legend naming both")
    heading = next(line for line in screen.splitlines() if "asyncio  latest interval" in line)
    assert heading.split("│")[-2].split() == ["asyncio", "nimsync"], f"a table column each:\n{screen}"
    assert len(runners_in(tmp_path)) == 1, "one load at a time"
    term.keys("q")
    assert term.exit_status() == 0
    assert runners_in(tmp_path) == []
