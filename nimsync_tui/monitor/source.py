"""The load process on an asyncio loop: start it, read its events, stop it, and never leave it behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator

from ..core.protocol import Event, RunEnded, RunFailed, StreamParser
from ..errors import RunnerError
from ..run.config import RunSpec
from ..run.process import STOP_GRACE_S, exit_reason, runner_command

_STDERR_LINES_KEPT = 50
_LINE_LIMIT = 1 << 24
"""A histogram line of a wide histogram is long; asyncio's default 64 KiB limit would cut it."""


class RunnerSource:
    """One runner process, read from an asyncio task (the UI's loop never blocks on it).

    :meth:`events` starts the process and yields its events; leaving the
    iteration, however it is left (end, error, cancellation), stops the child:
    stdin closed, then killed after :data:`~nimsync_tui.run.process.STOP_GRACE_S`.
    """

    def __init__(self, spec: RunSpec, *, grace_s: float = STOP_GRACE_S) -> None:
        self.spec = spec
        """What the child runs."""
        self.base_time_s = 0.0
        """The child's log BaseTime (epoch seconds), once its header was read."""
        self.pid: int | None = None
        """The child's process id while it runs."""
        self._grace_s = grace_s
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr_tail: deque[str] = deque(maxlen=_STDERR_LINES_KEPT)

    async def events(self) -> AsyncGenerator[Event, None]:
        """Yield the child's events until it ends; raise :class:`RunnerError` if it fails or dies."""
        proc = await asyncio.create_subprocess_exec(
            *runner_command(self.spec),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=_LINE_LIMIT,
        )
        self._proc, self.pid = proc, proc.pid
        # Drained all along: a chatty child must never block on a full pipe.
        drain = asyncio.create_task(self._drain_stderr(proc))
        parser = StreamParser()
        finished = False
        try:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                event = parser.feed(raw.decode("utf-8", errors="replace"))
                if parser.base_time_s is not None:
                    self.base_time_s = parser.base_time_s
                if event is None:
                    continue
                if isinstance(event, RunFailed):
                    raise RunnerError(f"{self.spec.scenario} failed: {event.message}")
                finished = isinstance(event, RunEnded)
                yield event
            code = await proc.wait()
            await drain
            if not finished or code != 0:
                reason = exit_reason(code, "\n".join(self._stderr_tail))
                raise RunnerError(f"{self.spec.scenario}: load process {reason}")
        finally:
            await self._shut(proc)
            drain.cancel()
            self._proc = None

    def stop(self) -> None:
        """Ask the child to stop; it still reports its last interval and its end."""
        proc = self._proc
        if proc is not None and proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()

    async def _shut(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is not None:
            return
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
        ending = asyncio.ensure_future(self._end(proc))
        try:
            # Shielded: a cancellation of the reader must not leave the child running.
            await asyncio.shield(ending)
        except asyncio.CancelledError:
            # The app is leaving (Textual cancels its workers on exit, maybe more
            # than once): no grace left, but the child is killed and reaped before
            # the loop closes (milliseconds after SIGKILL), or asyncio's child
            # watcher and the pipe transports report it on our stderr afterwards.
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            while not ending.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(ending)
            raise

    async def _end(self, proc: asyncio.subprocess.Process) -> None:
        """Wait the grace period for the child, then kill it; returns once it is reaped."""
        try:
            await asyncio.wait_for(proc.wait(), self._grace_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def _drain_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            self._stderr_tail.append(raw.decode("utf-8", errors="replace").rstrip())
