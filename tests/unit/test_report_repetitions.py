"""A row over its repetitions: a failed or timed-out repetition is not averaged away."""

import json
from datetime import UTC, datetime

import numpy as np

from nimsync_tui.core.histogram import new_histogram, record_values, summarize
from nimsync_tui.core.protocol import IntervalRecord
from nimsync_tui.suite.report import RowMeasurement, add_repetition, judge, results_json
from nimsync_tui.suite.results import scenario_result

from .test_results import STARTED, interval


def repetition(measured: dict[str, RowMeasurement], status: str, error: str | None = None) -> None:
    hist = new_histogram()
    record_values(hist, np.full(100, 1_000, dtype=np.int64))
    record: IntervalRecord = interval(1000, 1.0)
    result = scenario_result(STARTED, [record], hist, status=status, duration_s=1.0, operations=1000, error=error)
    add_repetition(measured, STARTED, result, hist, [(record, summarize(hist))])


def test_the_row_takes_the_last_status_that_was_not_completed() -> None:
    measured: dict[str, RowMeasurement] = {}
    repetition(measured, "completed")
    repetition(measured, "timed_out", "timed out after 5 s")
    repetition(measured, "failed", "RuntimeError: boom")
    repetition(measured, "completed")
    row = measured["spsc-throughput"].combined()
    assert (row.status, row.error) == ("failed", "RuntimeError: boom")
    assert row.operations == 4000


def test_a_row_whose_repetitions_all_completed_has_no_error() -> None:
    measured: dict[str, RowMeasurement] = {}
    repetition(measured, "completed")
    repetition(measured, "completed")
    row = measured["spsc-throughput"].combined()
    assert (row.status, row.error) == ("completed", None)


def test_results_json_names_the_scenarios_not_run() -> None:
    measured: dict[str, RowMeasurement] = {}
    repetition(measured, "stopped")
    report = judge(list(measured.values()), ())
    started_at = datetime(2026, 11, 28, tzinfo=UTC)
    document = json.loads(results_json(report, started_at=started_at, environment={}, not_run=["mpmc-throughput"]))
    assert document["not_run"] == ["mpmc-throughput"]
    assert [s["status"] for s in document["scenarios"]] == ["stopped"]
    assert json.loads(results_json(report, started_at=started_at, environment={}))["not_run"] == []
