"""The benchmarks of the nimsync performance suite, as load scenarios on any channel and loop.

Each :class:`Scenario` is a named load with the suite's title, category and
parameters; the runner (in ``nimsync_tui``) drives it on the loop of
:mod:`._loop` and the channel implementation of :mod:`._impls`. Nothing here
imports the measurement core or the UI.
"""

from ._ends import MissingPartError
from ._impls import BUILTINS, ENTRY_POINT_GROUP, Implementation, ImplementationError, entry_points, normalize, resolve
from ._loop import LOOPS
from ._scenario import (
    CATEGORIES,
    Load,
    Metrics,
    Params,
    Probe,
    Scenario,
    Step,
    StepOutcome,
    Summary,
)
from .latency import ASYNC_OP_LATENCY, LATENCY_DISTRIBUTION, PINGPONG_LATENCY
from .memory import CHANNEL_MEMORY, MEMORY_LEAK
from .scaling import CAPACITY_SCALING, WORKER_SCALING
from .stability import THROUGHPUT_STABILITY
from .throughput import MPMC_THROUGHPUT, SPSC_THROUGHPUT

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        SPSC_THROUGHPUT,
        MPMC_THROUGHPUT,
        PINGPONG_LATENCY,
        ASYNC_OP_LATENCY,
        CHANNEL_MEMORY,
        MEMORY_LEAK,
        WORKER_SCALING,
        CAPACITY_SCALING,
        LATENCY_DISTRIBUTION,
        THROUGHPUT_STABILITY,
    )
}
"""Every benchmark of the suite by name, in the suite's order (the order ``--list`` shows)."""

IMPLEMENTATIONS = tuple(BUILTINS)
"""The built-in channel implementations, by name."""

__all__ = [
    "BUILTINS",
    "CATEGORIES",
    "ENTRY_POINT_GROUP",
    "IMPLEMENTATIONS",
    "LOOPS",
    "SCENARIOS",
    "Implementation",
    "ImplementationError",
    "Load",
    "Metrics",
    "MissingPartError",
    "Params",
    "Probe",
    "Scenario",
    "Step",
    "StepOutcome",
    "Summary",
    "entry_points",
    "normalize",
    "resolve",
]
