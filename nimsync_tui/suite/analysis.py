"""The suite's ``BenchmarkResult`` per repetition and its ``analyzeResults`` over them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from .results import ScenarioResult

CONFIDENCE = 0.95
"""Level of the confidence interval for the mean throughput."""


@dataclass(frozen=True, slots=True)
class BenchmarkResult:
    """One repetition of one scenario, as the suite's ``BenchmarkResult`` records it."""

    name: str
    duration_s: float
    operations: int
    throughput_ops_s: float
    latency_ns: float | None
    """The repetition's mean latency (of what the scenario measures); ``None`` without samples."""
    memory_bytes: int
    """Peak resident set size of the load process."""
    cpu_percent: float
    """Mean CPU use of the load process (100 = one core)."""

    @classmethod
    def of(cls, result: ScenarioResult) -> BenchmarkResult:
        """The suite's record of ``result``."""
        return cls(
            name=result.name,
            duration_s=result.duration_s,
            operations=result.operations,
            throughput_ops_s=result.throughput_ops_s,
            latency_ns=result.latency_ns.mean,
            memory_bytes=result.rss_bytes,
            cpu_percent=result.cpu_percent,
        )


@dataclass(frozen=True, slots=True)
class BenchmarkAnalysis:
    """The suite's ``BenchmarkAnalysis``, plus a confidence interval for the mean throughput."""

    repetitions: int
    avg_throughput_ops_s: float
    throughput_stddev_ops_s: float | None
    """Sample standard deviation; ``None`` with one repetition."""
    throughput_ci_low_ops_s: float | None
    """Lower end of the :data:`CONFIDENCE` interval (Student's t); ``None`` with one repetition."""
    throughput_ci_high_ops_s: float | None
    min_latency_ns: float | None
    """Lowest of the repetitions' mean latencies; ``None`` when none had samples."""
    max_latency_ns: float | None
    p95_latency_ns: float | None
    """The suite's rank rule over the repetitions' latencies: ``sorted[95 * n div 100]``."""


def analyze_results(results: Sequence[BenchmarkResult]) -> BenchmarkAnalysis:
    """``analyzeResults`` over the repetitions of one scenario (at least one)."""
    if not results:
        raise ValueError("analyze_results needs at least one result")
    throughputs = [r.throughput_ops_s for r in results]
    latencies = sorted(r.latency_ns for r in results if r.latency_ns is not None)
    n = len(throughputs)
    mean = statistics.fmean(throughputs)
    stddev = statistics.stdev(throughputs) if n > 1 else None
    low = high = None
    if stddev is not None:
        if stddev == 0.0:
            low = high = mean  # t.interval returns nan for a zero scale
        else:
            low, high = (float(x) for x in stats.t.interval(CONFIDENCE, n - 1, loc=mean, scale=stddev / math.sqrt(n)))
    return BenchmarkAnalysis(
        repetitions=n,
        avg_throughput_ops_s=mean,
        throughput_stddev_ops_s=stddev,
        throughput_ci_low_ops_s=low,
        throughput_ci_high_ops_s=high,
        min_latency_ns=latencies[0] if latencies else None,
        max_latency_ns=latencies[-1] if latencies else None,
        p95_latency_ns=latencies[95 * len(latencies) // 100] if latencies else None,
    )
