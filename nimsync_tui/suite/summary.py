"""The run's summary as printed: per row its rate, its latency, every target's verdict and its notes."""

from __future__ import annotations

from typing import TextIO

from .report import RowReport, SuiteReport
from .units import format_figure

BUSY_NOTE = "machine busy"
"""How the load's note on a busy machine begins (``run.resources.busy_machine``): said once per run, not per row."""


def print_summary(report: SuiteReport, out: TextIO, *, stats: bool = False, strict: bool = False) -> None:
    """A few lines per row; with ``stats`` the suite's analysis over the repetitions too.

    ``strict``: targets that are UNREACHABLE or N/A count as missed (``--strict-targets``).
    """
    for row in report.rows:
        for line in row_lines(row, stats=stats):
            print(line, file=out)
    busy = [n for row in report.rows for n in row.result.notes if n.startswith(BUSY_NOTE)]
    if busy:
        rows = sum(any(n.startswith(BUSY_NOTE) for n in row.result.notes) for row in report.rows)
        print(f"note: {busy[-1]} (said by {rows} of {len(report.rows)} rows)", file=out)
    if (targets := targets_line(report, strict=strict)) is not None:
        print(targets, file=out)


def targets_line(report: SuiteReport, *, strict: bool = False) -> str | None:
    """``targets and checks: 9 of 12 passed, 2 unreachable here, 1 n/a (all reachable ones passed)``."""
    checks = [c for row in report.rows for c in row.checks]
    if not checks:
        return None
    missed = report.missed_strictly() if strict else report.missed
    passed = sum(c.passed for c in checks)
    unreachable = sum(c.status == "UNREACHABLE" for c in checks)
    meaningless = sum(c.status == "N/A" for c in checks)
    others = "".join(
        f", {count} {what}" for count, what in ((unreachable, "unreachable here"), (meaningless, "n/a")) if count
    )
    if missed:
        verdict = f"{len(missed)} missed" + (", --strict-targets counts unreachable and n/a" if strict else "")
    else:
        verdict = "all reachable ones passed" if others else "all passed"
    return f"targets and checks: {passed} of {len(checks)} passed{others} ({verdict})"


def row_lines(row: RowReport, *, stats: bool = False) -> list[str]:
    """The summary lines of one row."""
    r, a = row.result, row.analysis
    pad = " " * 20
    reps = f" over {a.repetitions} repetitions" if a.repetitions > 1 else ""
    spread = ""
    if a.throughput_ci_low_ops_s is not None and a.throughput_ci_high_ops_s is not None:
        spread = f" (95% CI of the mean {a.throughput_ci_low_ops_s:,.0f}..{a.throughput_ci_high_ops_s:,.0f})"
    # A failed or timed-out row says why first; its figures cover what ran until then.
    lines = [f"{r.name:<19} {r.status.upper().replace('_', ' ')}: {r.error}"] if r.error is not None else []
    lines.append(
        f"{r.name:<19} {r.operations:,} {r.operation}s in {r.duration_s:.3f} s{reps} = "
        f"{r.throughput_ops_s:,.0f} ops/s{spread} [{r.status}]"
    )
    lat = r.latency_ns
    if lat.count == 0 or lat.p50 is None or lat.p99 is None or lat.max is None:
        lines.append(f"{pad}{r.measures}: no samples (0 values recorded)")
    else:
        lines.append(
            f"{pad}{r.measures}: p50 {lat.p50 / 1e3:.3f} µs, p99 {lat.p99 / 1e3:.3f} µs, "
            f"max {lat.max / 1e3:.3f} µs ({lat.count:,} samples)"
        )
    if stats:
        lines.extend(pad + line for line in _analysis_lines(row))
    lines.extend(pad + c.describe() for c in row.checks)
    lines.extend(f"{pad}note: {note}" for note in r.notes if not note.startswith(BUSY_NOTE))
    return lines


def _analysis_lines(row: RowReport) -> list[str]:
    a, s = row.analysis, row.result.stability

    def latency(value: float | None) -> str:
        return format_figure("latency_mean_ns", value)

    lines = [
        f"over {a.repetitions} repetition(s): average {a.avg_throughput_ops_s:,.0f} ops/s, "
        f"stddev {format_figure('throughput_ops_s', a.throughput_stddev_ops_s)}; mean latency min "
        f"{latency(a.min_latency_ns)}, max {latency(a.max_latency_ns)}, p95 {latency(a.p95_latency_ns)}"
    ]
    cv = "not measured (fewer than 3 full intervals)" if s.cv is None else f"{s.cv:.3f}"
    lines.append(f"throughput over {s.intervals} interval(s): CV {cv}")
    return lines


def summary_text(report: SuiteReport) -> str:
    """A recording's ``summary.txt``: one line per row, its headline figures and its verdicts."""
    lines = []
    for row in report.rows:
        r, lat = row.result, row.result.latency_ns
        figures = f"{format_figure('throughput_ops_s', r.throughput_ops_s)}"
        if lat.p50 is not None and lat.p99 is not None:
            figures += (
                f", p50 {format_figure('latency_p50_ns', lat.p50)}, p99 {format_figure('latency_p99_ns', lat.p99)}"
            )
        verdicts = "; ".join(c.describe() for c in row.checks) or "no targets"
        lines.append(f"{r.name}: {r.status}, {figures}; {verdicts}")
    if (line := targets_line(report)) is not None:
        lines.append(line)
    return "\n".join(lines) + "\n"
