"""Random programs against a channel: exactly-once delivery and per-producer FIFO.

Hypothesis draws a channel (mode, capacity 0..3, yield_every) and a program of
sends, receives (plain, nowait and batched), cancellations and closes. Each
blocking operation runs in its own task; after every step the program waits
until all tasks are blocked, so the outcome of every operation is settled
before the next step, and the channel's statistics can be checked against
what the tasks saw.

At the end every pending operation is cancelled, the channel closed and
drained. Then every item whose send succeeded (or, for ``send_many``, every
item within ``progress.sent``) must have been received exactly once, nothing
else received, and each producer's items received in the order sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import trio
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from trio.testing import wait_all_tasks_blocked

from nimsync_tui.channels import (
    ChannelClosed,
    ChannelMode,
    EndOfChannel,
    SendProgress,
    create_channel,
)

PRODUCERS = 3
KINDS = (
    ["send"] * 4
    + ["send_nowait"] * 2
    + ["send_many"] * 3
    + ["recv"] * 4
    + ["recv_nowait"] * 2
    + ["recv_many"] * 3
    + ["cancel"] * 3
    + ["close"]
)

Item = tuple[int, int]  # (producer, sequence number)


@dataclass
class Pending:
    """A blocking operation running in its own task."""

    side: str  # "send" or "recv"
    start: int  # the step that started it
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    done: bool = False


@dataclass
class World:
    mode: ChannelMode
    capacity: int
    step: int = 0
    next_seq: list[int] = field(default_factory=lambda: [0] * PRODUCERS)
    sent: list[Item] = field(default_factory=list)
    # (step completed, step started, items) per successful receive.
    received: list[tuple[int, int, list[Item]]] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    def new_items(self, producer: int, count: int) -> list[Item]:
        first = self.next_seq[producer]
        self.next_seq[producer] += count
        return [(producer, seq) for seq in range(first, first + count)]


async def run_program(mode: ChannelMode, capacity: int, yield_every: int, program: list[tuple[str, int]]) -> None:
    chan = create_channel(capacity, mode, yield_every=yield_every)
    world = World(mode, capacity)

    async def sender(op: Pending, items: list[Item], many: bool) -> None:
        progress = SendProgress()
        try:
            with op.scope:
                if many:
                    await chan.send_many(items, progress)
                else:
                    await chan.send(items[0])
                    progress.sent = 1
        except ChannelClosed:
            event("send_many: closed after part went through" if progress.sent else "send: closed")
        except trio.BusyResourceError:
            assert mode.single_producer
            assert progress.sent == 0
            event("send: busy")
        if op.scope.cancelled_caught:
            event(
                f"send{'_many' if many else ''}: cancelled"
                + (" after part went through" if 0 < progress.sent < len(items) else "")
            )
        world.sent.extend(items[: progress.sent])
        op.done = True

    async def receiver(op: Pending, max_items: int) -> None:
        try:
            with op.scope:
                if max_items:
                    items = await chan.recv_many(max_items)
                    assert 1 <= len(items) <= max_items
                else:
                    items = [await chan.recv()]
                world.received.append((world.step, op.start, items))
        except EndOfChannel:
            event("recv: end of channel")
        except trio.BusyResourceError:
            assert mode.single_consumer
            event("recv: busy")
        if op.scope.cancelled_caught:
            event("recv: cancelled")
        op.done = True

    async with trio.open_nursery() as nursery:
        for step, (kind, k) in enumerate(program):
            world.step = step
            producer = k % PRODUCERS
            if kind in ("send", "send_many"):
                items = world.new_items(producer, 1 if kind == "send" else k % 5)
                op = Pending("send", step)
                world.pending.append(op)
                nursery.start_soon(sender, op, items, kind == "send_many")
            elif kind == "send_nowait":
                (item,) = world.new_items(producer, 1)
                try:
                    chan.send_nowait(item)
                except (trio.WouldBlock, ChannelClosed):
                    pass
                else:
                    world.sent.append(item)
            elif kind in ("recv", "recv_many"):
                op = Pending("recv", step)
                world.pending.append(op)
                nursery.start_soon(receiver, op, 0 if kind == "recv" else 1 + k % 4)
            elif kind == "recv_nowait":
                try:
                    item = chan.recv_nowait()
                except (trio.WouldBlock, EndOfChannel):
                    pass
                else:
                    world.received.append((step, step, [item]))
            elif kind == "cancel":
                live = [op for op in world.pending if not op.done]
                if live:
                    live[k % len(live)].scope.cancel()
            else:
                chan.close()
            await wait_all_tasks_blocked()
            check_settled(chan, world)

        world.step = len(program)
        for op in world.pending:
            op.scope.cancel()
        await wait_all_tasks_blocked()
        check_settled(chan, world)

    chan.close()
    world.step = len(program) + 1
    while True:
        try:
            item = chan.recv_nowait()
        except EndOfChannel:
            break
        world.received.append((world.step, world.step, [item]))
    check_final(chan, world)


def check_settled(chan: Any, world: World) -> None:
    stats = chan.statistics()
    live = [op for op in world.pending if not op.done]
    assert stats.senders_waiting == sum(op.side == "send" for op in live)
    assert stats.receivers_waiting == sum(op.side == "recv" for op in live)
    assert stats.buffered == len(chan) <= world.capacity
    assert not (stats.senders_waiting and stats.receivers_waiting)
    if stats.receivers_waiting:
        assert stats.buffered == 0
    if stats.senders_waiting:
        assert stats.buffered == world.capacity
    if stats.closed:
        assert not live
    assert stats.total_received == sum(len(items) for _, _, items in world.received)
    assert stats.total_sent - stats.total_received == stats.buffered
    # Items of a parked send_many may be through before its task knows it.
    assert stats.total_sent >= len(world.sent)


def check_final(chan: Any, world: World) -> None:
    in_order = [item for _, _, items in sorted(world.received, key=lambda r: r[:2]) for item in items]
    assert len(in_order) == len(set(in_order)), "an item was received twice"
    assert sorted(in_order) == sorted(world.sent), "lost, or received but never sent"
    last = [-1] * PRODUCERS
    for producer, seq in in_order:
        assert seq > last[producer], f"producer {producer} out of order"
        last[producer] = seq
    stats = chan.statistics()
    assert stats.total_sent == stats.total_received == len(world.sent)
    assert stats.buffered == stats.senders_waiting == stats.receivers_waiting == 0


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    mode=st.sampled_from(list(ChannelMode)),
    capacity=st.integers(0, 3),
    yield_every=st.sampled_from([1, 2, 3, 128]),
    program=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 11)), max_size=40),
)
def test_random_programs_deliver_exactly_once_in_order(
    mode: ChannelMode, capacity: int, yield_every: int, program: list[tuple[str, int]]
) -> None:
    trio.run(run_program, mode, capacity, yield_every, program)
