"""The parent's side of the runner for the headless recorder: start it, read its events, stop it.

The app drives the same runner from its asyncio loop (:mod:`nimsync_tui.monitor.source`),
with this module's command line and grace period; neither runs the load in its own process.
"""

from __future__ import annotations

import contextlib
import math
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from types import TracebackType

from ..core.files import MAX_LINE_BYTES
from ..core.protocol import Event, RunEnded, RunFailed, StreamParser
from ..errors import LoadFailedError, RunnerError
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
    """Why a runner ended without reporting its end: its exit status (or signal) and its last stderr line."""
    if code < 0:
        reason = f"was killed by signal {-code}{_signal_name(-code)}"
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

    A watchdog thread enforces the limits: ``timeout_s`` after the start
    (or after the last :meth:`restart_timeout`), or ``stall_s`` after the
    last :meth:`progressed`, it asks the child to stop (:attr:`timed_out`
    says so, :attr:`stalled` which limit it was), and whenever a stop was
    asked, by it or by :meth:`stop`, it kills a child that has not exited
    :data:`STOP_GRACE_S` later. So a load that ignores cancellation
    (a blocking call, an endless loop without checkpoints) still ends, and
    :meth:`events` still returns.
    """

    def __init__(
        self,
        spec: RunSpec,
        *,
        keep_lines: bool = False,
        timeout_s: float | None = None,
        stall_s: float | None = None,
    ) -> None:
        self.spec = spec
        """What the child runs."""
        self.timeout_s = timeout_s
        """Seconds the child may run before it is stopped; ``None``: no limit."""
        self.stall_s = stall_s
        """Seconds the child may go without progress before it is stopped; ``None``: no limit."""
        self.timed_out = False
        """Whether the watchdog stopped the child because a limit passed."""
        self.stalled = False
        """Whether the limit that passed was ``stall_s`` (no progress), not ``timeout_s``."""
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
            # Bytes that are not UTF-8 reach the parser as U+FFFD and are
            # reported as a protocol error, never as a UnicodeDecodeError.
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        self._deadline = time.monotonic() + (timeout_s if timeout_s is not None else math.inf)
        self._stall_deadline = time.monotonic() + (stall_s if stall_s is not None else math.inf)
        self._stop_asked = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name=f"watchdog {spec.scenario}", daemon=True)
        self._watchdog.start()

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
        """Yield the child's events until it ends; raise :class:`LoadFailedError` if it fails.

        Blocks while waiting for the next line; the UI calls it from a worker thread.
        """
        assert self._proc.stdout is not None
        finished = False
        # A line is read up to a bound: a runner writing hundreds of megabytes without a line end is broken.
        while line := self._proc.stdout.readline(MAX_LINE_BYTES + 1):
            if not line.endswith("\n"):
                if len(line) > MAX_LINE_BYTES:
                    self.kill()
                    raise LoadFailedError(
                        self.spec.scenario, f"load process wrote a line longer than {MAX_LINE_BYTES >> 20} MiB"
                    )
                # The child died in the middle of a line: half an event is no event.
                break
            if self._keep_lines:
                self.raw_lines.append(line)
            try:
                event = self._parser.feed(line)
            except RunnerError as exc:
                raise LoadFailedError(self.spec.scenario, str(exc)) from None
            if event is None:
                continue
            if isinstance(event, RunFailed):
                raise LoadFailedError(self.spec.scenario, event.message, raised=True)
            finished = isinstance(event, RunEnded)
            yield event
        code = self._proc.wait()
        if not finished or code != 0:
            self._stderr.seek(0)
            raise LoadFailedError(self.spec.scenario, f"load process {exit_reason(code, self._stderr.read())}")

    def stop(self) -> None:
        """Ask the child to stop; it still reports its last interval and end.

        Safe to call from a signal handler: it only closes a pipe and sets an event.
        """
        self._stop_asked.set()
        self._close_stdin()

    def restart_timeout(self) -> None:
        """Give the child ``timeout_s`` from now (a stepped load's next step)."""
        if self.timeout_s is not None:
            self._deadline = time.monotonic() + self.timeout_s
        self.progressed()

    def progressed(self) -> None:
        """The child completed work: give it ``stall_s`` more to complete more."""
        if self.stall_s is not None:
            self._stall_deadline = time.monotonic() + self.stall_s

    def kill(self) -> None:
        """End the child at once (SIGKILL); :meth:`events` then reports it killed."""
        self._stop_asked.set()
        self._proc.kill()

    def close(self) -> None:
        """Stop the child, kill it if it does not exit in time, and release its files."""
        self.stop()
        self._watchdog.join()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()

    def _close_stdin(self) -> None:
        # Called from the watchdog thread and the main thread (or a signal
        # handler in it); whichever comes second finds the pipe closed.
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(OSError, ValueError):
                self._proc.stdin.close()

    def _watch(self) -> None:
        # Runs in its own thread for the child's whole life. The deadline may
        # move on while we wait, so it is read again at each wake-up.
        while not self._stop_asked.is_set():
            now = time.monotonic()
            left = min(self._deadline, self._stall_deadline) - now
            if left <= 0:
                self.stalled = self._stall_deadline <= now
                self.timed_out = True
                self._close_stdin()
                break
            # Event.wait() raises OverflowError past threading.TIMEOUT_MAX (about 9.2e9 s).
            self._stop_asked.wait(min(left, threading.TIMEOUT_MAX) if math.isfinite(left) else None)
        try:
            self._proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()

    def __enter__(self) -> RunnerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and not isinstance(exc, LoadFailedError):
            # Leaving on an error of ours (a second Ctrl-C, a full disk):
            # nobody reads the child any more, so no grace period either.
            self.kill()
        self.close()


def _signal_name(signum: int) -> str:
    try:
        return f" ({signal.Signals(signum).name})"
    except ValueError:  # a real-time signal has no name
        return ""
