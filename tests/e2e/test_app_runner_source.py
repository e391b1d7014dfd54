"""The app's asyncio side of the load process: events, a stop, a kill -9, and nothing left behind."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal

import psutil
import pytest

from nimsync_tui.core.protocol import IntervalRecord, RunEnded, RunStarted
from nimsync_tui.errors import RunnerError
from nimsync_tui.monitor.source import RunnerSource
from nimsync_tui.run.config import Overrides, RunSpec, plan_runs

pytestmark = pytest.mark.asyncio


def _continuous() -> RunSpec:
    (spec,) = plan_runs("spsc-throughput", Overrides(), interval_s=0.1)
    return dataclasses.replace(spec, params=dataclasses.replace(spec.params, iterations=None))


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_stop_ends_the_load_with_its_last_interval() -> None:
    source = RunnerSource(_continuous())
    kinds = []
    async with contextlib.aclosing(source.events()) as events:
        async for event in events:
            kinds.append(type(event))
            if isinstance(event, IntervalRecord) and event.phase == "measure":
                source.stop()
            if isinstance(event, RunEnded):
                assert event.status == "stopped"
    assert kinds[0] is RunStarted and kinds[-1] is RunEnded
    assert source.pid is not None and _gone(source.pid)


async def _read_killing_at_the_first_interval(source: RunnerSource) -> None:
    async with contextlib.aclosing(source.events()) as events:
        async for event in events:
            if isinstance(event, IntervalRecord):
                assert source.pid is not None
                os.kill(source.pid, signal.SIGKILL)


async def test_a_killed_runner_is_an_error_naming_the_signal() -> None:
    source = RunnerSource(_continuous())
    with pytest.raises(RunnerError, match="killed by signal 9"):
        await _read_killing_at_the_first_interval(source)


async def test_leaving_early_stops_and_if_need_be_kills_the_runner() -> None:
    source = RunnerSource(_continuous(), grace_s=0.0)  # no grace: the kill path

    async def read() -> None:
        async for _ in source.events():
            pass

    task = asyncio.create_task(read())
    while source.pid is None:
        await asyncio.sleep(0.05)
    pid = source.pid
    await asyncio.sleep(0.5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert _gone(pid)
