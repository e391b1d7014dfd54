"""What ``--profile`` and ``--trace`` add to a run: the Python heap and a CPU profile of the load.

Both slow the load (tracemalloc several times over, cProfile about twice), so
they are for finding where time and memory go, never on a run whose speed is
the result.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import tracemalloc
from pathlib import Path
from types import TracebackType

from ..core.files import write_atomically
from ..core.protocol import HeapProfile

TOP_SITES = 10
"""Allocation sites reported per interval."""
TOP_FUNCTIONS = 30
"""Functions listed in the ``--trace`` text report."""


class HeapTracer:
    """Traces Python allocations while entered; reports the heap and its top sites on request."""

    def __init__(self) -> None:
        self._started_here = False
        self.timeline: list[HeapProfile] = []
        """Every profile taken so far: the heap over time."""

    def __enter__(self) -> HeapTracer:
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            self._started_here = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._started_here:
            tracemalloc.stop()
            self._started_here = False

    def _top(self) -> list[tuple[str, int, int]]:
        if not tracemalloc.is_tracing():
            return []
        stats = tracemalloc.take_snapshot().statistics("lineno")[:TOP_SITES]
        return [(f"{s.traceback[0].filename}:{s.traceback[0].lineno}", s.size, s.count) for s in stats]

    def profile(self, tag: str, t_s: float) -> HeapProfile:
        """The heap now and its largest allocation sites (a snapshot: milliseconds)."""
        traced, peak = tracemalloc.get_traced_memory()
        record = HeapProfile(tag=tag, t_s=t_s, traced_bytes=traced, peak_bytes=peak, top=self._top())
        self.timeline.append(record)
        return record

    def write(self, path: Path) -> None:
        """The heap over time and the last interval's top allocation sites, as text."""
        lines = ["# heap over time (tracemalloc: bytes allocated since tracing began and still alive)"]
        lines.append(f"{'t_s':>10} {'traced_bytes':>14} {'peak_bytes':>14}  tag")
        lines += [f"{p.t_s:10.3f} {p.traced_bytes:14d} {p.peak_bytes:14d}  {p.tag}" for p in self.timeline]
        last = self.timeline[-1].top if self.timeline else []
        lines += ["", "# top allocation sites at the last interval", f"{'bytes':>12} {'blocks':>8}  site"]
        lines += [f"{size:12d} {count:8d}  {site}" for site, size, count in last]
        write_atomically(path, "\n".join(lines) + "\n")


class CpuProfile:
    """A cProfile of the load process while entered."""

    def __init__(self) -> None:
        self._profile = cProfile.Profile()

    def __enter__(self) -> CpuProfile:
        self._profile.enable()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._profile.disable()

    def write(self, directory: Path, name: str) -> None:
        """``<name>.pstats`` (for ``python -m pstats`` or snakeviz) and ``<name>.trace.txt``, its top functions."""
        partial = directory / f".{name}.pstats.partial"
        self._profile.dump_stats(partial)
        os.replace(partial, directory / f"{name}.pstats")
        text = io.StringIO()
        stats = pstats.Stats(self._profile, stream=text)
        stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(TOP_FUNCTIONS)
        write_atomically(directory / f"{name}.trace.txt", text.getvalue())
