"""``--compare FILE``: each metric of this run against a baseline, and whether it regressed.

A change is a regression only when it passes its threshold in the worse
direction AND a one-sided Mann-Whitney U test says it is significant: a
threshold alone flags noise, a test alone flags differences too small to
matter. The p-values of one row's metrics are Holm-adjusted together, so
that comparing four figures at once is not four chances of a false alarm.

The repetitions are the test's proper unit: each is a fresh process, so the
spread between them includes what changes from run to run (the machine's
load, memory layout, frequency). The test runs on them when each side has at
least :data:`MIN_REPETITIONS` (three against three can never reach p < 0.05).
With fewer, it runs on the per-interval samples of all repetitions when each
side has at least :data:`MIN_INTERVAL_SAMPLES`; those see only the noise
within a run, so a machine that was busier during one of the two runs can
make a same-code compare significant.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .baseline import BaselineFigures, RowFigures
from .benchmark_config import Thresholds
from .environment import differences
from .results import checkpoint_rule
from .units import format_figure

SIGNIFICANCE = 0.05
"""A change whose one-sided p-value is below this is significant."""
MIN_REPETITIONS = 4
"""Repetitions each side needs for the test to run on them (4 against 4 can reach p = 0.014)."""
MIN_INTERVAL_SAMPLES = 5
"""With fewer repetitions, interval samples each side needs for the test to run on them."""

Kind = Literal["throughput", "latency", "memory"]

COMPARED_METRICS: dict[str, Kind] = {
    "throughput_ops_s": "throughput",
    "batch_throughput_mean_ops_s": "throughput",
    "latency_mean_ns": "latency",
    "latency_p99_ns": "latency",
    "peak_rss_bytes": "memory",
    "creation_overhead_bytes": "memory",
    "data_overhead_bytes": "memory",
    "residual_bytes": "memory",
}
"""The metrics a compare judges (when a row has them), and the threshold each falls under."""

Verdict = Literal["REGRESSION", "improved", "ok", "not significant", "not measured"]


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric of one row, baseline against now."""

    row: str
    metric: str
    kind: Kind
    baseline: float | None
    now: float | None
    change: float | None
    """(now - baseline) / baseline; ``None`` when either is missing or the baseline is 0."""
    threshold: float
    """The fraction the metric may move the worse way (lower throughput, higher latency or memory)."""
    p_value: float | None
    """One-sided, in the direction of the change, Holm-adjusted over the row's metrics;
    ``None`` when it could not be tested."""
    tested_on: str
    """What the test compared: ``24/24 intervals`` or ``3/3 repetitions``."""
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Comparison:
    """A compare: one line per metric, and what could make it unfair."""

    metrics: tuple[MetricComparison, ...]
    warning: str | None
    """One line naming environment and parameter differences, if any."""
    checkpoint_rules: tuple[str, str] | None
    """(baseline, now) checkpoint rules, when the two sides ran different implementations or rules."""

    @property
    def regressions(self) -> list[MetricComparison]:
        """The metrics judged regressions."""
        return [m for m in self.metrics if m.verdict == "REGRESSION"]


def compare(baseline: BaselineFigures, now: BaselineFigures, thresholds: Thresholds) -> Comparison:
    """Judge every compared metric of every row both runs have."""
    results = []
    for name, row in now.rows.items():
        before = baseline.rows.get(name)
        if before is None:
            continue
        tested = [
            _test_metric(name, metric, kind, before=before, now=row, threshold=getattr(thresholds, kind))
            for metric, kind in COMPARED_METRICS.items()
            if metric in row.metrics or metric in before.metrics
        ]
        results += _judged(tested)
    return Comparison(tuple(results), _warning(baseline, now), _checkpoint_rules(baseline, now))


def _test_metric(
    row: str, metric: str, kind: Kind, *, before: RowFigures, now: RowFigures, threshold: float
) -> MetricComparison:
    """The comparison with its raw one-sided p-value; the verdict is left to :func:`_judged`."""
    base_value, now_value = before.metrics.get(metric), now.metrics.get(metric)
    if base_value is None or now_value is None:
        return MetricComparison(row, metric, kind, base_value, now_value, None, threshold, None, "", "not measured")
    change = (now_value - base_value) / base_value if base_value else None
    base_samples, now_samples, tested_on = _samples(metric, before, now)
    # Test in the direction the figure moved: is "now" really lower (or higher)?
    p_value = _one_sided_p(base_samples, now_samples, now_greater=now_value > base_value)
    return MetricComparison(row, metric, kind, base_value, now_value, change, threshold, p_value, tested_on, "ok")


def _judged(tested: list[MetricComparison]) -> list[MetricComparison]:
    """Verdicts for one row's metrics, their p-values Holm-adjusted over the row.

    A row is compared on several metrics at once; unadjusted, one of four
    same-code metrics would pass p < 0.05 by chance about one compare in five.
    """
    adjusted = holm_adjusted([m.p_value for m in tested])
    judged = []
    for m, p in zip(tested, adjusted, strict=True):
        if m.verdict == "not measured" or m.baseline is None or m.now is None:
            judged.append(m)
            continue
        worse = (m.now < m.baseline) if m.kind == "throughput" else (m.now > m.baseline)
        better = m.now != m.baseline and not worse
        if m.change is None or abs(m.change) <= m.threshold:
            verdict: Verdict = "ok"
        elif p is None or p >= SIGNIFICANCE:
            verdict = "not significant"
        else:
            verdict = "REGRESSION" if worse else "improved" if better else "ok"
        judged.append(dataclasses.replace(m, p_value=p, verdict=verdict))
    return judged


def holm_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of the p-values that exist (``None`` stays ``None``)."""
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(present):
        running = max(running, min(1.0, (len(present) - rank) * p))
        adjusted[i] = running
    return adjusted


def _samples(metric: str, before: RowFigures, now: RowFigures) -> tuple[list[float], list[float], str]:
    """The repetitions' figures if each side has enough, else the interval samples if each has enough.

    Failing both, the repetitions: a test that cannot come out significant, which is the truth.
    """
    base_reps = [v for r in before.repetitions if (v := r.metrics.get(metric)) is not None]
    now_reps = [v for r in now.repetitions if (v := r.metrics.get(metric)) is not None]
    by_repetition = (base_reps, now_reps, f"{len(base_reps)}/{len(now_reps)} repetitions")
    if min(len(base_reps), len(now_reps)) >= MIN_REPETITIONS:
        return by_repetition
    base_intervals = [v for r in before.repetitions for v in r.samples.get(metric, [])]
    now_intervals = [v for r in now.repetitions for v in r.samples.get(metric, [])]
    if min(len(base_intervals), len(now_intervals)) >= MIN_INTERVAL_SAMPLES:
        return base_intervals, now_intervals, f"{len(base_intervals)}/{len(now_intervals)} intervals"
    return by_repetition


def _one_sided_p(before: Sequence[float], now: Sequence[float], *, now_greater: bool) -> float | None:
    if not before or not now:
        return None
    if len(set(before) | set(now)) == 1:
        return 1.0  # all equal: no difference to find (the test itself returns nan)
    # Imported here, not at the top: scipy.stats adds ~90 MB of RSS, paid only by a run that uses it.
    from scipy import stats  # noqa: PLC0415

    result = stats.mannwhitneyu(now, before, alternative="greater" if now_greater else "less")
    p = float(result.pvalue)
    return None if math.isnan(p) else p


def _warning(baseline: BaselineFigures, now: BaselineFigures) -> str | None:
    env = differences(baseline.environment, now.environment)
    params = []
    for name, row in now.rows.items():
        before = baseline.rows.get(name)
        if before is None:
            params.append(f"{name}: not in the baseline")
            continue
        # A key only one side has (trio states no yield_every) is told by the keys that differ.
        for key in sorted(before.parameters.keys() & row.parameters.keys()):
            if before.parameters.get(key) != row.parameters.get(key):
                params.append(f"{name} {key}: {before.parameters.get(key)} -> {row.parameters.get(key)}")
    parts = []
    if env:
        parts.append(f"environment ({_some(env)})")
    if params:
        parts.append(f"parameters ({_some(params)})")
    if not parts:
        return None
    return f"the baseline differs in {' and '.join(parts)}: a change may come from these, not from the code"


def _some(items: list[str], shown: int = 4) -> str:
    more = f", and {len(items) - shown} more" if len(items) > shown else ""
    return "; ".join(items[:shown]) + more


def _checkpoint_rules(baseline: BaselineFigures, now: BaselineFigures) -> tuple[str, str] | None:
    def rules(b: BaselineFigures) -> str:
        return " / ".join(dict.fromkeys(checkpoint_rule(r.parameters) for r in b.rows.values()))

    before, after = rules(baseline), rules(now)
    return None if before == after else (before, after)


def format_comparison(comparison: Comparison, source: str, recorded_at: str) -> list[str]:
    """The compare as printed: a heading, the checkpoint rules if they differ, a table, the verdict."""
    lines = [f"compare with {source} (recorded {recorded_at})"]
    if comparison.checkpoint_rules is not None:
        before, after = comparison.checkpoint_rules
        lines.append(f"  checkpoints, baseline: {before}")
        lines.append(f"  checkpoints, now:      {after}")
    rows = [
        (
            m.row,
            m.metric,
            format_figure(m.metric, m.baseline),
            format_figure(m.metric, m.now),
            "" if m.change is None else f"{m.change:+.1%}",
            f"{'-' if m.kind == 'throughput' else '+'}{m.threshold * 100:g}%",
            "" if m.p_value is None else f"{m.p_value:.2g}",
            m.tested_on,
            m.verdict,
        )
        for m in comparison.metrics
    ]
    header = ("row", "metric", "baseline", "now", "change", "threshold", "p", "tested on", "verdict")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = {0, 1, 7, 8}  # names and words to the left, figures to the right
    for r in [header, *rows]:
        cells = [
            cell.ljust(w) if i in left else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  " + " ".join(cells).rstrip())
    untestable = [m for m in comparison.metrics if m.verdict == "not significant"]
    if untestable:
        lines.append(
            f"  {len(untestable)} change(s) past the threshold are not significant at p < {SIGNIFICANCE}: "
            "more repetitions (--repeat) or a quieter machine decide"
        )
    regressions = comparison.regressions
    if regressions:
        lines.append(f"  {len(regressions)} regression(s): " + ", ".join(f"{m.row} {m.metric}" for m in regressions))
        if any(m.tested_on.endswith("intervals") for m in regressions):
            lines.append(
                "  (tested on intervals, which miss run-to-run drift: confirm with --repeat 5 or more on both sides)"
            )
    else:
        lines.append("  no regression")
    return lines
