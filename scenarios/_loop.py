"""The event loop a load runs on, behind the few calls every scenario needs.

Scenarios are written once against this harness: a group of tasks
(:func:`open_group`), a deadline (:func:`move_on_at`), the loop's clock
(:func:`current_time`), and the two calls that sit on a hot path, ``sleep``
and ``checkpoint``, as the loop's own functions bound once per load
(:func:`current`), so that no dispatch runs between two timed operations.
Task groups and deadlines come from anyio, whose cancel scopes give asyncio
the structured cancellation Trio has; they run once per load, never per item.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import sniffio
import trio

T = TypeVar("T")

LOOPS = ("trio", "asyncio", "uvloop")
"""The event loops a load can run on (uvloop is asyncio with uvloop's loop; an optional extra)."""


@dataclass(frozen=True, slots=True)
class Loop:
    """One event loop's own functions, for the scenarios' hot paths."""

    name: str
    """One of :data:`LOOPS`."""
    sleep: Callable[[float], Awaitable[None]]
    """The loop's ``sleep``; ``sleep(0)`` is its smallest full yield."""
    checkpoint: Callable[[], Awaitable[None]]
    """Let other tasks run (and, on Trio, see a cancellation)."""


async def _asyncio_checkpoint() -> None:
    await asyncio.sleep(0)


_TRIO = Loop("trio", trio.sleep, trio.lowlevel.checkpoint)
_ASYNCIO = Loop("asyncio", asyncio.sleep, _asyncio_checkpoint)
_UVLOOP = Loop("uvloop", asyncio.sleep, _asyncio_checkpoint)


def current() -> Loop:
    """The loop the calling task runs on (call once per load, not per operation)."""
    if sniffio.current_async_library() == "trio":
        return _TRIO
    running = type(asyncio.get_running_loop())
    return _UVLOOP if running.__module__.startswith("uvloop") else _ASYNCIO


open_group = anyio.create_task_group
"""A group of tasks: ``async with open_group() as g: g.start_soon(fn, *args)``; ``g.cancel_scope.cancel()``."""

current_time = anyio.current_time
"""The loop's clock, in seconds (what deadlines are on)."""


def move_on_at(deadline: float) -> anyio.CancelScope:
    """A scope whose body is cancelled, quietly, at ``deadline`` on :func:`current_time`."""
    return anyio.CancelScope(deadline=deadline)


async def until_eof(fd: int) -> None:
    """Return once the pipe ``fd`` reaches end of file (what it carries is read and dropped); closes ``fd``."""
    os.set_blocking(fd, False)
    try:
        while True:
            await anyio.wait_readable(fd)
            try:
                if not os.read(fd, 4096):
                    return
            except BlockingIOError:
                continue
    finally:
        os.close(fd)


def run(loop: str, main: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``main(*args)`` to completion on ``loop`` (one of :data:`LOOPS`)."""
    if loop == "trio":
        return anyio.run(main, *args, backend="trio")
    return anyio.run(main, *args, backend="asyncio", backend_options={"use_uvloop": loop == "uvloop"})


def available(loop: str) -> str | None:
    """Why ``loop`` cannot run here, or ``None`` when it can."""
    if loop not in LOOPS:
        return f"--loop must be one of {', '.join(LOOPS)}, got {loop!r}"
    if loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        return "--loop uvloop needs the uvloop package: pip install 'nimsync-tui[uvloop]'"
    return None
