"""Scalability scenarios: the same load at several worker counts or capacities, one step each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream

from ._scenario import Load, Params, Scenario, Step, StepOutcome, Summary
from .throughput import mpmc_load, pair_batches

WORKER_COUNTS = (1, 2, 4, 8, 16)
"""The suite's worker counts."""
CAPACITIES = (1, 10, 100, 1_000, 10_000)
"""The suite's capacities."""
EFFICIENCY_CHECK = 0.5
"""The suite's per-step check: efficiency above this."""


def usable_cores() -> int:
    """CPUs this process may run on (its affinity), not merely the machine's count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _worker_counts(params: Params) -> list[int]:
    if params.workers is None:
        return list(WORKER_COUNTS)
    return [n for n in WORKER_COUNTS if n < params.workers] + [params.workers]


def _worker_steps(params: Params) -> list[Step]:
    param = "workers" if params.parallel else "producers"
    return [Step(param, n, replace(params, producers=n, workers=n)) for n in _worker_counts(params)]


async def _producers_on_one_loop(load: Load, params: Params, count: int | None) -> None:
    # The suite's counts are per producer: 100,000 items each, one consumer.
    await mpmc_load(load, replace(params, consumers=1), None if count is None else count * params.producers)


REPORT_GRACE_S = 30.0
"""How long stopped workers may take to report what they did."""


async def _worker_processes(load: Load, params: Params, count: int | None) -> None:
    """``params.producers`` processes, each with its own Trio loop and channel, started together.

    Each reports its own start and end on the system's monotonic clock, so the
    step's throughput covers the load alone, not the processes' start-up.
    With ``count`` each runs that many items; without, each runs until this
    load is cancelled (its step's time, which their start-up shares, is up),
    which closes their stdin.
    """
    spec = json.dumps({"params": asdict(replace(params, producers=1, consumers=1)), "count": count})
    command = [sys.executable, "-P", "-m", "nimsync_tui.scenarios._worker", spec]
    procs = [
        await anyio.open_process(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for _ in range(params.producers)
    ]
    streams = []
    for p in procs:
        assert p.stdout is not None  # opened with a pipe
        streams.append(_Lines(p.stdout))
    reports: list[dict[str, Any]] = []
    started = False
    try:
        for s in streams:
            if await s.line() != "ready":
                raise RuntimeError("a worker process did not start")
        for p in procs:
            assert p.stdin is not None
            await p.stdin.send(b"go\n")
        started = True
        if count is None:
            await anyio.sleep_forever()
        reports = [json.loads(await s.line()) for s in streams]
    finally:
        # Also when cancelled: the workers are told to stop (stdin closed),
        # and what they did until then still counts.
        with anyio.CancelScope(shield=True, deadline=anyio.current_time() + REPORT_GRACE_S):
            for p in procs:
                if p.stdin is not None:
                    await p.stdin.aclose()
            if started and not reports:
                reports = [json.loads(await s.line()) for s in streams]
            for p in procs:
                await p.wait()
        if reports:
            _count_in(load, reports)


def _count_in(load: Load, reports: list[dict[str, Any]]) -> None:
    record = load.probe.record if load.probe is not None else None
    for report in reports:
        load.ops += report["ops"]
        if record is not None:
            for value in report["samples"]:
                record(value)
    wall_s = (max(r["end_ns"] for r in reports) - min(r["start_ns"] for r in reports)) / 1e9
    load.metrics["throughput_ops_s"] = load.ops / wall_s if wall_s > 0 else None
    load.metrics["load_duration_s"] = wall_s


class _Lines:
    """Lines from a receive stream."""

    def __init__(self, stream: ByteReceiveStream) -> None:
        self._stream = stream
        self._buffer = b""

    async def line(self) -> str:
        while b"\n" not in self._buffer:
            try:
                chunk = await self._stream.receive(65536)
            except anyio.EndOfStream:
                raise RuntimeError("a worker process ended without reporting") from None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode().strip()


async def _worker_scaling(load: Load, params: Params, count: int | None) -> None:
    if params.parallel:
        await _worker_processes(load, params, count)
    else:
        await _producers_on_one_loop(load, params, count)


def _summarize_workers(outcomes: Sequence[StepOutcome]) -> Summary:
    parallel = bool(outcomes) and outcomes[0].step.params.parallel
    cores = usable_cores()
    base = outcomes[0].throughput_ops_s if outcomes else None
    steps = {}
    for o in outcomes:
        n, rate = o.step.value, o.throughput_ops_s
        steps[o.tag] = {
            "workers": float(n),
            "efficiency": rate / (base * n) if rate is not None and base else None,
            "beyond_cores": 1.0 if parallel and n > cores else 0.0,
        }
    efficiencies = [m["efficiency"] for o in outcomes[1:] if (m := steps[o.tag])["efficiency"] is not None]
    notes = [
        f"efficiency = throughput(N) / (throughput(1) x N); checked > {EFFICIENCY_CHECK} per step, target 0.7",
        f"{cores} cores available"
        + ("; steps with more workers than cores are marked beyond_cores" if parallel else ""),
    ]
    if not parallel:
        notes.append(
            "one event loop: the producers take turns on one thread, so this measures concurrency, not "
            "parallelism (efficiency near 1/N is the expected result); --parallel runs each worker as a process"
        )
    return Summary(
        metrics={
            "efficiency_min": min(efficiencies) if efficiencies else None,
            "parallel": 1.0 if parallel else 0.0,
            "cores": float(cores),
        },
        steps=steps,
        notes=tuple(notes),
    )


def _capacity_steps(params: Params) -> list[Step]:
    return [Step("capacity", c, replace(params, capacity=c)) for c in CAPACITIES]


WORKER_SCALING = Scenario(
    name="worker-scaling",
    title="Worker scaling efficiency",
    category="Scalability",
    summary="1, 2, 4, 8, 16 producers x 100,000 items into one MPMC channel; efficiency per worker count",
    measures="time for the consumer to receive a batch of {sample_every} items",
    operation="item",
    defaults=Params(capacity=1_000, iterations=100_000, warmup=10_000),
    tunable=frozenset(
        {"impl", "capacity", "iterations", "warmup", "yield_every", "sample_every", "parallel", "workers"}
    ),
    body=_worker_scaling,
    steps=_worker_steps,
    needs=frozenset({"send", "receive", "close", "clone"}),
    summarize=_summarize_workers,
)

CAPACITY_SCALING = Scenario(
    name="capacity-scaling",
    title="Channel capacity scaling",
    category="Scalability",
    summary="capacities 1, 10, 100, 1,000, 10,000; 100,000 send-then-recv pairs each; throughput per capacity",
    measures="time for one task to send then receive {sample_every} items, one at a time",
    operation="pair",
    defaults=Params(capacity=1, iterations=100_000, warmup=10_000),
    tunable=frozenset({"impl", "iterations", "warmup", "yield_every", "sample_every"}),
    body=pair_batches,
    steps=_capacity_steps,
    min_capacity=1,
)
