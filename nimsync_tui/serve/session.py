"""One browser tab's app: its process, its environment, and its end.

textual-serve's :class:`AppService` speaks the web driver's protocol with the app
process; this subclass changes how that process starts and how it ends, so that
a closed tab or a stopped server never leaves an app or a load behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from asyncio.subprocess import PIPE, Process
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

import psutil
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from ..monitor.export import EXPORT_DIR_VARIABLE

QUIT_GRACE_S = 8.0
"""How long an app may take to quit once asked (it stops its runners first, each within 5 s)."""
TERM_GRACE_S = 2.0
"""How long what is left may take to exit after SIGTERM, before SIGKILL."""

_KEPT_NAMES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONPATH", "PYTHONHOME"}
)
"""What an app needs from the server's environment: where it and Python's modules are, locale, time zone."""
_SERVE_NAMES = frozenset(
    {"TEXTUAL_DRIVER", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "COLUMNS", "ROWS"}
)
"""What textual-serve sets for the web driver."""


def session_environment(served: Mapping[str, str]) -> dict[str, str]:
    """``served`` (the server's environment plus textual-serve's settings) without what an app does not need.

    Credentials, agent sockets and tokens a user keeps in their shell stay with the server.
    """
    return {
        name: value
        for name, value in served.items()
        if name in _KEPT_NAMES or name in _SERVE_NAMES or name.startswith("LC_")
    }


class Session(AppService):
    """The app process behind one websocket, in its own process group with everything it starts."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[object]],
        download_manager: DownloadManager,
        export_dir: Path,
    ) -> None:
        async def close_tab() -> None:
            await close()

        super().__init__(
            shlex.join(argv),
            write_bytes=write_bytes,
            write_str=write_str,
            close=close_tab,
            download_manager=download_manager,
        )
        self._argv = list(argv)
        self._export_dir = export_dir
        # start() and close() in turn: a tab closed while its app is starting
        # still has that app ended, and a closed session never starts one.
        self._lifecycle = asyncio.Lock()
        self._closed = False
        self._closing: asyncio.Task[None] | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        # Exec, not a shell: the arguments reach the app exactly as given. A new
        # session: the terminal's Ctrl+C reaches only the server, which ends
        # each app in order, and the group holds the app's runners for the kill.
        self._process = process = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=PIPE,
            stdout=PIPE,
            stderr=PIPE,
            env={
                **session_environment(self._build_environment(width=width, height=height)),
                EXPORT_DIR_VARIABLE: str(self._export_dir),
            },
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """Relay the app's output until it exits, then close the tab's websocket (the page says so)."""
        await super().run()
        await self.remote_close()

    async def start(self, width: int, height: int) -> bool:  # type: ignore[override]
        """Start the app on a ``width`` x ``height`` screen; False if the session was closed first."""
        async with self._lifecycle:
            if self._closed:
                return False
            await super().start(width, height)
            return True

    def close(self) -> asyncio.Future[None]:
        """End the session (once, however often called): the app quits, or it and its runners are killed."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        return self._closing

    async def _close(self) -> None:
        async with self._lifecycle:
            self._closed = True
            if self._process is not None:
                await self._end_process(self._process)

    async def _end_process(self, process: Process) -> None:
        """Ask the app to quit; whatever of it and its runners is left after the grace periods is killed."""
        descendants = _descendants(process.pid)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + QUIT_GRACE_S
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop(), QUIT_GRACE_S)  # returns once the app's output has ended
        for sig, grace in (
            (None, deadline - loop.time()),
            (signal.SIGTERM, TERM_GRACE_S),
            (signal.SIGKILL, TERM_GRACE_S),
        ):
            if sig is not None:
                _signal_group(process.pid, sig)
            if await _exited(process, grace):
                break
        # The app is gone; its runners may not be (a crashed app never stopped them).
        await asyncio.to_thread(_end_processes, process.pid, descendants)
        # Read what is left in its pipes: a pipe whose buffer filled after the tab stopped reading
        # (a large screen's frames) is paused and never sees its end, and a transport still open
        # when the server's loop closes prints asyncio's "Event loop is closed" traceback.
        with contextlib.suppress(TimeoutError):  # reaps it, once every holder of its pipes is gone
            await asyncio.wait_for(
                asyncio.gather(_discard(process.stdout), _discard(process.stderr), process.wait()), TERM_GRACE_S
            )


async def _discard(stream: asyncio.StreamReader | None) -> None:
    """Read ``stream`` to its end, if nobody else is reading it (textual-serve's relay may still be)."""
    if stream is None:
        return
    with contextlib.suppress(RuntimeError, OSError):  # RuntimeError: another reader is waiting on it
        while await stream.read(1 << 16):
            pass


async def _exited(process: Process, timeout: float) -> bool:
    """Whether the process exits within ``timeout`` seconds.

    Polls its return code: ``Process.wait()`` also waits for its pipes to close,
    which a runner that inherited one may hold open long after the app is gone.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while process.returncode is None and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    return process.returncode is not None


def _descendants(pid: int) -> list[psutil.Process]:
    """The process's descendants now: a runner the app's end orphans is still found through this list."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _signal_group(group: int, sig: int) -> bool:
    """Signal every process in the group (0: only check); False if none is left."""
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _end_processes(group: int, known: list[psutil.Process]) -> None:
    """SIGTERM, then SIGKILL, whatever is left of the group and of the known processes (none is our child)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        group_left = _signal_group(group, sig)
        alive = [p for p in known if p.is_running()]
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(sig)
        _, alive = psutil.wait_procs(alive, timeout=TERM_GRACE_S)
        if not alive and not (group_left and _signal_group(group, 0)):
            return
