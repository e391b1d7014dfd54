"""Throughput of :mod:`channels` against ``trio.open_memory_channel``.

Prints figures, asserts nothing. Every round runs every case once, one fresh
``trio.run`` each, so the two implementations share whatever the (shared,
noisy, 2-core) machine was doing at the time; each figure is the median of the
rounds.

    python benchmarks/channel_throughput.py [--rounds 5] [--items 200000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import trio

# Runnable as a plain script from a checkout, without installing the package.
from nimsync_tui.channels import DEFAULT_YIELD_EVERY, ChannelMode, create_channel

BATCH = 256


def timed(case: Callable[[int], Awaitable[None]], n: int) -> float:
    """Run ``case(n)`` in a fresh trio.run; return items per second."""

    async def main() -> float:
        start = time.perf_counter()
        await case(n)
        return n / (time.perf_counter() - start)

    gc.collect()
    return trio.run(main)


_batches: dict[int, list[list[int]]] = {}


def batches_of(n: int) -> list[list[int]]:
    """The producer's batches, built once and outside the timed region: the
    figure is the channel's cost, not the cost of building lists."""
    if n not in _batches:
        _batches[n] = [list(range(i, min(n, i + BATCH))) for i in range(0, n, BATCH)]
    return _batches[n]


# ------------------------------------------------------------------ SPSC


async def trio_spsc(n: int) -> None:
    send, recv = trio.open_memory_channel[int](1024)

    async def producer() -> None:
        for i in range(n):
            await send.send(i)

    async def consumer() -> None:
        for _ in range(n):
            await recv.receive()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(consumer)
        nursery.start_soon(producer)


def ours_spsc(yield_every: int) -> Callable[[int], Awaitable[None]]:
    async def case(n: int) -> None:
        chan = create_channel(1024, ChannelMode.SPSC, yield_every=yield_every)

        async def producer() -> None:
            send = chan.send
            for i in range(n):
                await send(i)

        async def consumer() -> None:
            recv = chan.recv
            for _ in range(n):
                await recv()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(consumer)
            nursery.start_soon(producer)

    return case


# ------------------------------------------------------------------ MPMC 4x4


async def trio_mpmc(n: int) -> None:
    send, recv = trio.open_memory_channel[int](2048)
    share = n // 4

    async def producer(send: trio.MemorySendChannel[int]) -> None:
        async with send:
            for i in range(share):
                await send.send(i)

    async def consumer(recv: trio.MemoryReceiveChannel[int]) -> None:
        async with recv:
            async for _ in recv:
                pass

    async with trio.open_nursery() as nursery, send, recv:
        for _ in range(4):
            nursery.start_soon(consumer, recv.clone())
            nursery.start_soon(producer, send.clone())


async def ours_mpmc(n: int) -> None:
    chan = create_channel(2048, ChannelMode.MPMC)
    share = n // 4
    running = 4

    async def producer() -> None:
        nonlocal running
        send = chan.send
        for i in range(share):
            await send(i)
        running -= 1
        if not running:
            chan.close()

    async def consumer() -> None:
        async for _ in chan:
            pass

    async with trio.open_nursery() as nursery:
        for _ in range(4):
            nursery.start_soon(consumer)
            nursery.start_soon(producer)


# ------------------------------------------------------------------ batches


async def ours_batches(n: int) -> None:
    chan = create_channel(1024, ChannelMode.SPSC)
    batches = batches_of(n)

    async def producer() -> None:
        send_many = chan.send_many
        for batch in batches:
            await send_many(batch)

    async def consumer() -> None:
        recv_many = chan.recv_many
        got = 0
        while got < n:
            got += len(await recv_many(BATCH))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(consumer)
        nursery.start_soon(producer)


# ------------------------------------------------------------------ ping-pong


def pingpong_p50_us(n: int) -> tuple[float, float]:
    """p50 of one send+recv pair in one task on a capacity-1 channel, and the
    p50 of an empty timed pair (the perf_counter_ns floor inside that figure)."""

    async def main() -> tuple[float, float]:
        chan = create_channel(1, ChannelMode.SPSC)
        send, recv, now = chan.send, chan.recv, time.perf_counter_ns
        pairs = [0] * n
        empty = [0] * n
        for i in range(n):
            t0 = now()
            await send(i)
            await recv()
            pairs[i] = now() - t0
        for i in range(n):
            t0 = now()
            empty[i] = now() - t0
        return statistics.median(pairs) / 1e3, statistics.median(empty) / 1e3

    gc.collect()
    return trio.run(main)


# ------------------------------------------------------------------ report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=200_000)
    args = parser.parse_args()
    n, rounds = args.items, args.rounds
    batches_of(n)

    cases: dict[str, Callable[[int], Awaitable[None]]] = {
        "trio spsc": trio_spsc,
        "ours spsc": ours_spsc(DEFAULT_YIELD_EVERY),
        "ours spsc y1": ours_spsc(1),
        "trio mpmc": trio_mpmc,
        "ours mpmc": ours_mpmc,
        "ours batch": ours_batches,
    }
    rates: dict[str, list[float]] = {name: [] for name in cases}
    p50s: list[float] = []
    floors: list[float] = []
    for r in range(rounds):
        # Alternate the order so neither side always runs first in a round.
        order = list(cases) if r % 2 == 0 else list(reversed(cases))
        for name in order:
            rates[name].append(timed(cases[name], n))
        p50, floor = pingpong_p50_us(n)
        p50s.append(p50)
        floors.append(floor)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)

    med = {name: statistics.median(v) for name, v in rates.items()}
    rows = [
        ("SPSC cap 1024, 1p x 1c", "ours spsc", "trio spsc", 12.0, f"yield_every={DEFAULT_YIELD_EVERY}"),
        ("SPSC cap 1024, 1p x 1c", "ours spsc y1", "trio spsc", 1.0, "yield_every=1"),
        ("MPMC cap 2048, 4p x 4c", "ours mpmc", "trio mpmc", 10.0, f"yield_every={DEFAULT_YIELD_EVERY}"),
        ("send_many/recv_many 256", "ours batch", "trio spsc", 100.0, "vs trio per item"),
    ]
    print()
    print(
        f"channels benchmark: {n} items, median of {rounds} interleaved rounds, "
        f"Python {sys.version.split()[0]}, trio {trio.__version__}"
    )
    print()
    header = (
        f"| {'case':<24} | {'variant':<17} | {'ours items/s':>12} | "
        f"{'trio items/s':>12} | {'ratio':>7} | {'target':>7} | ok  |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for label, ours, theirs, target, variant in rows:
        ratio = med[ours] / med[theirs]
        print(
            f"| {label:<24} | {variant:<17} | {med[ours]:>12,.0f} | "
            f"{med[theirs]:>12,.0f} | {ratio:>6.1f}x | {target:>6.1f}x | "
            f"{'yes' if ratio >= target else 'NO ':<3} |"
        )
    p50 = statistics.median(p50s)
    floor = statistics.median(floors)
    print()
    print(
        f"single-task ping-pong, capacity 1, send+recv pair: p50 {p50:.3f} us "
        f"(target < 0.6 us: {'yes' if p50 < 0.6 else 'NO'}); "
        f"includes one perf_counter_ns, whose empty-pair p50 is {floor:.3f} us"
    )
    print(
        "per-round ratios (ours/trio):",
        "  ".join(
            f"{label.split(',')[0]} {variant}: "
            + ",".join(f"{a / b:.1f}" for a, b in zip(rates[ours], rates[theirs], strict=True))
            for label, ours, theirs, _, variant in rows
        ),
    )
    print()
    print(f"reproduce: python benchmarks/channel_throughput.py --rounds {rounds} --items {n}")


if __name__ == "__main__":
    main()
