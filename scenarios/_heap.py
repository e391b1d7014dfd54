"""The load's share of the Python heap, as tracemalloc sees it.

Only allocations made by the load's own code count: the channels, Trio, the
channel ends and the memory loads. The measurement machinery in the same
process allocates interval histograms while the load runs, and the runner
keeps each finished step's figures; neither is a channel's cost. This
module's own allocations (the figures it returns) are left out for the same
reason: a run that keeps one number per round must not look like a leak.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import os
import tracemalloc

import trio

from nimsync_tui import channels

from . import _ends, _impls

_LOAD_CODE = [
    *(tracemalloc.Filter(True, os.path.join(os.path.dirname(m.__file__ or ""), "*")) for m in (channels, trio)),
    tracemalloc.Filter(True, _ends.__file__),
    tracemalloc.Filter(True, os.path.join(os.path.dirname(__file__), "memory.py")),
]


def _count(pattern: str) -> None:
    # Each filter costs every snapshot a pass over its traces: only the code of the channel under test.
    if all(f.filename_pattern != pattern for f in _LOAD_CODE):
        _LOAD_CODE.append(tracemalloc.Filter(True, pattern))


def count_code_of(impl: _impls.Implementation) -> None:
    """Count allocations made by the code of ``impl`` too: its factory's package, or our adapter and its library."""
    if impl.factory is not None:
        source = inspect.getsourcefile(impl.factory)
        if source is not None:
            _count(os.path.join(os.path.dirname(source), "*"))
        return
    _count(_impls.__file__)
    for name in impl.code:
        _count(os.path.join(os.path.dirname(importlib.import_module(name).__file__ or ""), "*"))


def heap_bytes() -> float:
    """Bytes allocated by the load's code and still alive (tracemalloc must be tracing)."""
    if not tracemalloc.is_tracing():
        raise RuntimeError("memory scenarios need tracemalloc tracing (the runner starts it)")
    snapshot = tracemalloc.take_snapshot().filter_traces(_LOAD_CODE)
    return float(sum(stat.size for stat in snapshot.statistics("filename")))


def collected_heap_bytes() -> float:
    """:func:`heap_bytes` after a full collection."""
    gc.collect()
    return heap_bytes()
