"""What CI reads: JUnit read back by junitparser, markdown rendered by markdown-it-py, summary.txt, the summary."""

import dataclasses
import io

import junitparser
import numpy as np
from markdown_it import MarkdownIt

from nimsync_tui.core.histogram import new_histogram, record_values
from nimsync_tui.suite.baseline import BaselineFigures, RepetitionFigures, RowFigures
from nimsync_tui.suite.benchmark_config import Thresholds
from nimsync_tui.suite.ci_outputs import junit_xml, markdown
from nimsync_tui.suite.compare import compare
from nimsync_tui.suite.report import SuiteReport, judge_single_runs
from nimsync_tui.suite.results import ScenarioResult, scenario_result
from nimsync_tui.suite.summary import print_summary, summary_text
from nimsync_tui.suite.targets import DEFAULT_TARGETS

from .test_results import STARTED, interval

BUSY = "machine busy at start: load average 7.50 above the 1 core(s) the load leaves free; figures will be noisy"


def result(name: str, metrics: dict[str, float | None], *, notes: tuple[str, ...] = ()) -> ScenarioResult:
    hist = new_histogram()
    record_values(hist, np.full(100, 2_000, dtype=np.int64))
    base = scenario_result(STARTED, [interval(1000, 1.0)], hist, status="completed", duration_s=1.0, operations=1000)
    return dataclasses.replace(base, name=name, scenario=name.partition(".")[0], metrics=metrics, notes=list(notes))


def suite_report() -> SuiteReport:
    return judge_single_runs(
        [
            result("spsc-throughput", {"throughput_ops_s": 450_000.0}, notes=(BUSY,)),
            result("pingpong-latency", {"latency_mean_ns": 11_221.0, "latency_p99_ns": 50_000.0}, notes=(BUSY,)),
            result("async-op-latency", {"latency_mean_ns": 3_400.0, "latency_min_ns": 2_900.0}),
            result("worker-scaling", {"efficiency_min": 0.2, "parallel": 0.0}),
        ],
        DEFAULT_TARGETS,
    )


def a_regression() -> tuple[SuiteReport, BaselineFigures, BaselineFigures]:
    def run(latencies: list[float]) -> BaselineFigures:
        reps = tuple(RepetitionFigures({"latency_mean_ns": v}, {}) for v in latencies)
        row = RowFigures({}, {"latency_mean_ns": sum(latencies) / len(latencies)}, reps)
        return BaselineFigures("t", {}, {}, {"pingpong-latency": row})

    return suite_report(), run([5_000.0, 5_100.0, 4_900.0]), run([11_000.0, 11_300.0, 11_100.0])


def test_junit_holds_one_testcase_per_target_and_compare_row_with_the_verdict() -> None:
    report, before, now = a_regression()
    xml = junit_xml(report, compare(before, now, Thresholds()), strict=True)
    (suite,) = junitparser.JUnitXml.fromstring(xml)
    cases = {(case.classname, case.name): case for case in suite}
    assert len(cases) == 6  # five targets, one compared metric
    async_op = cases[("async-op-latency", "Async operation latency")]
    (failure,) = async_op.result
    assert isinstance(failure, junitparser.Failure)
    assert failure.message.startswith("UNREACHABLE Async operation latency 3.400 µs (needs < 1 µs)")
    (regression,) = cases[("pingpong-latency", "compare latency_mean_ns")].result
    assert isinstance(regression, junitparser.Failure) and regression.type == "REGRESSION"
    assert regression.message.startswith("REGRESSION latency_mean_ns: 11.133 µs against 5.000 µs (+122.7%, p ")
    assert regression.message.endswith(", threshold +10%)")
    assert cases[("spsc-throughput", "SPSC Throughput")].is_passed
    assert int(suite.failures) == 4  # average latency, async-op, scaling (strict), the regression


def test_without_strict_targets_an_unreachable_target_is_skipped_not_failed() -> None:
    (suite,) = junitparser.JUnitXml.fromstring(junit_xml(suite_report(), None))
    cases = {case.classname + "/" + case.name: case for case in suite}
    assert cases["async-op-latency/Async operation latency"].is_skipped
    assert cases["worker-scaling/Scaling Efficiency"].is_skipped
    (failure,) = cases["pingpong-latency/Average Latency"].result
    assert failure.message == "FAIL Average Latency 11.221 µs (needs < 10 µs)"


def test_the_markdown_renders_its_tables_and_names_every_row() -> None:
    report, before, now = a_regression()
    text = markdown(report, compare(before, now, Thresholds()))
    tokens = MarkdownIt("gfm-like").parse(text)
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) == 2  # the summary and the compare
    cells = [t.content for t in tokens if t.type == "inline"]
    for row in report.rows:
        assert row.result.name in cells
    html = MarkdownIt("gfm-like").render(text)
    assert "<strong>REGRESSION</strong>" in html and "<td>pingpong-latency</td>" in html


def test_summary_txt_has_one_line_per_row_with_its_figures_and_verdicts() -> None:
    lines = summary_text(suite_report()).splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == [
        "spsc-throughput",
        "pingpong-latency",
        "async-op-latency",
        "worker-scaling",
    ]
    assert "FAIL Average Latency 11.221 µs (needs < 10 µs)" in lines[1]
    assert lines[-1].startswith("targets and checks: 2 of 5 passed, 1 unreachable here, 1 n/a (1 missed)")


def test_the_busy_machine_note_is_said_once_per_run() -> None:
    out = io.StringIO()
    print_summary(suite_report(), out)
    assert out.getvalue().count("machine busy") == 1
    assert "(said by 2 of 4 rows)" in out.getvalue()
