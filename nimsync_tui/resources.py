"""The load process's vital signs, sampled once per interval.

Each sample costs a few microseconds (psutil with a reused ``Process``), so
it runs at interval rate, never on the load's hot path.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, slots=True)
class ResourceSample:
    """The process's memory, CPU and collector state at one moment."""

    rss_bytes: int
    """Resident set size."""
    cpu_percent: float
    """CPU use since the previous sample (100 = one core)."""
    allocated_blocks: int
    """Python heap blocks in use."""
    gc_collections: tuple[int, ...]
    """Collections run so far, per generation."""


class ResourceSampler:
    """Samples one process (by default this one)."""

    def __init__(self, pid: int | None = None) -> None:
        self._process = psutil.Process(pid)
        # The first cpu_percent call only sets the reference point.
        self._process.cpu_percent(None)

    def sample(self) -> ResourceSample:
        """Take a sample now."""
        return ResourceSample(
            rss_bytes=self._process.memory_info().rss,
            cpu_percent=self._process.cpu_percent(None),
            allocated_blocks=sys.getallocatedblocks(),
            gc_collections=tuple(g["collections"] for g in gc.get_stats()),
        )
