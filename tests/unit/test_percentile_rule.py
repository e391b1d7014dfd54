"""One percentile rule: every figure the tool shows or writes is Java's ``getValueAtPercentile``.

The screen's table (:class:`RunState`'s view and metrics), ``intervals.csv``
and ``results.json`` (through the app's export, which shares the recorder's
writers), the recorder's and ``--replay``'s interval summaries: each is compared
with the reference Java HdrHistogram on the same encoded histogram, for random
histograms and for the edges (empty, one value, all in one bucket, the highest
trackable value, counts far beyond 2**32, layouts other than ours).
"""

from __future__ import annotations

import csv
import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nimsync_tui.core.counts import HistogramLayout
from nimsync_tui.core.encoding import decode_many
from nimsync_tui.core.histogram import (
    SUMMARY_PERCENTILES,
    counts_view,
    new_histogram,
    record_values,
    summarize,
    summarize_sparse,
    value_at_percentiles,
)
from nimsync_tui.core.protocol import IntervalRecord, RunEnded, RunStarted
from nimsync_tui.monitor.curves import PERCENTILE_LEVELS, TABLE_PERCENTILES
from nimsync_tui.monitor.export import export_run
from nimsync_tui.monitor.state import RunState
from nimsync_tui.run.config import Overrides, plan_runs
from tests.hdr_encoders import encode_line
from tests.java_reference import JavaPercentiles

# One worker runs the module: its module-scoped fixture is made once.
pytestmark = [pytest.mark.java, pytest.mark.xdist_group("percentile_rule")]

TOP = 2**42 - 1
"""The highest value our histograms record (1 h rounded up to a whole bucket)."""
LEVELS = [0.0, 1e-9, 0.1, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 99.99, 99.999, 100.0]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def java() -> Iterator[JavaPercentiles]:
    oracle = JavaPercentiles()
    yield oracle
    oracle.close()


def histogram(values: list[int], times: int = 1) -> HdrHistogram:
    """Our histogram of ``values``, each counted ``times`` times."""
    hist = new_histogram()
    record_values(hist, np.array(values, dtype=np.int64))
    counts_view(hist)[:] *= times
    hist.total_count *= times
    return hist


def rank_edges(total: int) -> list[float]:
    """Levels where a rank rule's rounding shows: k/total exactly, and a hair either side."""
    if total == 0:
        return []
    edges = [100.0 * k / total for k in (1, 2, total // 2, total - 1, total) if k > 0]
    return [x for e in edges for x in (e, math.nextafter(e, 0.0), math.nextafter(e, 101.0)) if 0.0 <= x <= 100.0]


values = st.lists(
    st.one_of(
        st.integers(0, 5000),
        st.integers(0, 10**7),
        st.integers(1, TOP),
        st.sampled_from([0, 1, 2047, 2048, 2049, 10**6, TOP - 1, TOP]),
    ),
    max_size=200,
)
levels = st.lists(st.floats(0.0, 100.0), max_size=8)


@SETTINGS
@given(values, st.sampled_from([1, 1, 3, 2**33 + 1, 2**50]), levels)
@example([], 1, [])  # empty
@example([777], 1, [])  # one value
@example([1_000_000] * 1000, 1, [])  # all in one bucket
@example([TOP], 1, [])  # the highest trackable value
@example([TOP, 1], 2**61, [])  # counts near the top of int64
@example(list(range(1, 101)), 1, [90.0, 95.0])  # p90 and p95 apart
def test_the_numpy_rule_is_javas(java: JavaPercentiles, values: list[int], times: int, extra: list[float]) -> None:
    hist = histogram(values, times)
    asked = LEVELS + list(TABLE_PERCENTILES) + PERCENTILE_LEVELS.tolist() + rank_edges(hist.total_count) + extra
    total, expected = java.values_at(hist.encode(), asked)
    assert total == hist.total_count
    assert value_at_percentiles(hist, asked) == expected
    summary = summarize(hist)
    _, reference = java.values_at(hist.encode(), SUMMARY_PERCENTILES)
    figures = [summary.p50, summary.p90, summary.p95, summary.p99, summary.p999]
    assert figures == ([None] * 5 if total == 0 else reference)


layouts = st.builds(
    HistogramLayout,
    lowest_discernible_value=st.sampled_from([1, 2, 1000, 2**20]),
    highest_trackable_value=st.sampled_from([2**21, 10**9, 3_600_000_000_000, 2**62]),
    significant_figures=st.integers(0, 5),
).filter(lambda layout: layout.counts_len <= 60_000)  # the test's encoder is pure Python


@SETTINGS
@given(layouts, st.data())
def test_replays_summary_of_any_layout_is_javas(
    java: JavaPercentiles, layout: HistogramLayout, data: st.DataObject
) -> None:
    """``--replay`` summarises each interval of a foreign log from its decoded non-zero counts."""
    top = layout.highest_value(layout.counts_len - 1)
    chosen = data.draw(st.lists(st.one_of(st.integers(0, top), st.just(top), st.just(0)), min_size=1, max_size=50))
    counts = np.bincount(layout.indexes_of(np.array(chosen, dtype=np.uint64)))
    line = encode_line(counts.tolist(), version=2, lowest=layout.lowest_discernible_value,
                       highest=layout.highest_trackable_value, digits=layout.significant_figures)  # fmt: skip
    summary = summarize_sparse(decode_many([line])[0])
    total, expected = java.values_at(line, SUMMARY_PERCENTILES)
    assert summary.count == total == len(chosen)
    assert [summary.p50, summary.p90, summary.p95, summary.p99, summary.p999] == expected


STARTED = RunStarted("spsc-throughput", "per-item latency", "item", {"impl": "nimsync"}, 1.0, 1)
(SPEC,) = plan_runs("spsc-throughput", Overrides(), interval_s=1.0)


def _interval(hist: HdrHistogram) -> IntervalRecord:
    return IntervalRecord("spsc-throughput", "measure", 0.0, 1.0, 100, 100, 0, 2**20, 2**20, 50.0, 7, (5, 2, 0),
                          histogram=hist.encode().decode())  # fmt: skip


def _figures_everywhere(hist: HdrHistogram, ns_per_unit: float) -> dict[str, dict[str, float | None]]:
    """The percentiles of one interval of ``hist`` as the screen, ``intervals.csv`` and ``results.json`` give them."""
    run = RunState("ours", origin_s=1_700_000_000.0, ns_per_unit=ns_per_unit)
    run.start(STARTED)
    run.interval(_interval(hist), base_time_s=run.origin_s)
    run.end(RunEnded("completed", "measure", 100, 1.0))
    table, metrics = run.view().table, run.metrics()
    with tempfile.TemporaryDirectory() as tmp:
        export_run(run, SPEC, Path(tmp) / "out")
        with (Path(tmp) / "out" / "intervals.csv").open() as f:
            (row,) = csv.DictReader(f)
        (result,) = json.loads((Path(tmp) / "out" / "results.json").read_text())["scenarios"]
    run.close()
    return {
        "table": {"50": table.p50, "90": table.p90, "99": table.p99, "99.9": table.p999, "99.99": table.p9999},
        "metrics": {p: metrics[f"latency_p{p.replace('.', '')}_ns"] for p in ("50", "95", "99", "99.9")},
        "intervals.csv": {p: float(row[f"p{p}_ns"]) for p in ("50", "99")},
        "results.json": {p: result["latency_ns"][f"p{p.replace('.', '')}"] for p in ("50", "90", "95", "99", "99.9")},
        "results.json metrics": {p: result["metrics"][f"latency_p{p.replace('.', '')}_ns"] for p in ("50", "95", "99")},
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values.filter(bool), st.sampled_from([1, 2**33 + 1]))
@example([777], 1)  # one value
@example([1_000_000] * 1000, 1)  # all in one bucket
@example([TOP, 5], 1)  # the highest trackable value
@example(list(range(1, 101)), 1)  # p90 and p95 apart: a swapped field shows
def test_the_screen_intervals_csv_and_results_json_say_what_java_says(
    java: JavaPercentiles, values: list[int], times: int
) -> None:
    hist = histogram(values, times)
    _, reference = java.values_at(hist.encode(), [50.0, 90.0, 95.0, 99.0, 99.9, 99.99])
    expected = dict(zip(("50", "90", "95", "99", "99.9", "99.99"), reference, strict=True))
    for place, figures in _figures_everywhere(hist, 1.0).items():
        assert figures == {p: expected[p] for p in figures}, place


def test_a_logs_unit_scales_every_figure_alike(java: JavaPercentiles) -> None:
    """A foreign log in microseconds: each place shows Java's value times 1000, not the raw one."""
    hist = histogram(list(range(1, 101)))
    _, reference = java.values_at(hist.encode(), [50.0, 90.0, 95.0, 99.0, 99.9, 99.99])
    expected = dict(zip(("50", "90", "95", "99", "99.9", "99.99"), (1000 * v for v in reference), strict=True))
    figures = _figures_everywhere(hist, 1000.0)
    for place in ("table", "metrics"):
        assert figures[place] == {p: expected[p] for p in figures[place]}, place
