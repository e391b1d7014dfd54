"""Throughput scenarios: items pushed through a channel as fast as it goes.

Timing every item would cost more than the 5 % the instrument may take
(two clock reads and a record next to a 0.36 µs send/recv pair), so the
throughput loads time one item, or one batch, in ``sample_every``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter_ns

import trio

from nimsync_tui.channels import ChannelMode

from ._ends import END_OF_CHANNEL, open_ends
from ._scenario import Load, Params, Scenario


async def _spsc(load: Load, params: Params, count: int | None) -> None:
    ends = open_ends(params.impl, params.capacity, ChannelMode.SPSC, params.yield_every)
    batch = params.sample_every
    timed = load.probe is not None

    async def produce() -> None:
        send = ends.send
        remaining = count
        # Each batch opens with a send timestamp; with one FIFO producer the
        # consumer knows by position which items are stamps, so plain items
        # need no tag and no check.
        while remaining is None or remaining > 0:
            n = batch if remaining is None else min(batch, remaining)
            await send(perf_counter_ns() if timed else 0)
            for i in range(n - 1):
                await send(i)
            if remaining is not None:
                remaining -= n
        ends.close()

    async def consume() -> None:
        recv = ends.recv
        record = load.probe.record if load.probe is not None else None
        while True:
            try:
                stamp = await recv()
            except END_OF_CHANNEL:
                return
            if record is not None:
                record(perf_counter_ns() - stamp)
            rest = await _receive(recv, batch - 1)
            load.ops += 1 + rest
            if rest < batch - 1:
                return

    async with trio.open_nursery() as nursery:
        nursery.start_soon(produce)
        nursery.start_soon(consume)


async def _mpmc(load: Load, params: Params, count: int | None) -> None:
    ends = open_ends(params.impl, params.capacity, ChannelMode.MPMC, params.yield_every)
    batch = params.sample_every
    shares = _split(count, params.producers)

    async def produce(share: int | None) -> None:
        send = ends.send
        if share is None:
            while True:
                for i in range(batch):
                    await send(i)
        else:
            for i in range(share):
                await send(i)

    async def consume() -> None:
        recv = ends.recv
        record = load.probe.record if load.probe is not None else None
        # Items from many producers interleave, so no item can carry a stamp
        # that a consumer could find by position: time whole batches instead.
        while True:
            started = perf_counter_ns() if record is not None else 0
            received = await _receive(recv, batch)
            load.ops += received
            if received < batch:
                return
            if record is not None:
                record(perf_counter_ns() - started)

    async with trio.open_nursery() as consumers:
        for _ in range(params.consumers):
            consumers.start_soon(consume)
        async with trio.open_nursery() as producers:
            for share in shares:
                producers.start_soon(produce, share)
        ends.close()


async def _receive(recv: Callable[[], Awaitable[object]], n: int) -> int:
    """Receive ``n`` items, or fewer if the channel ends first; return how many.

    No per-item counting: when the channel ends, the loop index says how far it got.
    """
    received = 0
    try:
        for received in range(n):  # noqa: B007 (after the loop it says how many arrived)
            await recv()
    except END_OF_CHANNEL:
        return received
    return n


def _split(count: int | None, parts: int) -> list[int | None]:
    """Divide ``count`` items among ``parts`` producers as evenly as possible."""
    if count is None:
        return [None] * parts
    base, extra = divmod(count, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


_TUNABLE = frozenset({"impl", "capacity", "iterations", "warmup", "yield_every", "sample_every"})

SPSC_THROUGHPUT = Scenario(
    name="spsc-throughput",
    summary="one producer, one consumer, items through an SPSC channel as fast as it goes",
    measures="per-item time in the channel, send to receive (one item in {sample_every} timed)",
    operation="item",
    defaults=Params(capacity=1024, iterations=1_000_000, warmup=10_000),
    tunable=_TUNABLE,
    body=_spsc,
)

MPMC_THROUGHPUT = Scenario(
    name="mpmc-throughput",
    summary="4 producers, 4 consumers, items through an MPMC channel as fast as it goes",
    measures="time for one consumer to receive a batch of {sample_every} items",
    operation="item",
    defaults=Params(capacity=2048, producers=4, consumers=4, iterations=2_000_000, warmup=10_000),
    tunable=_TUNABLE | {"producers", "consumers"},
    body=_mpmc,
)
