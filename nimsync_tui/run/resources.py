"""The load process's vital signs, sampled once per interval, and the machine it runs on.

Each sample costs a few microseconds (psutil with a reused ``Process``), so
it runs at interval rate, never on the load's hot path.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import psutil

from ..errors import ConfigError


@dataclass(frozen=True, slots=True)
class ResourceSample:
    """The process's memory, CPU and collector state at one moment, and since the previous sample."""

    rss_bytes: int
    """Resident set size."""
    peak_rss_bytes: int
    """Highest resident set size of the process's life so far."""
    cpu_percent: float
    """CPU use since the previous sample (100 = one core), from the process's CPU time."""
    allocated_blocks: int
    """Python heap blocks in use."""
    gc_collections: tuple[int, ...]
    """Collections run so far, per generation."""
    gc_count: int
    """Collections since the previous sample."""
    gc_pause_s: float
    """Their summed pause."""
    gc_pause_max_s: float
    """The longest of them."""


class GcWatch:
    """Counts garbage collections and times their pauses through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.count = 0
        """Collections finished since the last :meth:`take`."""
        self.pause_s = 0.0
        """Their summed pause."""
        self.max_pause_s = 0.0
        """The longest of them."""
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._started = now
            return
        pause = now - self._started
        self.count += 1
        self.pause_s += pause
        self.max_pause_s = max(self.max_pause_s, pause)

    def take(self) -> tuple[int, float, float]:
        """``(collections, summed pause, longest pause)`` since the last call, then start over."""
        taken = (self.count, self.pause_s, self.max_pause_s)
        self.count, self.pause_s, self.max_pause_s = 0, 0.0, 0.0
        return taken


class ResourceSampler:
    """Samples the calling process; use as a context manager (it hooks the collector)."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        # CPU time from the kernel's per-process clock (nanosecond resolution):
        # psutil's cpu_percent counts 10 ms ticks, so a window of a few
        # milliseconds reads 0 % or several hundred.
        self._cpu_s = time.process_time()
        self._wall_s = time.perf_counter()
        self._gc = GcWatch()
        gc.callbacks.append(self._gc)

    def sample(self) -> ResourceSample:
        """Take a sample now."""
        cpu_s, wall_s = time.process_time(), time.perf_counter()
        elapsed = wall_s - self._wall_s
        cpu_percent = 100.0 * (cpu_s - self._cpu_s) / elapsed if elapsed > 0 else 0.0
        self._cpu_s, self._wall_s = cpu_s, wall_s
        rss = self._process.memory_info().rss
        gc_count, gc_pause_s, gc_pause_max_s = self._gc.take()
        return ResourceSample(
            rss_bytes=rss,
            # The kernel's high-water mark lags the current size slightly.
            peak_rss_bytes=max(rss, _peak_rss_bytes()),
            cpu_percent=cpu_percent,
            allocated_blocks=sys.getallocatedblocks(),
            gc_collections=tuple(g["collections"] for g in gc.get_stats()),
            gc_count=gc_count,
            gc_pause_s=gc_pause_s,
            gc_pause_max_s=gc_pause_max_s,
        )

    def close(self) -> None:
        """Unhook the collector callback."""
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)

    def __enter__(self) -> ResourceSampler:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in KiB, macOS in bytes. Only this process's
    # own peak is meaningful: the runner samples itself.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def affinity() -> list[int]:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def check_cpu(cpu: int) -> int:
    """``cpu`` if this process may be pinned to it, else a :class:`ConfigError` naming the choices."""
    allowed = affinity()
    if not hasattr(os, "sched_setaffinity"):
        raise ConfigError("--pin-cpu needs a platform with CPU affinity (Linux)")
    if cpu not in allowed:
        raise ConfigError(f"--pin-cpu must be one of the CPUs available ({', '.join(map(str, allowed))}), got {cpu}")
    return cpu


def pin_to(cpu: int) -> list[int]:
    """Pin this process to ``cpu``; returns the affinity now in force."""
    os.sched_setaffinity(0, {check_cpu(cpu)})
    return affinity()


def busy_machine(load_average: float | None = None, cores: int | None = None) -> str | None:
    """A warning when other work already wants the cores the load does not use, else ``None``.

    The load takes one core; the rest are free for everything else. A
    1-minute load average above that many means other processes compete with
    the load for its core, and its figures will be noisy.
    """
    load = os.getloadavg()[0] if load_average is None else load_average
    free = (len(affinity()) if cores is None else cores) - 1
    if load > free:
        return (
            f"machine busy at start: load average {load:.2f} above the {free} core(s) the load leaves free; "
            "figures will be noisy"
        )
    return None
