"""Operations that raise still spend the checkpoint budget; send_many leaves the caller's iterable alone.

A retry loop around an operation that keeps raising (recv on a closed empty
channel, send on a closed one, a second waiter on a single side) must reach
a checkpoint like any other run of operations: otherwise a cancelled task
spins forever and no other task runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import trio
from trio.testing import assert_checkpoints, assert_no_checkpoints, wait_all_tasks_blocked

from nimsync_tui.channels import Channel, ChannelClosed, ChannelMode, EndOfChannel, create_channel

YIELD_EVERY = 5

Failing = Callable[[Channel[Any]], Awaitable[Any]]
FAILING: dict[str, tuple[Failing, type[BaseException]]] = {
    "send on closed": (lambda c: c.send(1), ChannelClosed),
    "send_many on closed": (lambda c: c.send_many([1, 2]), ChannelClosed),
    "recv on closed empty": (lambda c: c.recv(), EndOfChannel),
    "recv_many on closed empty": (lambda c: c.recv_many(3), EndOfChannel),
}


async def calls_until_cancelled(op: Callable[[], Awaitable[Any]], error: type[BaseException]) -> int:
    """Call ``op`` in a cancelled scope, swallowing ``error``, until Cancelled lands; the number of calls."""
    calls = 0
    with trio.CancelScope() as scope:
        scope.cancel()
        while calls < 100 * YIELD_EVERY:
            calls += 1
            with contextlib.suppress(error):
                await op()
    assert scope.cancelled_caught, f"{calls} raising calls and never a checkpoint"
    return calls


@pytest.mark.trio
@pytest.mark.parametrize("case", FAILING)
async def test_a_raising_operation_spends_the_budget(case: str) -> None:
    fn, error = FAILING[case]
    chan = create_channel(4, yield_every=YIELD_EVERY)
    chan.close()
    assert await calls_until_cancelled(lambda: fn(chan), error) == YIELD_EVERY
    assert chan.statistics().total_sent == 0 and chan.statistics().total_received == 0


@pytest.mark.trio
@pytest.mark.parametrize("side", ["send", "recv"])
async def test_busy_resource_error_spends_the_budget(side: str) -> None:
    chan = create_channel(0, ChannelMode.SPSC, yield_every=YIELD_EVERY)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(chan.send if side == "send" else chan.recv, *(["parked"] if side == "send" else []))
        await wait_all_tasks_blocked()
        op = (lambda: chan.send("second")) if side == "send" else chan.recv
        # The parked task's own call spent a unit of this side's budget too.
        assert await calls_until_cancelled(op, trio.BusyResourceError) <= YIELD_EVERY
        nursery.cancel_scope.cancel()
    assert chan.statistics().total_sent == 0


@pytest.mark.trio
async def test_raising_and_succeeding_operations_share_one_count() -> None:
    chan = create_channel(10, yield_every=3)
    await chan.send(1)  # 1 of 3
    chan.close()
    with assert_no_checkpoints(), pytest.raises(ChannelClosed):
        await chan.send(2)  # 2 of 3
    with assert_checkpoints(), pytest.raises(ChannelClosed):
        await chan.send(3)  # 3 of 3: the checkpoint
    assert chan.statistics().total_sent == 1
    assert await chan.recv() == 1


@pytest.mark.trio
async def test_send_many_runs_the_callers_generator_unprotected() -> None:
    chan = create_channel(10)
    protected: list[bool] = []

    def items() -> Iterator[int]:
        for i in range(3):
            protected.append(trio.lowlevel.currently_ki_protected())
            yield i

    await chan.send_many(items())
    assert protected == [False, False, False]
    assert chan.recv_nowait() == 0


@pytest.mark.trio
async def test_a_cancelled_send_many_never_touches_the_generator() -> None:
    chan = create_channel(10, yield_every=1)  # every send_many is a cancellation point
    pulled: list[int] = []

    def items() -> Iterator[int]:
        for i in range(3):
            pulled.append(i)
            yield i

    with trio.CancelScope() as scope:
        scope.cancel()
        await chan.send_many(items())
    assert scope.cancelled_caught
    assert pulled == [] and chan.statistics().total_sent == 0
