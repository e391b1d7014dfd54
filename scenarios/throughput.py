"""Throughput scenarios: items pushed through a channel as fast as it goes.

Timing every item would cost more than the 5 % the instrument may take
(two clock reads and a record next to a 0.36 µs send/recv pair), so the
throughput loads time one item, or one batch, in ``sample_every``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from time import perf_counter_ns

from nimsync_tui.channels import ChannelMode

from ._ends import Receive, fan_out, is_end
from ._impls import open_ends
from ._loop import open_group
from ._scenario import Load, Params, Scenario


async def _spsc(load: Load, params: Params, count: int | None) -> None:
    ends = open_ends(params.impl, params.capacity, ChannelMode.SPSC, params.yield_every)
    batch = params.sample_every
    timed = load.probe is not None
    # Which item of a batch carries the timestamp is drawn at random, the
    # same way on both sides (twin generators from one seed), so the consumer
    # knows it by position. A fixed position would sit at one phase of the
    # channel's periodic checkpoint (64 divides 128) and never time the items
    # that wait across a yield.
    seed = random.getrandbits(64)

    async def produce() -> None:
        send = ends.send
        offsets = random.Random(seed)
        remaining = count
        while remaining is None or remaining > 0:
            n = batch if remaining is None else min(batch, remaining)
            stamp_at = offsets.randrange(n)
            for i in range(stamp_at):
                await send(i)
            await send(perf_counter_ns() if timed else 0)
            for i in range(n - 1 - stamp_at):
                await send(i)
            if remaining is not None:
                remaining -= n
        await ends.close()

    async def consume() -> None:
        recv = ends.recv
        record = load.probe.record if load.probe is not None else None
        offsets = random.Random(seed)
        remaining = count
        while remaining is None or remaining > 0:
            n = batch if remaining is None else min(batch, remaining)
            stamp_at = offsets.randrange(n)
            await _receive(recv, stamp_at)
            stamp = await recv()
            if record is not None:
                record(perf_counter_ns() - stamp)
            await _receive(recv, n - 1 - stamp_at)
            load.ops += n
            if remaining is not None:
                remaining -= n

    async with open_group() as group:
        group.start_soon(produce)
        group.start_soon(consume)


async def mpmc_load(load: Load, params: Params, count: int | None) -> None:
    """``params.producers`` senders share ``count`` items; ``params.consumers`` receivers time batches."""
    ends = open_ends(params.impl, params.capacity, ChannelMode.MPMC, params.yield_every)
    batch = params.sample_every
    shares = _split(count, params.producers)
    senders, receivers = fan_out(ends, params.producers, params.consumers)

    async def produce(
        send: Callable[[int], Awaitable[None]], close: Callable[[], Awaitable[None]], share: int | None
    ) -> None:
        if share is None:
            while True:
                for i in range(batch):
                    await send(i)
        else:
            for i in range(share):
                await send(i)
        # Each producer closes its own end: the channel ends with the last.
        await close()

    async def consume(recv: Receive) -> None:
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

    async with open_group() as group:
        for recv in receivers:
            group.start_soon(consume, recv)
        for (send, close), share in zip(senders, shares, strict=True):
            group.start_soon(produce, send, close, share)


async def pair_batches(load: Load, params: Params, count: int | None) -> None:
    """One task sends then receives, ``count`` pairs in batches of ``sample_every``; each batch timed.

    Besides the histogram of batch times it keeps exact statistics of the
    per-batch throughput (Welford's running mean and variance) in
    ``load.metrics``: the suite's stability figures, not rounded by buckets.
    """
    ends = open_ends(params.impl, params.capacity, ChannelMode.SPSC, params.yield_every)
    send, recv = ends.send, ends.recv
    record = load.probe.record if load.probe is not None else None
    batch = params.sample_every
    batches, mean, m2 = 0, 0.0, 0.0
    remaining = count
    try:
        while remaining is None or remaining > 0:
            n = batch if remaining is None else min(batch, remaining)
            started = perf_counter_ns()
            for i in range(n):
                await send(i)
                await recv()
            elapsed = perf_counter_ns() - started
            if record is not None:
                record(elapsed)
            load.ops += n
            if remaining is not None:
                remaining -= n
            rate = n * 1e9 / elapsed if elapsed > 0 else 0.0
            batches += 1
            delta = rate - mean
            mean += delta / batches
            m2 += delta * (rate - mean)
    finally:
        # Also when a deadline cancels the load mid-batch: the finished batches count.
        stddev = math.sqrt(m2 / (batches - 1)) if batches > 1 else None
        load.metrics.update(
            batches=float(batches),
            batch_throughput_mean_ops_s=mean if batches else None,
            batch_throughput_stddev_ops_s=stddev,
            batch_throughput_cv=stddev / mean if stddev is not None and batches >= 3 and mean > 0 else None,
        )
    await ends.close()


async def _receive(recv: Callable[[], Awaitable[object]], n: int) -> int:
    """Receive ``n`` items, or fewer if the channel ends first; return how many.

    No per-item counting: when the channel ends, the loop index says how far it got.
    """
    received = 0
    try:
        for received in range(n):  # noqa: B007 (after the loop it says how many arrived)
            await recv()
    except Exception as exc:
        if is_end(exc):
            return received
        raise
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
    title="SPSC channel throughput",
    category="Throughput",
    summary="one producer, one consumer, items through an SPSC channel as fast as it goes",
    measures="per-item time in the channel, send to receive (one item in {sample_every} timed, at a random place)",
    operation="item",
    defaults=Params(capacity=1024, iterations=1_000_000, warmup=10_000),
    tunable=_TUNABLE,
    body=_spsc,
)

MPMC_THROUGHPUT = Scenario(
    name="mpmc-throughput",
    title="MPMC channel throughput",
    category="Throughput",
    summary="4 producers, 4 consumers, items through an MPMC channel as fast as it goes",
    measures="time for one consumer to receive a batch of {sample_every} items",
    operation="item",
    defaults=Params(capacity=2048, producers=4, consumers=4, iterations=2_000_000, warmup=10_000),
    tunable=_TUNABLE | {"producers", "consumers"},
    body=mpmc_load,
    needs=frozenset({"send", "receive", "close", "clone"}),
)
