"""The load process's vital signs, sampled once per interval.

Each sample costs a few microseconds (psutil with a reused ``Process``), so
it runs at interval rate, never on the load's hot path.
"""

from __future__ import annotations

import gc
import resource
import sys
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, slots=True)
class ResourceSample:
    """The process's memory, CPU and collector state at one moment."""

    rss_bytes: int
    """Resident set size."""
    peak_rss_bytes: int
    """Highest resident set size of the process's life so far."""
    cpu_percent: float
    """CPU use since the previous sample (100 = one core)."""
    allocated_blocks: int
    """Python heap blocks in use."""
    gc_collections: tuple[int, ...]
    """Collections run so far, per generation."""


class ResourceSampler:
    """Samples the calling process."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        # The first cpu_percent call only sets the reference point.
        self._process.cpu_percent(None)

    def sample(self) -> ResourceSample:
        """Take a sample now."""
        rss = self._process.memory_info().rss
        return ResourceSample(
            rss_bytes=rss,
            # The kernel's high-water mark lags the current size slightly.
            peak_rss_bytes=max(rss, _peak_rss_bytes()),
            cpu_percent=self._process.cpu_percent(None),
            allocated_blocks=sys.getallocatedblocks(),
            gc_collections=tuple(g["collections"] for g in gc.get_stats()),
        )


def _peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in KiB, macOS in bytes. Only this process's
    # own peak is meaningful: the runner samples itself.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
