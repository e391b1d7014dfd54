"""One worker process of ``worker-scaling --parallel``: its own event loop, its own channel.

Started as ``python -P -m nimsync_tui.scenarios._worker SPEC_JSON`` by the
scenario. It warms up, says ``ready``, waits for ``go`` on stdin so that all
workers start together, runs its count (or until its stdin closes), and prints one JSON line: its
operations, its start and end on the system's monotonic clock (comparable
between processes) and its batch times.
"""

from __future__ import annotations

import json
import os
import sys
from time import perf_counter_ns
from typing import Any

from . import _loop
from ._scenario import Load, Params
from .throughput import mpmc_load


class _KeepingProbe:
    def __init__(self) -> None:
        self.values: list[int] = []

    def record(self, value_ns: int) -> None:
        self.values.append(value_ns)


async def _until_stdin_closes(group: Any) -> None:
    await _loop.until_eof(os.dup(sys.stdin.fileno()))
    group.cancel_scope.cancel()


async def _work(params: Params, count: int | None) -> dict[str, object]:
    if params.warmup:
        await mpmc_load(Load(None), params, params.warmup)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit(1)
    probe = _KeepingProbe()
    load = Load(probe)
    start = perf_counter_ns()
    async with _loop.open_group() as group:
        # Without a count, the parent stops us by closing our stdin.
        if count is None:
            group.start_soon(_until_stdin_closes, group)
        await mpmc_load(load, params, count)
        group.cancel_scope.cancel()
    end = perf_counter_ns()
    return {"ops": load.ops, "start_ns": start, "end_ns": end, "samples": probe.values}


def main() -> int:
    """Entry point of a worker process."""
    spec = json.loads(sys.argv[1])
    count = None if spec["count"] is None else int(spec["count"])
    params = Params(**spec["params"])
    report = _loop.run(params.loop, _work, params, count)
    print(json.dumps(report, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
