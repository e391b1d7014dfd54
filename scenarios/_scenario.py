"""What a load scenario is, and what the measurement side hands it.

Scenarios know nothing of the measurement core: the runner passes them a
:class:`Load` whose probe and counters it reads back every interval. Keeping
the dependency pointed this way lets the core be swapped or faked in tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

IMPLEMENTATIONS = ("nimsync", "trio")
"""Channel implementations a scenario can run on: ours, or ``trio.open_memory_channel``."""


class Probe(Protocol):
    """Where a scenario puts its raw latency samples (nanoseconds)."""

    def record(self, value_ns: int) -> None:
        """Record one value; must be cheap enough for the load's inner loop."""
        ...


@dataclass(frozen=True, slots=True)
class Params:
    """The options of one scenario run; the suite's ``BenchmarkConfig`` in Python."""

    impl: str = "nimsync"
    """``nimsync`` (our channels) or ``trio`` (``trio.open_memory_channel``)."""
    capacity: int = 1024
    """Channel buffer size; 0 is a rendezvous channel."""
    producers: int = 1
    """Sending tasks."""
    consumers: int = 1
    """Receiving tasks."""
    iterations: int | None = 1_000_000
    """Items (or round trips) in the measured phase; ``None`` runs until stopped."""
    warmup: int = 10_000
    """Items (or round trips) run and thrown away before measuring."""
    yield_every: int = 128
    """Our channel's checkpoint interval (ignored for ``trio``)."""
    sample_every: int = 64
    """Throughput scenarios time one item or batch in this many."""


class Load:
    """The measurement side's handle on a running scenario.

    ``ops`` is written by the scenario's tasks and read by the runner at each
    interval; both run in one Trio thread, so a plain integer is race-free.
    """

    __slots__ = ("ops", "probe")

    def __init__(self, probe: Probe | None) -> None:
        self.probe = probe
        """Where samples go, or ``None`` to run without timing anything."""
        self.ops = 0
        """Operations (items through the channel, or round trips) completed so far."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One load of the suite, run by the runner for a count or until cancelled."""

    name: str
    """Identifier, also the histogram tag in logs (no comma, space or newline)."""
    summary: str
    """One line for ``--list``."""
    measures: str
    """What each histogram value is; ``{field}`` stands for a :class:`Params` field."""
    operation: str
    """What one counted operation is (``item``, ``round trip``)."""
    defaults: Params
    """The suite's parameters for this scenario."""
    tunable: frozenset[str]
    """Which :class:`Params` fields a user may change for this scenario."""
    body: Callable[[Load, Params, int | None], Awaitable[None]]
    """Runs ``count`` operations (``None``: forever) under ``Load``."""
    min_capacity: int = 0
    """Smallest capacity the load can run on without deadlocking itself."""

    def measures_with(self, params: Params) -> str:
        """:attr:`measures` with the run's parameters filled in."""
        return self.measures.format(**{f: getattr(params, f) for f in Params.__slots__})
