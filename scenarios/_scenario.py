"""What a load scenario is, and what the measurement side hands it.

Scenarios know nothing of the measurement core: the runner passes them a
:class:`Load` whose probes, counters and metrics it reads back. Keeping the
dependency pointed this way lets the core be swapped or faked in tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

CATEGORIES = ("Throughput", "Latency", "Memory", "Scalability", "Statistical")
"""The suite's benchmark categories, in its order."""

Metrics = dict[str, float | None]
"""Named figures of a result; ``None`` means not measured."""


class Probe(Protocol):
    """Where a scenario puts its raw latency samples (nanoseconds)."""

    def record(self, value_ns: int) -> None:
        """Record one value; must be cheap enough for the load's inner loop."""
        ...


@dataclass(frozen=True, slots=True)
class Params:
    """The options of one scenario run; the suite's ``BenchmarkConfig`` in Python."""

    impl: str = "nimsync"
    """The channel implementation's SPEC: a built-in name (``nimsync``, ``trio``, ...), an entry point's
    name, ``module:callable`` or ``path/file.py:callable`` (see ``scenarios._impls``)."""
    loop: str = "trio"
    """The event loop the load runs on: ``trio``, ``asyncio`` or ``uvloop``."""
    capacity: int = 1024
    """Channel buffer size; 0 is a rendezvous channel."""
    producers: int = 1
    """Sending tasks."""
    consumers: int = 1
    """Receiving tasks."""
    iterations: int | None = 1_000_000
    """Operations in the measured phase (per step); ``None`` runs until stopped."""
    warmup: int = 10_000
    """Operations run and thrown away before measuring."""
    yield_every: int = 128
    """Our channel's checkpoint interval (ignored for ``trio``)."""
    sample_every: int = 64
    """Throughput scenarios time one item or batch in this many (the batch size where batches are timed)."""
    rate: float | None = None
    """Open loop: start operations on a fixed schedule of this many per second (latency scenarios)."""
    parallel: bool = False
    """worker-scaling: each worker is a process with its own Trio loop and channel (the suite's ``parallel``)."""
    workers: int | None = None
    """worker-scaling: the largest worker count (the suite's ``workers``); ``None``: the suite's 1..16."""
    leak_per_round: int = 0
    """memory-leak: channels each round keeps alive on purpose, to prove the verdict sees a leak."""


@dataclass(frozen=True, slots=True)
class Step:
    """One setting of a stepped scenario: its own tag, histogram and result."""

    param: str
    """The parameter that changes from step to step (``producers``, ``capacity``, ``round``)."""
    value: int
    """Its value in this step."""
    params: Params
    """The parameters the step runs with."""

    def tag(self, scenario: str) -> str:
        """``<scenario>.<param>-<value>``, the step's histogram tag."""
        return f"{scenario}.{self.param}-{self.value}"


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What a finished step measured, as the scenario's summary sees it."""

    tag: str
    step: Step
    operations: int
    measured_s: float
    metrics: Metrics

    @property
    def throughput_ops_s(self) -> float | None:
        """The step's own figure if the load measured one, else operations per measured second."""
        own = self.metrics.get("throughput_ops_s")
        if own is not None:
            return own
        return self.operations / self.measured_s if self.measured_s > 0 else None


@dataclass(frozen=True, slots=True)
class Summary:
    """A stepped scenario's figures across its steps."""

    metrics: Metrics = field(default_factory=dict)
    """Scenario-level figures (the summary row)."""
    steps: dict[str, Metrics] = field(default_factory=dict)
    """More figures per step tag, known only once other steps ran (efficiency against one worker)."""
    notes: tuple[str, ...] = ()
    """One-line statements the result must carry (the rule behind a verdict)."""


class Load:
    """The measurement side's handle on a running scenario.

    ``ops`` is written by the scenario's tasks and read by the runner at each
    interval; both run in one Trio thread, so a plain integer is race-free.
    """

    __slots__ = ("corrected", "metrics", "notes", "ops", "probe", "retained")

    def __init__(self, probe: Probe | None, corrected: Probe | None = None) -> None:
        self.probe = probe
        """Where samples go, or ``None`` to run without timing anything."""
        self.corrected = corrected
        """Open loop only: times from each operation's intended start (coordinated omission corrected)."""
        self.ops = 0
        """Operations completed so far in this phase or step."""
        self.metrics: Metrics = {}
        """Figures the scenario measured itself (memory, exact batch statistics), per step."""
        self.notes: list[str] = []
        """One-line statements about the step for its result."""
        self.retained: list[object] = []
        """Objects the scenario keeps alive from step to step (memory-leak's planted leak)."""


Body = Callable[[Load, Params, int | None], Awaitable[None]]
"""Runs ``count`` operations (``None``: until cancelled) under ``Load``."""

Operation = Callable[[Params], tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]]
"""Opens what one untimed operation needs: returns the operation and how to close it."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One benchmark of the suite, run by the runner for a count or until cancelled."""

    name: str
    """Identifier, also the histogram tag in logs (no comma, space or newline)."""
    title: str
    """The suite's test name (``SPSC channel throughput``)."""
    category: str
    """One of :data:`CATEGORIES`."""
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
    body: Body
    """The closed-loop load."""
    min_capacity: int = 0
    """Smallest capacity the load can run on without deadlocking itself."""
    steps: Callable[[Params], Iterable[Step]] | None = None
    """A stepped scenario's steps (may be endless when the run is bounded by time)."""
    summarize: Callable[[Sequence[StepOutcome]], Summary] | None = None
    """Figures across the finished steps."""
    open_loop: Operation | None = None
    """For ``--rate``: one operation, timed by the open-loop driver against its schedule."""
    default_duration_s: float | None = None
    """Measured for this long unless given a count (the suite's 10 s stability run)."""
    duration_bounds_each_step: bool = True
    """With ``--duration``: each step runs that long (else: steps run until the time is up)."""
    traces_memory: bool = False
    """The runner must trace Python allocations (tracemalloc) during the measured phase."""
    needs: frozenset[str] = frozenset({"send", "receive"})
    """Parts of the channel the load uses: ``send``, ``receive``, ``close``, ``clone`` (see :meth:`needs_with`)."""

    def measures_with(self, params: Params) -> str:
        """:attr:`measures` with the run's parameters filled in."""
        return self.measures.format(**{f: getattr(params, f) for f in Params.__slots__})

    def needs_with(self, params: Params) -> frozenset[str]:
        """:attr:`needs`, without ``clone`` when the run puts one task on each end."""
        one_each = params.producers == 1 and params.consumers == 1 and self.steps is None
        return self.needs - {"clone"} if one_each or params.parallel else self.needs

    def plan_steps(self, params: Params) -> Iterable[Step] | None:
        """The steps to run with ``params``, or ``None`` for a scenario without steps."""
        return None if self.steps is None else self.steps(params)


def numbered_steps(param: str, params: Params, total: int | None) -> Iterator[Step]:
    """Steps 1, 2, ... ``total`` (``None``: endless) of ``param``, each with the same ``params``."""
    numbers = itertools.count(1) if total is None else range(1, total + 1)
    return (Step(param, k, params) for k in numbers)
