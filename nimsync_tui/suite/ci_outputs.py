"""Results CI reads: ``--junit FILE`` (JUnit XML) and ``--markdown FILE`` (GitHub-flavoured markdown).

JUnit: one testcase per target or per-test check and one per compared metric,
each classed by its row, so a CI's test report lists them beside the code's own
tests. A FAIL or a REGRESSION is a failure whose message holds the measured
value, what it needs and the verdict; an UNREACHABLE or N/A target is skipped
with its reason (a failure under ``--strict-targets``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .compare import Comparison, MetricComparison, ordered, undecided_lines
from .report import SuiteReport
from .summary import targets_line
from .targets import TargetCheck
from .units import format_figure

SUITE_NAME = "nimsync-tui"


def junit_xml(report: SuiteReport, comparison: Comparison | None, *, strict: bool = False) -> str:
    """The run's verdicts as one JUnit ``testsuite``."""
    suite = ET.Element("testsuite", name=SUITE_NAME)
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    for row in report.rows:
        for check in row.checks:
            _target_case(suite, check, strict=strict, counts=counts)
    for m in comparison.metrics if comparison is not None else ():
        _compare_case(suite, m, counts=counts)
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("errors", "0")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _target_case(suite: ET.Element, check: TargetCheck, *, strict: bool, counts: dict[str, int]) -> None:
    case = ET.SubElement(suite, "testcase", classname=check.row, name=check.title)
    counts["tests"] += 1
    line = check.describe()
    if check.missed(strict=strict):
        ET.SubElement(case, "failure", message=line, type=check.status).text = line
        counts["failures"] += 1
    elif not check.passed:
        ET.SubElement(case, "skipped", message=line)
        counts["skipped"] += 1
    else:
        ET.SubElement(case, "system-out").text = line


def _compare_line(m: MetricComparison) -> str:
    change = "" if m.change is None else f" ({m.change:+.1%}"
    p = "" if m.p_value is None else f", p {m.p_value:.2g}"
    limit = f"{'-' if m.kind == 'throughput' else '+'}{m.threshold:.0%}"
    tail = f"{p}, threshold {limit})" if change else ""
    return (
        f"{m.verdict} {m.metric}: {format_figure(m.metric, m.now)} against "
        f"{format_figure(m.metric, m.baseline)}{change}{tail}"
    )


def _compare_case(suite: ET.Element, m: MetricComparison, *, counts: dict[str, int]) -> None:
    case = ET.SubElement(suite, "testcase", classname=m.row, name=f"compare {m.metric}")
    counts["tests"] += 1
    line = _compare_line(m)
    if m.verdict == "REGRESSION":
        ET.SubElement(case, "failure", message=line, type="REGRESSION").text = line
        counts["failures"] += 1
    else:
        ET.SubElement(case, "system-out").text = line


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(report: SuiteReport, comparison: Comparison | None, *, strict: bool = False) -> str:
    """The summary table (and the compare) as GitHub-flavoured markdown."""
    lines = [
        "## nimsync-tui",
        "",
        "| row | status | throughput | p50 | p99 | targets |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in report.rows:
        r = row.result
        lat = r.latency_ns
        verdicts = "<br>".join(_cell(c.describe()) for c in row.checks) or "-"
        lines.append(
            f"| {_cell(r.name)} | {r.status} | {format_figure('throughput_ops_s', r.throughput_ops_s)} | "
            f"{format_figure('latency_p50_ns', lat.p50)} | {format_figure('latency_p99_ns', lat.p99)} | {verdicts} |"
        )
    if (line := targets_line(report, strict=strict)) is not None:
        lines += ["", line]
    if comparison is not None:
        lines += [
            "",
            "### Compare",
            "",
            "| row | metric | baseline | now | change | p | verdict |",
            "|---|---|---:|---:|---:|---:|---|",
        ]
        for m in ordered(comparison.metrics):
            change = "" if m.change is None else f"{m.change:+.1%}"
            p = "" if m.p_value is None else f"{m.p_value:.2g}"
            verdict = f"**{m.verdict}**" if m.verdict == "REGRESSION" else m.verdict
            lines.append(
                f"| {_cell(m.row)} | {m.metric} | {format_figure(m.metric, m.baseline)} | "
                f"{format_figure(m.metric, m.now)} | {change} | {p} | {verdict} |"
            )
        lines += ["", *undecided_lines(comparison)]
        regressions = comparison.regressions
        lines.append(f"{len(regressions)} regression(s)" if regressions else "no regression")
    return "\n".join(lines) + "\n"
