"""Open-loop driving for the latency scenarios (``--rate OPS``).

A closed loop starts each operation when the previous one ends, so a stall
delays the operations that should have started during it and they are never
timed as late: coordinated omission. Here operations start on a fixed
schedule, and each is timed twice: from its actual start (the service time,
into ``load.probe``) and from its intended start on the schedule (what a
caller arriving on time would have seen, into ``load.corrected``).
"""

from __future__ import annotations

from time import perf_counter_ns

from . import _loop
from ._scenario import Load, Operation, Params

_SLEEP_SLACK_NS = 2_000_000
"""Timers wake about a millisecond late; closer than this, spin on checkpoints instead."""


async def _wait_until(deadline_ns: int, loop: _loop.Loop) -> None:
    remaining = deadline_ns - perf_counter_ns()
    if remaining > _SLEEP_SLACK_NS:
        await loop.sleep((remaining - _SLEEP_SLACK_NS // 2) / 1e9)
    while perf_counter_ns() < deadline_ns:
        # A checkpoint, not a bare spin: other tasks (the reporter) still run.
        await loop.checkpoint()


async def run_open_loop(load: Load, params: Params, count: int | None, operation: Operation) -> None:
    """Run ``count`` operations (``None``: until cancelled) at ``params.rate`` per second."""
    if params.rate is None or not params.rate > 0:
        raise ValueError(f"an open-loop run needs a positive rate, got {params.rate!r}")
    op, close = operation(params)
    loop = _loop.current()
    period_ns = 1e9 / params.rate
    record = load.probe.record if load.probe is not None else None
    record_corrected = load.corrected.record if load.corrected is not None else None
    done = 0
    origin = perf_counter_ns()
    while count is None or done < count:
        intended = origin + round(done * period_ns)
        if perf_counter_ns() < intended:
            await _wait_until(intended, loop)
        began = perf_counter_ns()
        await op()
        ended = perf_counter_ns()
        if record is not None:
            record(ended - began)
        if record_corrected is not None:
            record_corrected(ended - intended)
        done += 1
        load.ops = done
    await close()
