"""The suite's performance targets and per-test checks, and their verdicts on a run's rows.

Defaults are the suite's own (``performanceTargets`` and each test's ``check``);
a TOML config may change a value but never the rule. A target no code can meet
on this run is not a FAIL that nobody can fix: a latency ceiling below the
fastest operation the run measured is ``UNREACHABLE`` (with that floor), and a
scaling efficiency on one Trio loop, which measures concurrency (1/N is the
expected figure), is ``N/A``. Neither is a miss unless the run is strict
(``--strict-targets``).
"""

from __future__ import annotations

import fnmatch
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from .units import format_figure

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


@dataclass(frozen=True, slots=True)
class Target:
    """A figure a row must reach: ``metric op value`` on the rows whose name matches ``rows``."""

    rows: str
    """A glob over row names: a scenario (``pingpong-latency``) or its steps (``worker-scaling.*``)."""
    metric: str
    """A name from ``docs/metrics.md``."""
    op: str
    """``<``, ``<=``, ``>``, ``>=`` or ``==``."""
    value: float
    title: str
    """What the suite calls it."""

    @property
    def key(self) -> str:
        """``rows.metric``: how a config file names this target."""
        return f"{self.rows}.{self.metric}"


MIB = 1024 * 1024

DEFAULT_TARGETS: tuple[Target, ...] = (
    Target("spsc-throughput", "throughput_ops_s", ">", 100_000, "SPSC Throughput"),
    Target("mpmc-throughput", "throughput_ops_s", ">", 50_000, "MPMC Throughput"),
    Target("pingpong-latency", "latency_mean_ns", "<", 10_000, "Average Latency"),
    Target("pingpong-latency", "latency_p99_ns", "<", 100_000, "P99 Latency"),
    Target("async-op-latency", "latency_mean_ns", "<", 1_000, "Async operation latency"),
    Target("channel-memory", "residual_bytes", "<", MIB, "Memory Overhead (residual after cleanup)"),
    Target("memory-leak", "leak", "==", 0, "No memory leak"),
    Target("worker-scaling.*", "efficiency", ">", 0.5, "Worker scaling efficiency per step"),
    Target("worker-scaling", "efficiency_min", ">=", 0.7, "Scaling Efficiency"),
    Target("latency-distribution", "latency_p99_ns", "<", 1_000_000, "P99 under 1 ms"),
    Target("latency-distribution", "stddev_over_mean", "<", 0.5, "StdDev under half the mean"),
    Target("throughput-stability", "batch_throughput_cv", "<", 0.1, "Throughput CV under 0.1"),
)
"""The suite's targets and checks, keyed on (row glob, metric name)."""


def with_overrides(targets: Sequence[Target], values: Mapping[str, float]) -> tuple[Target, ...]:
    """``targets`` with the values of the keys (``rows.metric``) in ``values`` changed.

    Raises ``KeyError`` naming the first key that is no target.
    """
    known = {t.key for t in targets}
    for key in values:
        if key not in known:
            raise KeyError(key)
    return tuple(replace(t, value=values[t.key]) if t.key in values else t for t in targets)


Status = Literal["PASS", "FAIL", "UNREACHABLE", "N/A"]

_NEEDS = {"<": "needs < {}", "<=": "needs <= {}", ">": "needs > {}", ">=": "needs >= {}", "==": "needs {}"}


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """One target's verdict on one row."""

    row: str
    title: str
    metric: str
    op: str
    target: float
    measured: float | None
    """``None``: the row did not measure it, which is a FAIL."""
    status: Status
    note: str | None = None
    """Why: the runtime's measured floor (UNREACHABLE), what the mode measures (N/A), or that it was not measured."""

    @property
    def passed(self) -> bool:
        """Met the target."""
        return self.status == "PASS"

    def missed(self, *, strict: bool = False) -> bool:
        """A FAIL; with ``strict``, an UNREACHABLE or N/A too."""
        return self.status == "FAIL" or (strict and self.status != "PASS")

    @property
    def verdict(self) -> Status:
        """``PASS``, ``FAIL``, ``UNREACHABLE`` or ``N/A``."""
        return self.status

    def describe(self) -> str:
        """One line with the measured value and what it needs: ``FAIL Average Latency 11.2 µs (needs < 10 µs)``."""
        if self.metric == "leak" and self.measured is not None:
            found = "a leak found" if self.measured else "no leak found"
            line = f"{self.status} {self.title}: {found} (needs none)"
        else:
            # The target as a user writes it ("10 µs", not "10.000 µs"), the measurement with its precision.
            needs = _NEEDS[self.op].format(re.sub(r"\.0+(?=\s|$)", "", format_figure(self.metric, self.target)))
            line = f"{self.status} {self.title} {format_figure(self.metric, self.measured)} ({needs})"
        # "not measured" is already said by the figure.
        return f"{line}: {self.note}" if self.note and self.measured is not None else line


def check_row(
    row: str,
    metrics: Mapping[str, float | None],
    targets: Iterable[Target],
    parameters: Mapping[str, object] | None = None,
) -> list[TargetCheck]:
    """Every target that applies to the row ``row``, judged on its ``metrics`` (``parameters``: how it ran)."""
    checks = []
    for t in targets:
        if not fnmatch.fnmatchcase(row, t.rows):
            continue
        measured = metrics.get(t.metric)
        if (meaningless := _not_applicable(t, metrics, parameters or {})) is not None:
            checks.append(TargetCheck(row, t.title, t.metric, t.op, t.value, measured, "N/A", meaningless))
            continue
        if measured is None:
            checks.append(TargetCheck(row, t.title, t.metric, t.op, t.value, None, "FAIL", "not measured"))
            continue
        if _OPERATORS[t.op](measured, t.value):
            checks.append(TargetCheck(row, t.title, t.metric, t.op, t.value, measured, "PASS"))
        elif (floor := _floor(t, metrics)) is not None:
            checks.append(TargetCheck(row, t.title, t.metric, t.op, t.value, measured, "UNREACHABLE", floor))
        else:
            checks.append(TargetCheck(row, t.title, t.metric, t.op, t.value, measured, "FAIL"))
    return checks


_EFFICIENCY_METRICS = frozenset({"efficiency", "efficiency_min"})


def _not_applicable(
    target: Target, metrics: Mapping[str, float | None], parameters: Mapping[str, object]
) -> str | None:
    """Scaling efficiency on one Trio loop: the workers take turns on one thread, so 1/N is the expected figure."""
    if target.metric not in _EFFICIENCY_METRICS:
        return None
    parallel = parameters.get("parallel") or metrics.get("parallel")
    if parallel:
        return None
    return "one Trio loop measures concurrency, where efficiency near 1/N is expected; --parallel measures scaling"


def _floor(target: Target, metrics: Mapping[str, float | None]) -> str | None:
    """For a latency ceiling at or below even the fastest operation measured: that floor, as the reason."""
    fastest = metrics.get("latency_min_ns")
    if not target.metric.startswith("latency_") or target.op not in ("<", "<=") or fastest is None:
        return None
    if _OPERATORS[target.op](fastest, target.value):
        return None
    return f"this runtime's fastest operation took {format_figure('latency_min_ns', fastest)}"
