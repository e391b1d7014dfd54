"""The summary of a recorded run: ``results.json`` and ``intervals.csv``."""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import psutil
from hdrh.histogram import HdrHistogram

from .. import __version__
from ..core.histogram import LatencySummary, summarize
from ..core.protocol import IntervalRecord, RunStarted


@dataclass(frozen=True, slots=True)
class Stability:
    """How steady throughput was across the measured intervals (the suite's CV check)."""

    intervals: int
    """Measured intervals counted: those at least half the nominal interval long."""
    mean_ops_s: float
    """Mean of the per-interval throughputs."""
    stddev_ops_s: float
    """Their standard deviation (0 with fewer than two intervals)."""
    cv: float
    """Coefficient of variation, stddev / mean."""


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """What one scenario's measured phase came to."""

    name: str
    measures: str
    operation: str
    status: str
    """``completed``; ``stopped`` (interrupted before its planned end); ``failed`` (the load
    raised or its process died: see ``error``); ``timed_out`` (stopped by the suite's timeout)."""
    duration_s: float
    operations: int
    throughput_ops_s: float
    latency_ns: LatencySummary
    """Summary of the histogram of what ``measures`` says, in nanoseconds."""
    overflow: int
    """Samples outside the histogram's 1 ns .. 1 h range."""
    rss_bytes: int
    """Peak resident set size of the load process, up to the end of this scenario."""
    cpu_percent: float
    """Mean CPU use of the load process (100 = one core)."""
    stability: Stability
    parameters: dict[str, Any] = field(default_factory=dict)
    scenario: str = ""
    """The scenario this row belongs to: ``name`` itself, or the scenario of a step row."""
    title: str = ""
    """The suite's test name."""
    category: str = ""
    """The suite's category."""
    step: dict[str, Any] | None = None
    """``{"param": ..., "value": ...}`` for a step row, else ``None``."""
    metrics: dict[str, float | None] = field(default_factory=dict)
    """Named figures (see the scenarios' metric list); ``None`` means not measured."""
    notes: list[str] = field(default_factory=list)
    """One-line statements about the row: verdict rules, caveats, warnings."""
    error: str | None = None
    """Why a ``failed`` or ``timed_out`` scenario ended, one line; ``None`` otherwise.
    The figures then cover what was measured before that."""


def scenario_result(
    started: RunStarted,
    intervals: list[IntervalRecord],
    histogram: HdrHistogram,
    *,
    status: str,
    duration_s: float,
    operations: int,
    error: str | None = None,
) -> ScenarioResult:
    """Summarise one scenario from its measured intervals and their merged histogram."""
    # A last interval cut short by the end of the run is no sample of the
    # steady rate: it would only add noise to the stability figure.
    rates = [i.ops_per_s for i in intervals if i.length_s >= started.interval_s / 2]
    mean_rate = statistics.fmean(rates) if rates else 0.0
    sd_rate = statistics.stdev(rates) if len(rates) > 1 else 0.0
    cpu_time = sum(i.cpu_percent * i.length_s for i in intervals)
    measured = sum(i.length_s for i in intervals)
    return ScenarioResult(
        name=started.scenario,
        measures=started.measures,
        operation=started.operation,
        status=status,
        duration_s=duration_s,
        operations=operations,
        throughput_ops_s=operations / duration_s if duration_s > 0 else 0.0,
        latency_ns=summarize(histogram),
        overflow=sum(i.overflow for i in intervals),
        rss_bytes=max((i.peak_rss_bytes for i in intervals), default=0),
        cpu_percent=cpu_time / measured if measured > 0 else 0.0,
        stability=Stability(
            intervals=len(rates),
            mean_ops_s=mean_rate,
            stddev_ops_s=sd_rate,
            cv=sd_rate / mean_rate if mean_rate > 0 else 0.0,
        ),
        parameters=dict(started.params),
        error=error,
    )


def environment() -> dict[str, Any]:
    """Where the figures were measured: they mean little without it."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "trio": version("trio"),
        "numpy": version("numpy"),
        "hdrhistogram": version("hdrhistogram"),
        "nimsync_tui": __version__,
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_bytes": psutil.virtual_memory().total,
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def results_json(results: list[ScenarioResult], *, started_at: datetime, not_run: list[str] | None = None) -> str:
    """The text of ``results.json``; ``not_run`` names the scenarios a stopped recording never started."""
    document = {
        "tool": "nimsync-tui",
        "recorded_at": started_at.astimezone(UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        "scenarios": [asdict(r) for r in results],
        "not_run": not_run or [],
    }
    return json.dumps(document, indent=2) + "\n"


INTERVAL_COLUMNS = (
    "scenario",
    "phase",
    "start_s",
    "length_s",
    "ops",
    "ops_per_s",
    "p50_ns",
    "p99_ns",
    "max_ns",
    "overflow",
    "rss_bytes",
    "cpu_percent",
    "allocated_blocks",
)


def intervals_csv(rows: list[tuple[IntervalRecord, LatencySummary]]) -> str:
    """The text of ``intervals.csv``: one row per interval, for spreadsheets and plots."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(INTERVAL_COLUMNS)
    for rec, lat in rows:
        writer.writerow(
            [
                rec.tag,
                rec.phase,
                f"{rec.start_s:.3f}",
                f"{rec.length_s:.3f}",
                rec.ops,
                f"{rec.ops_per_s:.1f}",
                lat.p50,
                lat.p99,
                lat.max,
                rec.overflow,
                rec.rss_bytes,
                f"{rec.cpu_percent:.1f}",
                rec.allocated_blocks,
            ]
        )
    return buf.getvalue()
