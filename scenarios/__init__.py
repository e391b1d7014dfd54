"""The load scenarios of the nimsync performance suite, on Trio.

Each :class:`Scenario` is a named load with the suite's parameters; the
runner (in ``nimsync_tui``) drives it. Nothing here imports the measurement
core or the UI.
"""

from ._scenario import IMPLEMENTATIONS, Load, Params, Probe, Scenario
from .latency import PINGPONG_LATENCY
from .throughput import MPMC_THROUGHPUT, SPSC_THROUGHPUT

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (SPSC_THROUGHPUT, MPMC_THROUGHPUT, PINGPONG_LATENCY)}
"""Every scenario by name, in the order ``--list`` shows them."""

__all__ = ["IMPLEMENTATIONS", "SCENARIOS", "Load", "Params", "Probe", "Scenario"]
