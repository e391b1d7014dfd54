"""Scenarios that misbehave on purpose, for the fault tests only.

Python imports ``sitecustomize`` at start-up from the first directory on
``sys.path`` that has one; the fault tests put this folder on ``PYTHONPATH``,
so both ``nimsync-tui`` and the load process it starts see these extra
scenarios, while no installed or shipped code knows about them.
"""

from __future__ import annotations

import os
import sys
import time

import trio

from nimsync_tui.scenarios import SCENARIOS, Load, Params, Scenario
from nimsync_tui.scenarios._scenario import numbered_steps

STEP_S = 3.0
"""How long each of slow-steps' four steps takes."""


async def _counting(load: Load, count: int | None) -> None:
    # A cooperative load: one timed op per checkpoint, so cancellation lands at once.
    done = 0
    while count is None or done < count:
        started = time.perf_counter_ns()
        await trio.lowlevel.checkpoint()
        if load.probe is not None:
            load.probe.record(time.perf_counter_ns() - started)
        done += 1
        load.ops = done


async def _raises(load: Load, params: Params, count: int | None) -> None:
    await _counting(load, 100)
    raise ValueError("injected fault:\n the load broke")


async def _prints(load: Load, params: Params, count: int | None) -> None:
    # Everything a careless load can do to its standard output, none ending a line.
    print("print without a newline", end="")
    sys.stdout.write("#{not json")
    sys.stdout.flush()
    os.write(1, b"Tag=raw,bytes,on,fd,1")
    await _counting(load, count)
    print("Tag=late", end="", flush=True)


async def _hangs(load: Load, params: Params, count: int | None) -> None:
    # Once measuring, blocks the event loop itself: cancellation can never
    # land and no interval is reported any more; only a kill ends it.
    await _counting(load, 100)
    if count != params.warmup:
        while True:
            time.sleep(0.05)


async def _slow_step(load: Load, params: Params, count: int | None) -> None:
    # Each measured step takes STEP_S: longer in all than a timeout that each step keeps within.
    await _counting(load, 100)
    if count != params.warmup:
        await trio.sleep(STEP_S)


def _scenario(name: str, body: object, **extra: object) -> Scenario:
    return Scenario(
        name=name,
        title=f"fault {name}",
        category="Latency",
        summary=f"test-only: {name}",
        measures="one checkpoint",
        operation="checkpoint",
        defaults=Params(iterations=20_000, warmup=100),
        tunable=frozenset({"iterations", "warmup"}),
        body=body,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


# First in the registry, so that a pattern such as "[bp]*" runs the faulty
# scenario before a real one: the tests check that the rest still runs.
_real = dict(SCENARIOS)
SCENARIOS.clear()
for _name, _body in (("broken-raises", _raises), ("noisy-prints", _prints), ("stuck-hangs", _hangs)):
    SCENARIOS[_name] = _scenario(_name, _body)
SCENARIOS["slow-steps"] = _scenario("slow-steps", _slow_step, steps=lambda p: numbered_steps("round", p, 4))
SCENARIOS.update(_real)
