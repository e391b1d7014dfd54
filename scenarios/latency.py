"""Latency scenarios: every operation is timed, because the time is the result."""

from __future__ import annotations

from time import perf_counter_ns

from nimsync_tui.channels import ChannelMode

from ._ends import open_ends
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
    ends.close()


PINGPONG_LATENCY = Scenario(
    name="pingpong-latency",
    summary="one task sends then receives on a capacity-1 channel; every round trip timed",
    measures="per-operation latency, one send plus one receive by the same task",
    operation="round trip",
    defaults=Params(capacity=1, iterations=100_000, warmup=10_000),
    tunable=frozenset({"impl", "capacity", "iterations", "warmup", "yield_every"}),
    body=_pingpong,
    # A lone task that sends on a rendezvous channel would wait for itself forever.
    min_capacity=1,
)
