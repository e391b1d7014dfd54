"""``--compare FILE``: each metric of this run against a baseline, and whether it regressed.

A change is a regression when it is past its threshold in the worse direction
AND a test says it is significantly past that threshold:

- The unit of evidence is the repetition. Each is a fresh process, so the
  spread between repetitions includes what changes from run to run (the
  machine's load, memory layout, frequency); and every run has one figure per
  repetition, even a default run whose bounded count gives one or two
  intervals. Intervals within a run see only the noise within it.
- The test is Student's t on the logarithms of the per-repetition figures
  (pyperf compares with Student's t): on logarithms a change is a ratio, so a
  2x change weighs the same at any scale and in either direction, and a large, consistent change reaches a small p with
  three repetitions a side, which no rank test can (three against three
  cannot go below p = 0.05).
- The null hypothesis is "the change is within its threshold", not "no
  change": a same-code compare on a busy machine moves by a few percent, and
  only a change significantly past the threshold the user chose is reported.
- The p-values of one row's metrics are Holm-adjusted together, so that
  comparing four figures at once is not four chances of a false alarm.

On a shared machine the load's share of a core swings from run to run (measured
here: 12 % to 47 % of a core for the same code), and a wall-clock rate swings
with it. So a throughput or latency change is a regression only when the same
test on the figures per CPU-second of the load (throughput / share, latency x
share) agrees; when only the wall-clock figures moved, the machine may explain
it, and the verdict is ``cannot decide``, naming the two shares.

Where the data cannot decide (one repetition a side has no spread; a change
past its threshold that the spread makes uncertain) the verdict is ``cannot
decide``, with the repetitions that would decide if the spread stays as it is.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .baseline import BaselineFigures, RowFigures
from .benchmark_config import Thresholds
from .environment import differences
from .results import checkpoint_rule
from .units import format_figure

SIGNIFICANCE = 0.05
"""A change whose adjusted one-sided p-value is below this is significant."""
MIN_REPETITIONS = 2
"""Repetitions each side needs for a spread, without which nothing can be tested."""
MAX_SUGGESTED_REPETITIONS = 30
"""Past this many, a change within the run-to-run spread is called noise, not a call for more runs."""

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

Verdict = Literal["REGRESSION", "improved", "ok", "not significant", "cannot decide", "not measured"]

DECIDED_CHANGES: frozenset[Verdict] = frozenset({"REGRESSION", "improved"})
UNDECIDED: frozenset[Verdict] = frozenset({"not significant", "cannot decide"})


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
    """One-sided, that the change is past its threshold, Holm-adjusted over the row's metrics;
    ``None`` when it could not be tested."""
    tested_on: str
    """What the test compared: ``3/3 repetitions``."""
    verdict: Verdict
    needed_repetitions: int | None = None
    """For ``cannot decide``: repetitions a side that would decide at the spread seen (``None``: one more
    repetition's spread is needed to tell)."""
    cpu_shares: tuple[float, float] | None = None
    """The load's mean share of a core (baseline, now), when both sides measured it and it was weighed."""
    cpu_p_value: float | None = None
    """The same test on the figures per CPU-second; ``None`` when not weighed (memory, or no CPU figures)."""
    repetitions: tuple[int, int] = (0, 0)
    """Repetitions with the figure (baseline, now)."""

    @property
    def machine_may_explain(self) -> bool:
        """Undecided because the figures per CPU-second of the load did not move past the threshold."""
        return self.verdict == "cannot decide" and self.cpu_p_value is not None and self.needed_repetitions is None

    @property
    def worse(self) -> bool:
        """The figure moved the bad way: throughput down, latency or memory up."""
        if self.baseline is None or self.now is None:
            return False
        return self.now < self.baseline if self.kind == "throughput" else self.now > self.baseline


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

    @property
    def undecided(self) -> list[MetricComparison]:
        """The metrics past their threshold that the data could not decide."""
        return [m for m in self.metrics if m.verdict in UNDECIDED]


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


@dataclass(frozen=True, slots=True)
class _Tested:
    comparison: MetricComparison
    samples: tuple[list[float], list[float]]


def _test_metric(
    row: str, metric: str, kind: Kind, *, before: RowFigures, now: RowFigures, threshold: float
) -> _Tested:
    """The comparison with its raw one-sided p-value; the verdict is left to :func:`_judged`."""
    base_value, now_value = before.metrics.get(metric), now.metrics.get(metric)
    base_reps = [v for r in before.repetitions if (v := r.metrics.get(metric)) is not None]
    now_reps = [v for r in now.repetitions if (v := r.metrics.get(metric)) is not None]
    tested_on = f"{len(base_reps)}/{len(now_reps)} repetitions"
    if base_value is None or now_value is None:
        blank = MetricComparison(row, metric, kind, base_value, now_value, None, threshold, None, "", "not measured")
        return _Tested(blank, ([], []))
    change = (now_value - base_value) / base_value if base_value else None
    m = MetricComparison(row, metric, kind, base_value, now_value, change, threshold, None, tested_on, "ok")
    greater = now_value > base_value
    p_value = past_threshold_p(base_reps, now_reps, _bound(m), now_greater=greater)
    shares, cpu_p = None, None
    if kind != "memory" and (per_cpu := _per_cpu_second(metric, kind, before, now)) is not None:
        base_cpu, now_cpu, shares = per_cpu
        cpu_p = past_threshold_p(base_cpu, now_cpu, _bound(m), now_greater=greater)
    counts = (len(base_reps), len(now_reps))
    m = dataclasses.replace(m, p_value=p_value, cpu_shares=shares, cpu_p_value=cpu_p, repetitions=counts)
    return _Tested(m, (base_reps, now_reps))


def _per_cpu_second(
    metric: str, kind: Kind, before: RowFigures, now: RowFigures
) -> tuple[list[float], list[float], tuple[float, float]] | None:
    """Each repetition's figure per CPU-second of the load, and each side's mean share of a core.

    ``None`` unless every repetition of both sides has the figure and a CPU share.
    """
    sides = []
    for figures in (before, now):
        pairs = [(r.metrics.get(metric), r.metrics.get("cpu_percent")) for r in figures.repetitions]
        if not pairs or any(v is None or not share for v, share in pairs):
            return None
        sides.append([(float(v or 0), float(share or 0) / 100) for v, share in pairs])
    # A load that got half a core delivers half the rate, and its operations take twice the wall time.
    per_cpu = [[v / s if kind == "throughput" else v * s for v, s in side] for side in sides]
    shares = (statistics.fmean(s for _, s in sides[0]), statistics.fmean(s for _, s in sides[1]))
    return per_cpu[0], per_cpu[1], shares


def _bound(m: MetricComparison) -> float:
    """The ratio now / baseline that the change must be significantly past: the threshold, either way."""
    assert m.baseline is not None and m.now is not None
    up = m.now > m.baseline
    # Throughput may fall by the threshold; latency and memory may rise by it. The good way, the same fraction.
    if m.kind == "throughput":
        return 1 + m.threshold if up else 1 - m.threshold
    return 1 + m.threshold if up else 1 / (1 + m.threshold)


def _judged(tested: list[_Tested]) -> list[MetricComparison]:
    """Verdicts for one row's metrics, their p-values Holm-adjusted over the row.

    A row is compared on several metrics at once; unadjusted, each of four
    same-code metrics is one more chance of a false alarm.
    """
    adjusted = holm_adjusted([t.comparison.p_value for t in tested])
    family = sum(p is not None for p in adjusted)
    judged = []
    for t, p in zip(tested, adjusted, strict=True):
        m = t.comparison
        if m.verdict == "not measured":
            judged.append(m)
            continue
        needed = None
        if m.change is None or abs(m.change) <= m.threshold:
            verdict: Verdict = "ok"
        elif p is not None and p < SIGNIFICANCE and (m.cpu_p_value is None or m.cpu_p_value < SIGNIFICANCE):
            verdict = "REGRESSION" if m.worse else "improved"
        elif p is not None and p < SIGNIFICANCE:
            verdict = "cannot decide"  # only the wall clock moved: the machine's share of a core may explain it
        else:
            needed = repetitions_to_decide(*t.samples, _bound(m), family=family)
            verdict = "cannot decide" if p is None or needed is not None else "not significant"
        judged.append(dataclasses.replace(m, p_value=p, verdict=verdict, needed_repetitions=needed))
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


def _scale(values: Sequence[float]) -> list[float] | None:
    """The logarithms, or ``None`` when a value is not positive (a ratio means nothing then)."""
    return [math.log(v) for v in values] if all(v > 0 for v in values) else None


def past_threshold_p(before: Sequence[float], now: Sequence[float], bound: float, *, now_greater: bool) -> float | None:
    """One-sided p that now / before is past ``bound`` (above it when ``now_greater``), by Student's t on logs.

    ``None`` when a side has fewer than :data:`MIN_REPETITIONS` figures. Figures
    that are not all positive are tested on their differences instead, the
    bound then applying to the baseline's mean.
    """
    if min(len(before), len(now)) < MIN_REPETITIONS:
        return None
    logs_before, logs_now = _scale(before), _scale(now)
    if logs_before is not None and logs_now is not None and bound > 0:
        a, b, shift = logs_before, logs_now, math.log(bound)
    else:
        a, b = list(before), list(now)
        shift = (bound - 1) * abs(statistics.fmean(before))
    return _t_p(a, b, shift, greater=now_greater, n=None)


def _t_p(before: Sequence[float], now: Sequence[float], shift: float, *, greater: bool, n: int | None) -> float:
    """One-sided p that mean(now) - mean(before) is past ``shift``; ``n``: as if each side had n figures.

    Student's t with the two sides' variance pooled, as pyperf compares: both
    sides ran on one machine, and on logarithms its noise is one multiplicative
    spread, so pooling gives the test the degrees of freedom of all repetitions.
    """
    difference = statistics.fmean(now) - statistics.fmean(before) - shift
    if not greater:
        difference = -difference
    n_before, n_now = (len(before), len(now)) if n is None else (n, n)
    df = n_before + n_now - 2
    pooled = ((len(before) - 1) * statistics.variance(before) + (len(now) - 1) * statistics.variance(now)) / (
        len(before) + len(now) - 2
    )
    spread = pooled * (1 / n_before + 1 / n_now)
    if spread == 0:  # every repetition gave the same figure: the difference is exact
        return 0.0 if difference > 0 else 1.0
    # Imported here, not at the top: scipy.stats adds ~90 MB of RSS, paid only by a run that compares.
    from scipy import stats  # noqa: PLC0415

    return float(stats.t.sf(difference / math.sqrt(spread), df))


def repetitions_to_decide(before: Sequence[float], now: Sequence[float], bound: float, *, family: int) -> int | None:
    """The repetitions a side with which the change seen would be significant, at the spread seen.

    Judged against Holm's strictest step (``SIGNIFICANCE / family``). ``None``
    when the change is within the spread even at :data:`MAX_SUGGESTED_REPETITIONS`,
    or when a side has too few figures to have a spread.
    """
    if min(len(before), len(now)) < MIN_REPETITIONS:
        return None
    logs_before, logs_now = _scale(before), _scale(now)
    if logs_before is None or logs_now is None or bound <= 0:
        return None
    greater = statistics.fmean(logs_now) > statistics.fmean(logs_before)
    start = max(len(before), len(now)) + 1
    for n in range(start, MAX_SUGGESTED_REPETITIONS + 1):
        p = _t_p(logs_before, logs_now, math.log(bound), greater=greater, n=n)
        if p < SIGNIFICANCE / max(family, 1):
            return n
    return None


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


def ordered(metrics: Sequence[MetricComparison], *, only_changes: bool = False) -> list[MetricComparison]:
    """The rows with a changed or undecided metric first (in run order), then the others unless ``only_changes``.

    A row's metrics stay together, so a regression is read beside its row's other figures.
    """
    rows = list(dict.fromkeys(m.row for m in metrics))
    flagged = {m.row for m in metrics if m.verdict in DECIDED_CHANGES | UNDECIDED}
    order = [r for r in rows if r in flagged] + ([] if only_changes else [r for r in rows if r not in flagged])
    return [m for r in order for m in metrics if m.row == r]


def format_comparison(
    comparison: Comparison, source: str, recorded_at: str, *, only_changes: bool = False
) -> list[str]:
    """The compare as printed: a heading, the checkpoint rules if they differ, a table, the verdict."""
    lines = [f"compare with {source} (recorded {recorded_at})"]
    if comparison.checkpoint_rules is not None:
        before, after = comparison.checkpoint_rules
        lines.append(f"  checkpoints, baseline: {before}")
        lines.append(f"  checkpoints, now:      {after}")
    shown = ordered(comparison.metrics, only_changes=only_changes)
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
        for m in shown
    ]
    header = ("row", "metric", "baseline", "now", "change", "threshold", "p", "tested on", "verdict")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = {0, 1, 7, 8}  # names and words to the left, figures to the right
    for r in [header, *rows]:
        cells = [
            cell.ljust(w) if i in left else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  " + " ".join(cells).rstrip())
    hidden = len(comparison.metrics) - len(shown)
    if hidden:
        lines.append(f"  ({hidden} metric(s) within their thresholds not shown: --only-changes)")
    lines.extend("  " + line for line in undecided_lines(comparison))
    regressions = comparison.regressions
    if regressions:
        named = [f"{m.row} {m.metric}" for m in regressions]
        more = f", and {len(named) - 8} more" if len(named) > 8 else ""
        lines.append(f"  {len(regressions)} regression(s): " + ", ".join(named[:8]) + more)
    else:
        lines.append("  no regression")
    return lines


def undecided_lines(comparison: Comparison) -> list[str]:
    """Why the metrics past their thresholds that were not decided could not be, and what would decide them."""
    lines = []
    undecided = comparison.undecided
    no_spread = [m for m in undecided if m.p_value is None]
    if no_spread:
        fewest = min(min(m.repetitions) for m in no_spread)
        lines.append(
            f"cannot decide: {fewest} repetition(s) a side give no run-to-run spread for {len(no_spread)} metric(s); "
            f"use --repeat {MIN_REPETITIONS + 1} or more on both sides"
        )
    more = [m for m in undecided if m.needed_repetitions is not None]
    if more:
        have = min(min(m.repetitions) for m in more)
        family = max(sum(1 for x in comparison.metrics if x.row == m.row and x.p_value is not None) for m in more)
        needed = max(m.needed_repetitions or 0 for m in more)
        lines.append(
            f"cannot decide: {have} repetitions cannot reach p < {SIGNIFICANCE} for {len(more)} metric(s) "
            f"(tested together with up to {family}) at the spread seen; use --repeat {needed} on both sides"
        )
    cpu = [m for m in undecided if m.machine_may_explain and m.cpu_shares is not None]
    if cpu:
        before, after = cpu[0].cpu_shares or (0.0, 0.0)
        lines.append(
            f"cannot decide: {len(cpu)} change(s) are significant on the wall clock but not per CPU-second of the "
            f"load, which got {before:.0%} of a core in the baseline and {after:.0%} now: the machine's load may "
            "explain them; compare again on a quieter machine"
        )
    noise = [m for m in undecided if m.verdict == "not significant"]
    if noise:
        lines.append(
            f"{len(noise)} change(s) past the threshold are within the run-to-run spread (not significant even "
            f"with {MAX_SUGGESTED_REPETITIONS} repetitions at this spread): a quieter machine decides"
        )
    return lines
