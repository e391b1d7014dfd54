"""The parent's side of the runner: start it, read its events, stop it.

Both the headless recorder and the UI drive the load through this class;
neither ever runs the load in its own process.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from types import TracebackType

from ..core.protocol import Event, RunEnded, RunFailed, StreamParser
from ..errors import RunnerError
from .config import RunSpec

STOP_GRACE_S = 5.0
"""How long a runner may take to flush and exit after its stdin closes."""


def runner_command(spec: RunSpec) -> list[str]:
    """The command line of a runner process for ``spec``.

    ``-P``: the load imports the installed nimsync_tui, never a same-named
    folder in whatever directory the user started us from.
    """
    return [sys.executable, "-P", "-m", "nimsync_tui.run.runner", spec.to_json()]


def exit_reason(code: int, stderr_text: str) -> str:
    """Why a runner ended without reporting its end: its exit status and its last stderr line."""
    if code < 0:
        reason = f"was killed by signal {-code}"
    elif code:
        reason = f"exited with status {code}"
    else:
        reason = "ended without reporting its end"
    tail = [ln.strip() for ln in stderr_text.splitlines() if ln.strip()]
    return f"{reason}: {tail[-1]}" if tail else reason


class RunnerProcess:
    """One runner child process and the event stream it writes.

    Use as a context manager: leaving it stops the child (stdin closed, then
    killed after :data:`STOP_GRACE_S`) so no load outlives its monitor.
    """

    def __init__(self, spec: RunSpec, *, keep_lines: bool = False) -> None:
        self.spec = spec
        """What the child runs."""
        self.raw_lines: list[str] = []
        """With ``keep_lines``, every line the child wrote, verbatim (its stdout is itself an hlog)."""
        self._keep_lines = keep_lines
        # stderr goes to a file, not a pipe nobody drains: a chatty child must
        # never block on it. Its tail explains a crash that left no event.
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115 (closed in close())
        self._parser = StreamParser()
        self._proc = subprocess.Popen(
            runner_command(spec),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._proc.pid

    @property
    def base_time_s(self) -> float:
        """The child's log BaseTime (seconds since the epoch), once its header is read."""
        if self._parser.base_time_s is None:
            raise RunnerError(f"{self.spec.scenario}: load process wrote no log header")
        return self._parser.base_time_s

    def events(self) -> Iterator[Event]:
        """Yield the child's events until it ends; raise :class:`RunnerError` if it fails.

        Blocks while waiting for the next line; the UI calls it from a worker thread.
        """
        assert self._proc.stdout is not None
        finished = False
        for line in self._proc.stdout:
            if self._keep_lines:
                self.raw_lines.append(line)
            event = self._parser.feed(line)
            if event is None:
                continue
            if isinstance(event, RunFailed):
                raise RunnerError(f"{self.spec.scenario} failed: {event.message}")
            finished = isinstance(event, RunEnded)
            yield event
        code = self._proc.wait()
        if not finished or code != 0:
            self._stderr.seek(0)
            raise RunnerError(f"{self.spec.scenario}: load process {exit_reason(code, self._stderr.read())}")

    def stop(self) -> None:
        """Ask the child to stop; it still reports its last interval and end."""
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self._proc.stdin.close()

    def close(self) -> None:
        """Stop the child, kill it if it does not exit in time, and release its files."""
        self.stop()
        try:
            self._proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()

    def __enter__(self) -> RunnerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
