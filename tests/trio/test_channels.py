"""The channel's contract: buffering, waking, closing, cancellation, checkpoints, modes."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
from trio.testing import assert_checkpoints, assert_no_checkpoints, wait_all_tasks_blocked

from nimsync_tui.channels import (
    DEFAULT_YIELD_EVERY,
    Channel,
    ChannelClosed,
    ChannelMode,
    ChannelStatistics,
    EndOfChannel,
    SendProgress,
    create_channel,
)

ALL_MODES = list(ChannelMode)


class Op:
    """One channel operation run in its own task, so a test can watch it park."""

    def __init__(self) -> None:
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.scope = trio.CancelScope()

    async def _run(self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        with self.scope:
            try:
                self.result = await fn(*args)
            except BaseException as exc:
                if isinstance(exc, trio.Cancelled):
                    self.error = exc
                    self.done = True
                    raise
                self.error = exc
        self.done = True


async def start(nursery: trio.Nursery, fn: Callable[..., Awaitable[Any]], *args: Any) -> Op:
    """Start ``fn(*args)`` and wait until every task is blocked."""
    op = Op()
    nursery.start_soon(op._run, fn, args)
    await wait_all_tasks_blocked()
    return op


# ---------------------------------------------------------------- creation


def test_create_channel_validates_arguments() -> None:
    with pytest.raises(ValueError, match="capacity"):
        create_channel(-1)
    with pytest.raises(TypeError, match="capacity"):
        create_channel(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="capacity"):
        create_channel(True)
    with pytest.raises(ValueError, match="yield_every"):
        create_channel(1, yield_every=0)
    with pytest.raises(TypeError, match="yield_every"):
        create_channel(1, yield_every=2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mode"):
        create_channel(1, "spsc")  # type: ignore[arg-type]


def test_channel_has_no_public_constructor() -> None:
    with pytest.raises(TypeError, match="no public constructor"):
        Channel(1, ChannelMode.SPSC, 1)


def test_properties_len_and_statistics_record() -> None:
    chan = create_channel(3, ChannelMode.MPSC, yield_every=7)
    assert chan.capacity == 3
    assert chan.mode is ChannelMode.MPSC
    assert chan.yield_every == 7
    assert create_channel(0).mode is ChannelMode.MPMC
    assert create_channel(0).yield_every == DEFAULT_YIELD_EVERY
    chan.send_nowait("a")
    chan.send_nowait("b")
    assert len(chan) == 2
    stats = chan.statistics()
    assert stats == ChannelStatistics(
        buffered=2,
        capacity=3,
        senders_waiting=0,
        receivers_waiting=0,
        total_sent=2,
        total_received=0,
        closed=False,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.buffered = 5  # type: ignore[misc]
    assert "MPSC" in repr(chan)


def test_mode_sides() -> None:
    assert [m.single_producer for m in ALL_MODES] == [True, False, True, False]
    assert [m.single_consumer for m in ALL_MODES] == [True, True, False, False]


def test_exceptions_subclass_trio_ones() -> None:
    assert issubclass(ChannelClosed, trio.ClosedResourceError)
    assert issubclass(EndOfChannel, trio.EndOfChannel)


def test_package_never_imports_textual_or_the_app() -> None:
    code = (
        "import sys, channels; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'nimsync_tui', 'scenarios')]; "
        "assert not bad, bad"
    )
    repo = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo)


# ---------------------------------------------------------------- buffering


@pytest.mark.parametrize("capacity", [1, 2, 5])
def test_capacity_is_exact(capacity: int) -> None:
    chan = create_channel(capacity)
    for i in range(capacity):
        chan.send_nowait(i)
    with pytest.raises(trio.WouldBlock):
        chan.send_nowait("one too many")
    assert [chan.recv_nowait() for _ in range(capacity)] == list(range(capacity))
    with pytest.raises(trio.WouldBlock):
        chan.recv_nowait()


@pytest.mark.trio
async def test_fifo_through_the_buffer_and_parked_senders() -> None:
    chan = create_channel(4, ChannelMode.SPSC, yield_every=3)
    received: list[int] = []

    async def consumer() -> None:
        async for item in chan:
            received.append(item)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(consumer)
        for i in range(100):
            await chan.send(i)
        chan.close()
    assert received == list(range(100))


@pytest.mark.trio
async def test_full_channel_parks_send_until_room() -> None:
    chan = create_channel(1)
    await chan.send(1)
    async with trio.open_nursery() as nursery:
        op = await start(nursery, chan.send, 2)
        assert not op.done
        assert chan.statistics().senders_waiting == 1
        assert chan.statistics().total_sent == 1  # the parked item is not sent yet
        assert await chan.recv() == 1
        # The parked item moved into the freed slot as part of that recv.
        assert len(chan) == 1
        assert chan.statistics().total_sent == 2
        await wait_all_tasks_blocked()
        assert op.done and op.error is None
        assert await chan.recv() == 2


@pytest.mark.trio
async def test_rendezvous_send_completes_only_when_taken() -> None:
    chan = create_channel(0)
    with pytest.raises(trio.WouldBlock):
        chan.send_nowait(1)
    async with trio.open_nursery() as nursery:
        op = await start(nursery, chan.send, "x")
        assert not op.done
        assert len(chan) == 0
        assert chan.recv_nowait() == "x"
        await wait_all_tasks_blocked()
        assert op.done and op.error is None
        # And the other way round: a parked receiver makes send_nowait succeed.
        rop = await start(nursery, chan.recv)
        chan.send_nowait("y")
        await wait_all_tasks_blocked()
        assert rop.result == "y"
    assert chan.statistics().total_sent == chan.statistics().total_received == 2


@pytest.mark.trio
async def test_parked_receivers_are_woken_fifo() -> None:
    chan = create_channel(2, ChannelMode.MPMC)
    async with trio.open_nursery() as nursery:
        ops = [await start(nursery, chan.recv) for _ in range(4)]
        assert chan.statistics().receivers_waiting == 4
        await chan.send_many(["a", "b", "c"])
        await wait_all_tasks_blocked()
        assert [op.result for op in ops[:3]] == ["a", "b", "c"]
        assert not ops[3].done
        await chan.send("d")
        await wait_all_tasks_blocked()
        assert ops[3].result == "d"
        assert len(chan) == 0


@pytest.mark.trio
async def test_parked_senders_are_woken_fifo() -> None:
    chan = create_channel(1, ChannelMode.MPMC)
    chan.send_nowait(0)
    async with trio.open_nursery() as nursery:
        ops = [await start(nursery, chan.send, i) for i in range(1, 4)]
        assert chan.statistics().senders_waiting == 3
        assert [await chan.recv() for _ in range(4)] == [0, 1, 2, 3]
        await wait_all_tasks_blocked()
        assert all(op.done and op.error is None for op in ops)


# ---------------------------------------------------------------- batches


@pytest.mark.trio
async def test_send_many_fills_then_waits_for_room() -> None:
    chan = create_channel(3)
    async with trio.open_nursery() as nursery:
        progress = SendProgress()
        op = await start(nursery, chan.send_many, range(7), progress)
        assert len(chan) == 3 and not op.done
        assert await chan.recv_many(2) == [0, 1]
        assert len(chan) == 3  # refilled from the parked batch
        assert await chan.recv_many(10) == [2, 3, 4, 5, 6]
        await wait_all_tasks_blocked()
        assert op.done and op.error is None and progress.sent == 7
    assert chan.statistics().total_received == 7


@pytest.mark.trio
async def test_recv_many_waits_for_one_item_and_takes_what_is_there() -> None:
    chan = create_channel(8)
    async with trio.open_nursery() as nursery:
        op = await start(nursery, chan.recv_many, 5)
        assert not op.done
        await chan.send_many([1, 2, 3, 4, 5, 6, 7])
        await wait_all_tasks_blocked()
        # Handed directly to the parked receiver, up to its max; the rest buffered.
        assert op.result == [1, 2, 3, 4, 5]
        assert len(chan) == 2
    assert await chan.recv_many(5) == [6, 7]
    with pytest.raises(ValueError, match="max_items"):
        await chan.recv_many(0)


@pytest.mark.trio
@pytest.mark.parametrize("yield_every", [1, 3])
async def test_send_hands_one_item_to_a_parked_receiver_as_the_contract_says(yield_every: int) -> None:
    # send's own hand-over path (not _deliver): a parked recv gets the item,
    # a parked recv_many a one-item list, in the order they parked; the
    # send is a checkpoint exactly when its turn is due, and the budget and
    # the counts stay right.
    chan = create_channel(4, ChannelMode.MPMC, yield_every=yield_every)
    async with trio.open_nursery() as nursery:
        single = await start(nursery, chan.recv)
        many = await start(nursery, chan.recv_many, 5)
        count = 0
        for item, op in (("x", single), ("y", many)):
            count += 1
            due = count % yield_every == 0
            with assert_checkpoints() if due else assert_no_checkpoints():
                await chan.send(item)
            await wait_all_tasks_blocked()
            assert op.done and op.error is None
        assert (single.result, many.result) == ("x", ["y"])
        # Nobody parked any more: the hot path is back and buffers.
        count += 1
        with assert_checkpoints() if count % yield_every == 0 else assert_no_checkpoints():
            await chan.send("z")
        assert len(chan) == 1
    assert chan.statistics().total_sent == 3 and chan.statistics().total_received == 2


@pytest.mark.trio
async def test_recv_many_on_rendezvous_takes_from_several_parked_senders() -> None:
    chan = create_channel(0, ChannelMode.MPMC)
    async with trio.open_nursery() as nursery:
        a = await start(nursery, chan.send_many, ["a1", "a2"])
        b = await start(nursery, chan.send, "b")
        c = await start(nursery, chan.send, "c")
        assert await chan.recv_many(3) == ["a1", "a2", "b"]
        await wait_all_tasks_blocked()
        assert a.done and b.done and not c.done
        assert chan.recv_nowait() == "c"


@pytest.mark.trio
async def test_send_many_empty_and_generator_inputs() -> None:
    chan = create_channel(4)
    progress = SendProgress()
    await chan.send_many([], progress)
    assert progress.sent == 0
    await chan.send_many((x * x for x in range(3)), progress)
    assert progress.sent == 3
    assert await chan.recv_many(9) == [0, 1, 4]


# ---------------------------------------------------------------- close


@pytest.mark.trio
async def test_close_is_idempotent_and_drains_then_ends() -> None:
    chan = create_channel(3)
    await chan.send_many([1, 2])
    chan.close()
    chan.close()
    assert chan.statistics().closed
    with pytest.raises(ChannelClosed):
        await chan.send(3)
    with pytest.raises(ChannelClosed):
        chan.send_nowait(3)
    with pytest.raises(ChannelClosed):
        await chan.send_many([3])
    assert await chan.recv() == 1
    assert chan.recv_nowait() == 2
    with pytest.raises(EndOfChannel):
        await chan.recv()
    with pytest.raises(EndOfChannel):
        chan.recv_nowait()
    with pytest.raises(EndOfChannel):
        await chan.recv_many(3)
    # The trio idiom works too.
    with pytest.raises(trio.EndOfChannel):
        await chan.recv()


@pytest.mark.trio
async def test_close_wakes_parked_senders_without_sending() -> None:
    chan = create_channel(1, ChannelMode.MPMC)
    chan.send_nowait("kept")
    async with trio.open_nursery() as nursery:
        one = await start(nursery, chan.send, "dropped")
        progress = SendProgress()
        many = await start(nursery, chan.send_many, ["m1", "m2"], progress)
        chan.close()
        await wait_all_tasks_blocked()
    assert isinstance(one.error, ChannelClosed)
    assert isinstance(many.error, ChannelClosed) and progress.sent == 0
    assert [item async for item in chan] == ["kept"]
    assert chan.statistics().total_sent == 1


@pytest.mark.trio
async def test_close_wakes_parked_receivers_with_end_of_channel() -> None:
    chan = create_channel(2, ChannelMode.MPMC)
    async with trio.open_nursery() as nursery:
        ops = [await start(nursery, fn) for fn in (chan.recv, lambda: chan.recv_many(3))]
        chan.close()
        await wait_all_tasks_blocked()
    assert all(isinstance(op.error, EndOfChannel) for op in ops)
    assert chan.statistics().receivers_waiting == 0


@pytest.mark.trio
async def test_async_for_ends_on_close() -> None:
    chan = create_channel(0)
    got: list[int] = []

    async def consumer() -> None:
        async for item in chan:
            got.append(item)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(consumer)
        for i in range(5):
            await chan.send(i)
        await wait_all_tasks_blocked()
        chan.close()
    assert got == list(range(5))


# ---------------------------------------------------------------- cancellation


@pytest.mark.trio
async def test_cancelled_send_did_not_send() -> None:
    chan = create_channel(1)
    chan.send_nowait("first")
    async with trio.open_nursery() as nursery:
        op = await start(nursery, chan.send, "never")
        op.scope.cancel()
        await wait_all_tasks_blocked()
    assert isinstance(op.error, trio.Cancelled)
    assert chan.statistics().senders_waiting == 0
    assert chan.statistics().total_sent == 1
    assert chan.recv_nowait() == "first"
    with pytest.raises(trio.WouldBlock):
        chan.recv_nowait()


@pytest.mark.trio
async def test_cancelled_recv_took_nothing() -> None:
    chan = create_channel(1, ChannelMode.SPSC)
    async with trio.open_nursery() as nursery:
        op = await start(nursery, chan.recv)
        op.scope.cancel()
        await wait_all_tasks_blocked()
        assert isinstance(op.error, trio.Cancelled)
        # The fast path works again (no stale parked receiver to hand to) ...
        await chan.send("kept")
        assert len(chan) == 1
        # ... and the single-consumer side admits a new waiter.
        assert await chan.recv() == "kept"
        op2 = await start(nursery, chan.recv)
        await chan.send("next")
        await wait_all_tasks_blocked()
        assert op2.result == "next"


@pytest.mark.trio
async def test_hot_path_is_restored_after_parked_receivers_leave() -> None:
    # White-box: a stale "receivers are parked" mark would not lose items, it
    # would only send everything down the slow path; nothing public shows it.
    chan = create_channel(4, ChannelMode.MPMC)
    async with trio.open_nursery() as nursery:
        served = await start(nursery, chan.recv)
        cancelled = await start(nursery, chan.recv)
        assert chan._send_limit == 0
        await chan.send("x")
        await wait_all_tasks_blocked()
        assert served.result == "x"
        assert chan._send_limit == 0  # one receiver is still parked
        cancelled.scope.cancel()
        await wait_all_tasks_blocked()
        assert chan._send_limit == 4
        await start(nursery, chan.recv)
        assert chan._send_limit == 0
        chan.close()
    assert chan._send_limit == 0


@pytest.mark.trio
async def test_cancelled_send_many_reports_what_went_through() -> None:
    chan = create_channel(2)
    progress = SendProgress()
    async with trio.open_nursery() as nursery:
        op = await start(nursery, chan.send_many, list(range(6)), progress)
        # 2 from the buffer, 1 straight from the parked batch, and 2 more
        # moved into the buffer: 5 of 6 are through.
        assert await chan.recv_many(3) == [0, 1, 2]
        op.scope.cancel()
        await wait_all_tasks_blocked()
    assert isinstance(op.error, trio.Cancelled)
    assert progress.sent == 5
    assert chan.statistics().total_sent == 5
    assert await chan.recv_many(10) == [3, 4]
    with pytest.raises(trio.WouldBlock):
        chan.recv_nowait()


@pytest.mark.trio
async def test_send_many_cancelled_before_anything_went_through() -> None:
    chan = create_channel(0)
    progress = SendProgress()
    progress.sent = 99
    with trio.CancelScope() as scope:
        scope.cancel()
        await chan.send_many([1, 2], progress)  # parks, so a cancel point
    assert scope.cancelled_caught
    assert progress.sent == 0
    assert chan.statistics().total_sent == 0


@pytest.mark.trio
async def test_cancellation_at_the_due_checkpoint_sends_nothing() -> None:
    chan = create_channel(10, yield_every=3)
    with trio.CancelScope() as scope:
        scope.cancel()
        await chan.send(1)  # not due: not a cancel point
        await chan.send(2)
        await chan.send(3)  # due: raises before sending
    assert scope.cancelled_caught
    assert chan.recv_nowait() == 1 and chan.recv_nowait() == 2
    assert chan.statistics().total_sent == 2


# ---------------------------------------------------------------- checkpoints


@pytest.mark.trio
async def test_yield_every_1_makes_every_operation_a_checkpoint() -> None:
    chan = create_channel(10, yield_every=1)
    for _ in range(3):
        with assert_checkpoints():
            await chan.send(1)
        with assert_checkpoints():
            await chan.send_many([2, 3])
        with assert_checkpoints():
            assert await chan.recv() == 1
        with assert_checkpoints():
            assert await chan.recv_many(2) == [2, 3]


@pytest.mark.trio
@pytest.mark.parametrize("n", [2, 3, 5, DEFAULT_YIELD_EVERY])
async def test_every_nth_operation_per_side_is_a_checkpoint(n: int) -> None:
    chan = create_channel(10 * n, yield_every=n)
    rng = random.Random(n)
    count = {"send": 0, "recv": 0}
    single: dict[str, Callable[[], Awaitable[Any]]] = {
        "send": lambda: chan.send(0),
        "recv": chan.recv,
    }
    batch: dict[str, Callable[[], Awaitable[Any]]] = {
        "send": lambda: chan.send_many([0, 0]),
        "recv": lambda: chan.recv_many(2),
    }
    for _ in range(6 * n):
        # Interleave the sides at random: each keeps its own count, and a
        # batch counts as one operation.
        can_send = len(chan) < 10 * n - 1
        side = "send" if not len(chan) or (can_send and rng.random() < 0.6) else "recv"
        op = (batch if rng.random() < 0.3 else single)[side]
        count[side] += 1
        if count[side] % n == 0:
            with assert_checkpoints():
                await op()
        else:
            with assert_no_checkpoints():
                await op()


@pytest.mark.trio
async def test_nowait_operations_never_yield() -> None:
    chan = create_channel(5, yield_every=1)
    with assert_no_checkpoints():
        for i in range(5):
            chan.send_nowait(i)
        for _ in range(5):
            chan.recv_nowait()


@pytest.mark.trio
async def test_an_operation_that_waits_is_a_checkpoint() -> None:
    chan = create_channel(0, yield_every=DEFAULT_YIELD_EVERY)

    async def later() -> None:
        await wait_all_tasks_blocked()
        assert await chan.recv() == "x"

    async with trio.open_nursery() as nursery:
        nursery.start_soon(later)
        with assert_checkpoints():
            await chan.send("x")


@pytest.mark.trio
async def test_parked_operations_do_not_poll(autojump_clock: trio.testing.MockClock) -> None:
    steps: dict[trio.lowlevel.Task, int] = {}

    class CountSteps(trio.abc.Instrument):
        def before_task_step(self, task: trio.lowlevel.Task) -> None:
            steps[task] = steps.get(task, 0) + 1

    chan = create_channel(0)
    async with trio.open_nursery() as nursery:
        op = await start(nursery, chan.recv)
        (receiver,) = list(nursery.child_tasks)
        trio.lowlevel.add_instrument(CountSteps())
        await trio.sleep(3600)  # an hour of (mock) time parked
        assert steps.get(receiver, 0) == 0
        await chan.send("wake")
        await wait_all_tasks_blocked()
        assert steps[receiver] == 1 and op.result == "wake"


@pytest.mark.trio
@pytest.mark.parametrize("n", [1, 4, 16])
async def test_fairness_bound_for_back_to_back_operations(n: int) -> None:
    # A task doing non-blocking sends runs at most n of them per task step,
    # i.e. between two of its schedule points; a peer runs in between.
    chan = create_channel(10_000, yield_every=n)
    me = trio.lowlevel.current_task()
    log: list[str] = []
    ticks = 0

    class MarkSteps(trio.abc.Instrument):
        def before_task_step(self, task: trio.lowlevel.Task) -> None:
            if task is me:
                log.append("|")

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await trio.lowlevel.checkpoint()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        await trio.lowlevel.checkpoint()
        trio.lowlevel.add_instrument(MarkSteps())
        ticks = 0
        for i in range(20 * n):
            await chan.send(i)
            log.append("s")
        nursery.cancel_scope.cancel()
    runs = [len(run) for run in "".join(log).split("|")]
    assert max(runs) == n
    assert ticks >= 19


# ---------------------------------------------------------------- modes


@pytest.mark.trio
@pytest.mark.parametrize("mode", ALL_MODES)
async def test_single_sides_admit_one_waiter(mode: ChannelMode) -> None:
    chan = create_channel(0, mode)
    async with trio.open_nursery() as nursery:
        first = await start(nursery, chan.send, "first")
        second = await start(nursery, chan.send, "second")
        if mode.single_producer:
            assert isinstance(second.error, trio.BusyResourceError)
            assert chan.statistics().senders_waiting == 1
        else:
            assert not second.done
        assert await chan.recv() == "first"
        if not mode.single_producer:
            assert await chan.recv() == "second"
        await wait_all_tasks_blocked()
        assert first.done and first.error is None

        first_r = await start(nursery, chan.recv)
        second_r = await start(nursery, chan.recv_many, 2)
        if mode.single_consumer:
            assert isinstance(second_r.error, trio.BusyResourceError)
        else:
            assert not second_r.done
        await chan.send("to first")
        if not mode.single_consumer:
            await chan.send("to second")
        await wait_all_tasks_blocked()
        assert first_r.result == "to first"
        if not mode.single_consumer:
            assert second_r.result == ["to second"]


@pytest.mark.trio
async def test_mpmc_many_producers_and_consumers_exactly_once() -> None:
    chan = create_channel(7, ChannelMode.MPMC, yield_every=3)
    got: list[tuple[int, int]] = []
    running = 4

    async def producer(p: int) -> None:
        nonlocal running
        for i in range(0, 200, 4):
            await chan.send_many([(p, i), (p, i + 1)])
            await chan.send((p, i + 2))
            await chan.send((p, i + 3))
        running -= 1
        if not running:
            chan.close()

    async def consumer(c: int) -> None:
        while True:
            try:
                batch = await chan.recv_many(3) if c % 2 else [await chan.recv()]
            except EndOfChannel:
                return
            got.extend(batch)

    async with trio.open_nursery() as nursery:
        for k in range(4):
            nursery.start_soon(consumer, k)
            nursery.start_soon(producer, k)
    assert sorted(got) == [(p, i) for p in range(4) for i in range(200)]
    stats = chan.statistics()
    assert stats.total_sent == stats.total_received == 800
