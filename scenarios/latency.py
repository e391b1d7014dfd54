"""Latency scenarios: every operation is timed, because the time is the result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter_ns

from nimsync_tui.channels import ChannelMode

from . import _loop
from ._impls import open_ends
from ._scenario import Load, Params, Scenario


async def _pingpong(load: Load, params: Params, count: int | None) -> None:
    ends = open_ends(params.impl, params.capacity, ChannelMode.SPSC, params.yield_every)
    send, recv = ends.send, ends.recv
    record = load.probe.record if load.probe is not None else None
    rounds = 0
    # One task sends then receives (the suite's "send/receive latency"): this
    # times the channel's own cost with no cross-task wake-up in the way.
    while count is None or rounds < count:
        started = perf_counter_ns()
        await send(rounds)
        await recv()
        elapsed = perf_counter_ns() - started
        if record is not None:
            record(elapsed)
        rounds += 1
        load.ops = rounds
    await ends.close()


def _pingpong_operation(params: Params) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    ends = open_ends(params.impl, params.capacity, ChannelMode.SPSC, params.yield_every)
    send, recv = ends.send, ends.recv

    async def round_trip() -> None:
        await send(0)
        await recv()

    return round_trip, ends.close


async def _sleep_zero(load: Load, _params: Params, count: int | None) -> None:
    record = load.probe.record if load.probe is not None else None
    sleep = _loop.current().sleep
    done = 0
    while count is None or done < count:
        started = perf_counter_ns()
        await sleep(0)
        elapsed = perf_counter_ns() - started
        if record is not None:
            record(elapsed)
        done += 1
        load.ops = done


def _sleep_zero_operation(_params: Params) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    sleep = _loop.current().sleep

    async def sleep_zero() -> None:
        await sleep(0)

    async def nothing_to_close() -> None:
        return None

    return sleep_zero, nothing_to_close


_CHANNEL_TUNABLE = frozenset({"impl", "capacity", "iterations", "warmup", "yield_every", "rate"})

PINGPONG_LATENCY = Scenario(
    name="pingpong-latency",
    title="Channel send/receive latency",
    category="Latency",
    summary="one task sends then receives on a capacity-1 channel; every round trip timed",
    measures="per-operation latency, one send plus one receive by the same task",
    operation="round trip",
    defaults=Params(capacity=1, iterations=100_000, warmup=10_000),
    tunable=_CHANNEL_TUNABLE,
    body=_pingpong,
    # A lone task that sends on a rendezvous channel would wait for itself forever.
    min_capacity=1,
    open_loop=_pingpong_operation,
)

ASYNC_OP_LATENCY = Scenario(
    name="async-op-latency",
    title="Async operation latency",
    category="Latency",
    summary="50,000 timed sleep(0) of the loop: the cost of the smallest async operation",
    measures="one await sleep(0) of the {loop} loop, a full yield to its scheduler",
    operation="sleep",
    defaults=Params(iterations=50_000, warmup=5_000),
    tunable=frozenset({"iterations", "warmup", "rate"}),
    body=_sleep_zero,
    needs=frozenset(),
    open_loop=_sleep_zero_operation,
)

LATENCY_DISTRIBUTION = Scenario(
    name="latency-distribution",
    title="Latency distribution",
    category="Statistical",
    summary="10,000 send/recv pairs on a capacity-100 channel; mean, median, p95, p99, stddev",
    measures="one send plus one receive by the same task",
    operation="round trip",
    defaults=Params(capacity=100, iterations=10_000, warmup=1_000),
    tunable=_CHANNEL_TUNABLE,
    body=_pingpong,
    min_capacity=1,
    open_loop=_pingpong_operation,
)
