"""The suite's performance targets and per-test checks, and their verdicts on a run's rows.

Defaults are the suite's own (``performanceTargets`` and each test's ``check``);
a TOML config may change a value but never the rule. A target the runtime
cannot reach stays a FAIL, and says what the runtime's measured floor is.
"""

from __future__ import annotations

import fnmatch
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

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
    passed: bool
    note: str | None = None
    """Why a FAIL cannot be fixed by tuning: the runtime's measured floor; or that it was not measured."""

    @property
    def verdict(self) -> str:
        """``PASS`` or ``FAIL``."""
        return "PASS" if self.passed else "FAIL"

    def describe(self) -> str:
        """One line: ``PASS Average Latency: 2.310 µs < 10.000 µs``."""
        line = (
            f"{self.verdict} {self.title}: {format_figure(self.metric, self.measured)} "
            f"{self.op} {format_figure(self.metric, self.target)}"
        )
        return f"{line} ({self.note})" if self.note else line


def check_row(row: str, metrics: Mapping[str, float | None], targets: Iterable[Target]) -> list[TargetCheck]:
    """Every target that applies to the row ``row``, judged on its ``metrics``."""
    checks = []
    for t in targets:
        if not fnmatch.fnmatchcase(row, t.rows):
            continue
        measured = metrics.get(t.metric)
        if measured is None:
            checks.append(TargetCheck(row, t.title, t.metric, t.op, t.value, None, False, "not measured"))
            continue
        passed = _OPERATORS[t.op](measured, t.value)
        checks.append(TargetCheck(row, t.title, t.metric, t.op, t.value, measured, passed, _floor_note(t, metrics)))
    return checks


def _floor_note(target: Target, metrics: Mapping[str, float | None]) -> str | None:
    """For a latency ceiling below even the fastest operation measured: say so, with that floor."""
    fastest = metrics.get("latency_min_ns")
    if not target.metric.startswith("latency_") or target.op not in ("<", "<=") or fastest is None:
        return None
    if _OPERATORS[target.op](fastest, target.value):
        return None
    return f"unreachable on this runtime: its fastest operation took {format_figure('latency_min_ns', fastest)}"
