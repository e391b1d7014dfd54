"""Our channels before and after a change, against Trio's and asyncio's, side by side.

Prints figures, asserts nothing. "before" is ``channels/`` as it stood at the
git revision ``--before`` (by default the channel as issue 15 found it), loaded
from git into a private package; "after" is the installed ``nimsync_tui.channels``.
Every round runs every case once, each in a fresh event loop, in alternating
order, so all of them share whatever the (shared, noisy, 2-core) machine was
doing at the time. A ratio is taken within each round and the table shows the
median over the rounds. Rates are items per second of this thread's CPU time,
so time spent preempted by other processes does not count; the p50s are wall
time per operation, medians of every operation timed.

    python benchmarks/channel_throughput.py [--rounds 15] [--items 400000] [--before REV]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import gc
import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import trio
from trio.lowlevel import Abort, current_task, reschedule, wait_task_rescheduled
from trio.testing import wait_all_tasks_blocked

from nimsync_tui import channels as after

BATCH = 256
# main when issue 15 ("Speed") was taken up: the channel it measured.
ISSUE_15_START = "ec8a4d46c379b69f90425054189ac3c5a1325dc0"
REPO = Path(__file__).resolve().parents[1]

Case = Callable[[int], Awaitable[None]]


def load_before(rev: str) -> ModuleType:
    """``channels/`` at git revision ``rev``, importable beside the installed one."""
    root = Path(tempfile.mkdtemp(prefix="channels-before-"))
    atexit.register(shutil.rmtree, root, True)
    package = root / "channels_before"
    package.mkdir()
    listing = subprocess.run(
        ["git", "-C", str(REPO), "ls-tree", "--name-only", rev, "channels/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in listing:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:{name}"], check=True, capture_output=True, text=True
        ).stdout
        (package / Path(name).name).write_text(source)
    sys.path.insert(0, str(root))
    return importlib.import_module("channels_before")


def cpu_rate(run: Callable[[], Any], n: int) -> float:
    """Items per second of thread CPU time for ``run()``, which moves ``n`` items."""
    gc.collect()
    start = time.thread_time()
    run()
    return n / (time.thread_time() - start)


def in_trio(case: Case, n: int) -> float:
    return cpu_rate(lambda: trio.run(case, n), n)


# ------------------------------------------------------------------ the loads


async def trio_spsc(n: int) -> None:
    send_end, recv_end = trio.open_memory_channel[int](1024)

    async def producer() -> None:
        send = send_end.send
        for i in range(n):
            await send(i)

    async def consumer() -> None:
        recv = recv_end.receive
        for _ in range(n):
            await recv()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(consumer)
        nursery.start_soon(producer)


def asyncio_spsc(n: int) -> None:
    async def main() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue(1024)

        async def producer() -> None:
            put = queue.put
            for i in range(n):
                await put(i)

        async def consumer() -> None:
            get = queue.get
            for _ in range(n):
                await get()

        await asyncio.gather(consumer(), producer())

    asyncio.run(main())


def ours_spsc(impl: ModuleType, yield_every: int) -> Case:
    async def case(n: int) -> None:
        chan = impl.create_channel(1024, impl.ChannelMode.SPSC, yield_every=yield_every)

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


def ours_mpmc(impl: ModuleType) -> Case:
    async def case(n: int) -> None:
        chan = impl.create_channel(2048, impl.ChannelMode.MPMC)
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

    return case


def ours_batches(impl: ModuleType) -> Case:
    async def case(n: int) -> None:
        chan = impl.create_channel(1024, impl.ChannelMode.SPSC)
        # One list sent over and over: the figure is the channel's cost, not
        # the cost of building lists.
        batch = list(range(BATCH))

        async def producer() -> None:
            send_many = chan.send_many
            for _ in range(n // BATCH):
                await send_many(batch)

        async def consumer() -> None:
            recv_many = chan.recv_many
            got = 0
            while got < n:
                got += len(await recv_many(BATCH))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(consumer)
            nursery.start_soon(producer)

    return case


# ------------------------------------------------------------------ latencies


def pingpong_p50_ns(impl: ModuleType, n: int) -> float:
    """p50 of one send+recv pair by one task on a capacity-1 channel, clock pair included."""

    async def main() -> float:
        chan = impl.create_channel(1, impl.ChannelMode.SPSC)
        send, recv, now = chan.send, chan.recv, time.perf_counter_ns
        pairs = [0] * n
        for i in range(n):
            t0 = now()
            await send(i)
            await recv()
            pairs[i] = now() - t0
        return statistics.median(pairs)

    gc.collect()
    return trio.run(main)


def clock_pair_p50_ns(n: int) -> float:
    """p50 of an empty timed pair: the perf_counter_ns floor inside the ping-pong figure."""
    now = time.perf_counter_ns
    empty = [0] * n
    for i in range(n):
        t0 = now()
        empty[i] = now() - t0
    return statistics.median(empty)


def round_trip_p50_ns(impl: ModuleType, n: int) -> float:
    """p50 of a round trip between two tasks: A sends to B, B sends back, A receives.

    Capacity-1 SPSC channels each way, default checkpoint rule: each round trip
    is two deliveries to a parked receiver and two parks.
    """

    async def main() -> float:
        there = impl.create_channel(1, impl.ChannelMode.SPSC)
        back = impl.create_channel(1, impl.ChannelMode.SPSC)
        times = [0] * n

        async def echo() -> None:
            recv, send = there.recv, back.send
            for _ in range(n):
                await send(await recv())

        async with trio.open_nursery() as nursery:
            nursery.start_soon(echo)
            await wait_all_tasks_blocked()
            send, recv, now = there.send, back.recv, time.perf_counter_ns
            for i in range(n):
                t0 = now()
                await send(i)
                await recv()
                times[i] = now() - t0
        return statistics.median(times)

    gc.collect()
    return trio.run(main)


def reschedule_floor_p50_ns(n: int) -> float:
    """p50 of the same round trip with no channel: each task reschedules the other and parks."""

    def abort(_: object) -> Abort:
        return Abort.SUCCEEDED

    async def main() -> float:
        me = current_task()
        times = [0] * n
        peer: list[trio.lowlevel.Task] = []

        async def echo() -> None:
            peer.append(current_task())
            for _ in range(n):
                await wait_task_rescheduled(abort)
                reschedule(me)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(echo)
            await wait_all_tasks_blocked()
            (other,) = peer
            now = time.perf_counter_ns
            for i in range(n):
                t0 = now()
                reschedule(other)
                await wait_task_rescheduled(abort)
                times[i] = now() - t0
        return statistics.median(times)

    gc.collect()
    return trio.run(main)


# ------------------------------------------------------------------ report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--items", type=int, default=400_000, help="items per case without checkpoints")
    parser.add_argument("--before", default=ISSUE_15_START, help="git revision of channels/ to compare against")
    args = parser.parse_args()
    n, rounds = args.items, args.rounds
    # Sized so that every case takes about as long on a quiet machine.
    slow = max(4, n // 20)  # a full checkpoint per operation
    many = n * 10 // BATCH * BATCH  # in batches of 256
    trips = max(1, n // 40)  # two task switches per round trip
    before = load_before(args.before)
    impls = {"before": before, "after": after}

    # Groups of cases whose figures are divided by each other; a group's cases
    # run back to back, so each ratio compares runs made moments apart.
    groups: list[dict[str, Callable[[], float]]] = [
        {"trio spsc": lambda: in_trio(trio_spsc, slow), "asyncio spsc": lambda: cpu_rate(lambda: asyncio_spsc(n), n)},
        {"trio mpmc": lambda: in_trio(trio_mpmc, slow)},
        {"clock pair": lambda: clock_pair_p50_ns(n // 2)},
        {"reschedule floor": lambda: reschedule_floor_p50_ns(trips)},
    ]
    for tag, impl in impls.items():
        groups[0][f"{tag} spsc"] = lambda impl=impl: in_trio(ours_spsc(impl, impl.DEFAULT_YIELD_EVERY), n)
        groups[0][f"{tag} spsc y1"] = lambda impl=impl: in_trio(ours_spsc(impl, 1), slow)
        groups[0][f"{tag} batch"] = lambda impl=impl: in_trio(ours_batches(impl), many)
        groups[1][f"{tag} mpmc"] = lambda impl=impl: in_trio(ours_mpmc(impl), n)
        groups[2][f"{tag} pingpong"] = lambda impl=impl: pingpong_p50_ns(impl, n // 2)
        groups[3][f"{tag} roundtrip"] = lambda impl=impl: round_trip_p50_ns(impl, trips)

    got: dict[str, list[float]] = {name: [] for group in groups for name in group}
    for r in range(rounds):
        for group in groups:
            # Alternate the order so no case always runs first (or last).
            for name in list(group) if r % 2 == 0 else list(reversed(group)):
                got[name].append(group[name]())
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)

    def ratios(a: str, b: str) -> list[float]:
        return [x / y for x, y in zip(got[a], got[b], strict=True)]

    # (measure, its per-round figures for "before" or "after", format, goal, goal met?)
    spec: list[tuple[str, Callable[[str], list[float]], str, str, Callable[[float], bool]]] = [
        (
            "SPSC, default rule, vs trio",
            lambda t: ratios(f"{t} spsc", "trio spsc"),
            "{:.1f}x",
            ">= 25x",
            lambda v: v >= 25,
        ),
        (
            "SPSC, default rule, ns per item",
            lambda t: [1e9 / x for x in got[f"{t} spsc"]],
            "{:.0f} ns",
            "<= 200 ns",
            lambda v: v <= 200,
        ),
        (
            "SPSC vs asyncio.Queue",
            lambda t: ratios(f"{t} spsc", "asyncio spsc"),
            "{:.2f}x",
            ">= 2.5x",
            lambda v: v >= 2.5,
        ),
        (
            "SPSC yield_every=1 vs trio",
            lambda t: ratios(f"{t} spsc y1", "trio spsc"),
            "{:.2f}x",
            ">= 1.3x",
            lambda v: v >= 1.3,
        ),
        ("MPMC 4x4 vs trio", lambda t: ratios(f"{t} mpmc", "trio mpmc"), "{:.1f}x", ">= 20x", lambda v: v >= 20),
        (
            "send_many/recv_many 256 vs trio",
            lambda t: ratios(f"{t} batch", "trio spsc"),
            "{:.0f}x",
            ">= 350x",
            lambda v: v >= 350,
        ),
        ("ping-pong p50, one task", lambda t: got[f"{t} pingpong"], "{:.0f} ns", "< 200 ns", lambda v: v < 200),
        (
            "round trip p50 / reschedule floor",
            lambda t: ratios(f"{t} roundtrip", "reschedule floor"),
            "{:.3f}x",
            "<= 1.15x",
            lambda v: v <= 1.15,
        ),
    ]
    print()
    print(
        f"channels: {rounds} interleaved rounds; items per case: {n:,}, {slow:,} with a checkpoint per operation, "
        f"{many:,} in batches, {n // 2:,} ping-pongs, {trips:,} round trips"
    )
    print(f"Python {sys.version.split()[0]}, trio {trio.__version__}; before = channels/ at {args.before[:12]}")
    print()
    print(f"| {'measure':<34} | {'before':>9} | {'after':>9} | {'after/before':>12} | {'goal':>9} | met |")
    print(f"|{'-' * 36}|{'-' * 11}|{'-' * 11}|{'-' * 14}|{'-' * 11}|-----|")
    for label, per_round, fmt, goal, met in spec:
        b = statistics.median(per_round("before"))
        a = statistics.median(per_round("after"))
        print(
            f"| {label:<34} | {fmt.format(b):>9} | {fmt.format(a):>9} | {a / b:>11.3f}x | {goal:>9} | "
            f"{'yes' if met(a) else 'NO ':<3} |"
        )
    print()
    med = {name: statistics.median(v) for name, v in got.items()}
    rates = [k for k in med if k.endswith(("spsc", "y1", "mpmc", "batch"))]
    print("medians, items/s of CPU time:", ", ".join(f"{k} {med[k]:,.0f}" for k in rates))
    print(
        f"p50s, ns: clock pair {med['clock pair']:.0f}, reschedule floor {med['reschedule floor']:.0f}, "
        + ", ".join(
            f"{t} ping-pong {med[f'{t} pingpong']:.0f}, {t} round trip {med[f'{t} roundtrip']:.0f}" for t in impls
        )
    )
    print()
    print(
        f"reproduce: python benchmarks/channel_throughput.py --rounds {rounds} --items {n} --before {args.before[:12]}"
    )


if __name__ == "__main__":
    main()
