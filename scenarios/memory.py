"""Memory scenarios: what channels cost on the Python heap, and whether any of it stays.

The heap is tracemalloc's (the analogue of the suite's ``getOccupiedMem``),
counted only for allocations made by the load's own code (see :mod:`._heap`).
The runner turns tracing on for these scenarios
(``Scenario.traces_memory``); it slows everything it traces several times, so
these loads time nothing that another scenario reports as speed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from time import perf_counter_ns
from typing import Any

from nimsync_tui.channels import ChannelMode

from ._ends import Ends
from ._heap import collected_heap_bytes as _collected_heap
from ._heap import count_code_of, heap_bytes
from ._impls import open_ends, resolve
from ._scenario import Load, Params, Scenario, Step, StepOutcome, Summary, numbered_steps


class _Item:
    """The suite's ``ref object`` with one field."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value


# Metric names made once at import, before tracing: a name built during the
# measurement would be counted as the next figure's heap.
_ITEM_KINDS: tuple[tuple[str, Any], ...] = (
    ("per_item_bytes_int", int),
    ("per_item_bytes_str", str),
    ("per_item_bytes_object", _Item),
)
_CREATION: tuple[tuple[int, str], ...] = tuple((c, f"creation_bytes_capacity_{c}") for c in (10, 1_000, 100_000))


async def _channel_memory(load: Load, params: Params, count: int | None) -> None:
    items = params.iterations if count is None else count
    items = 1_000 if items is None else items
    # The data channels must hold every item: one task fills them.
    capacity = max(params.capacity, items)
    record = load.probe.record if load.probe is not None else None
    metrics = load.metrics
    count_code_of(resolve(params.impl))
    opened: list[Ends] = []
    initial = _collected_heap()
    for cap, name in _CREATION:
        before = heap_bytes()
        opened.append(open_ends(params.impl, cap, ChannelMode.SPSC, params.yield_every))
        metrics[name] = heap_bytes() - before
    after_creation = heap_bytes()
    metrics["creation_overhead_bytes"] = after_creation - initial
    for name, make in _ITEM_KINDS:
        ends = open_ends(params.impl, capacity, ChannelMode.SPSC, params.yield_every)
        opened.append(ends)
        before = heap_bytes()
        send = ends.send
        for i in range(items):
            value = make(i)
            started = perf_counter_ns()
            await send(value)
            if record is not None:
                record(perf_counter_ns() - started)
            load.ops += 1
        metrics[name] = (heap_bytes() - before) / items if items else None
    metrics["data_overhead_bytes"] = heap_bytes() - after_creation
    for ends in opened:
        await ends.close()
    del opened, ends, send
    metrics["residual_bytes"] = _collected_heap() - initial


ROUND_PAIRS = 1_000
"""A memory-leak round: 100 channels, 10 send/recv pairs each."""
_ROUND_CHANNELS = 100
LEAK_MIN_ROUNDS = 4
"""Rounds the verdict needs: the first warms caches, and a slope needs three points more."""
LEAK_SLOPE_BYTES = 256.0
"""Growth per round above which the heap counts as growing.

One channel kept per round grows it by 520 (Trio's) to 2,700 (ours) bytes a
round; a clean run by 0 to 32 (the last round's counters that the runner keeps)."""
LEAK_GROWING_SHARE = 0.75
"""Share of round-to-round steps in which the heap must grow: one-off growth (a cache filling) is no leak."""
LEAK_RULE = (
    f"leak when, over rounds 2..N (N >= {LEAK_MIN_ROUNDS}), the heap's least-squares growth exceeds "
    f"{LEAK_SLOPE_BYTES:.0f} bytes/round and it grew in at least {LEAK_GROWING_SHARE:.0%} of the rounds"
)


async def _memory_round(load: Load, params: Params, count: int | None) -> None:
    pairs = ROUND_PAIRS if count is None else count
    per_channel = max(1, pairs // _ROUND_CHANNELS)
    count_code_of(resolve(params.impl))
    record = load.probe.record if load.probe is not None else None
    round_channels = [
        open_ends(params.impl, params.capacity, ChannelMode.SPSC, params.yield_every) for _ in range(_ROUND_CHANNELS)
    ]
    for ends in round_channels:
        send, recv = ends.send, ends.recv
        for j in range(per_channel):
            started = perf_counter_ns()
            await send(j)
            await recv()
            if record is not None:
                record(perf_counter_ns() - started)
            load.ops += 1
    for ends in round_channels:
        await ends.close()
    # The planted leak: channels this run keeps on purpose, to prove the verdict sees one.
    load.retained.extend(round_channels[: params.leak_per_round])
    del round_channels, ends
    load.metrics["heap_bytes"] = _collected_heap()


def _rounds(params: Params) -> Iterator[Step]:
    total = None if params.iterations is None else math.ceil(params.iterations / ROUND_PAIRS)
    return numbered_steps("round", replace(params, iterations=ROUND_PAIRS), total)


def leak_verdict(heaps: Sequence[float]) -> tuple[float | None, float | None]:
    """``(growth per round, leak 1.0/0.0)`` over rounds 2..N of ``heaps`` (bytes after each round)."""
    counted = list(heaps[1:])
    if len(heaps) < LEAK_MIN_ROUNDS:
        return None, None
    n = len(counted)
    mean_x = (n - 1) / 2
    mean_y = sum(counted) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(counted)) / sum((x - mean_x) ** 2 for x in range(n))
    grew = sum(b > a for a, b in itertools.pairwise(counted))
    leak = slope > LEAK_SLOPE_BYTES and grew >= LEAK_GROWING_SHARE * (n - 1)
    return slope, 1.0 if leak else 0.0


def _summarize_rounds(outcomes: Sequence[StepOutcome]) -> Summary:
    heaps = [o.metrics.get("heap_bytes") for o in outcomes]
    known = [h for h in heaps if h is not None]
    steps = {
        o.tag: {"heap_growth_bytes": None if prev is None or cur is None else cur - prev}
        for o, prev, cur in zip(outcomes, [None, *heaps[:-1]], heaps, strict=True)
    }
    slope, leak = leak_verdict(known)
    verdict = {None: "not enough rounds for a verdict", 1.0: "LEAK", 0.0: "no leak"}[leak]
    return Summary(
        metrics={
            "rounds": float(len(outcomes)),
            "heap_growth_per_round_bytes": slope,
            "heap_growth_total_bytes": known[-1] - known[0] if len(known) > 1 else None,
            "leak": leak,
        },
        steps=steps,
        notes=(f"memory-leak verdict: {verdict} ({LEAK_RULE})",),
    )


CHANNEL_MEMORY = Scenario(
    name="channel-memory",
    title="Channel memory usage",
    category="Memory",
    summary="heap cost of creating channels (capacity 10, 1,000, 100,000), of 1,000 items, and what stays",
    measures="one send while filling a data channel (traced by tracemalloc: slow)",
    operation="item",
    defaults=Params(capacity=1_000, iterations=1_000, warmup=0),
    tunable=frozenset({"impl", "iterations", "yield_every"}),
    body=_channel_memory,
    traces_memory=True,
)

MEMORY_LEAK = Scenario(
    name="memory-leak",
    title="Memory leak detection",
    category="Memory",
    summary="rounds of 100 channels x 10 send/recv, closed and collected; heap per round and a leak verdict",
    measures="one send plus receive on a round's channel (traced by tracemalloc: slow)",
    operation="round trip",
    defaults=Params(capacity=10, iterations=10 * ROUND_PAIRS, warmup=0),
    tunable=frozenset({"impl", "iterations", "yield_every", "leak_per_round"}),
    body=_memory_round,
    steps=_rounds,
    summarize=_summarize_rounds,
    duration_bounds_each_step=False,
    traces_memory=True,
)
