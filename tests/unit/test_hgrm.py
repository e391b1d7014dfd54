"""Percentile distributions, byte for byte as the Java reference prints them."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from nimsync_tui.core.hgrm import format_percentile_distribution, log_processor_preamble, percentile_rows
from nimsync_tui.core.histogram import add, new_histogram, record_values
from nimsync_tui.core.hlog import HlogWriter, read_hlog
from tests.java_reference import java_percentile_distribution

FIXTURES = Path(__file__).parent.parent / "fixtures"
TAGS = ["pingpong-latency", "spsc-throughput"]


def java_iterator_rows(hist: HdrHistogram, ticks: int = 5) -> list[tuple[int, float, int]]:
    """Java 2.1.11's PercentileIterator, transliterated loop for loop (slow, obviously right)."""
    total = hist.total_count
    rows: list[tuple[int, float, int]] = []
    if total == 0:
        return rows
    index, running, level, last_step = 0, 0, 0.0, False
    fresh = True
    while True:
        # hasNext(): more counts ahead, or one last step to 100 %.
        if running >= total:
            if last_step:
                return rows
            level, last_step = 100.0, True
        # next(): advance through the counts until the level is reached.
        while True:
            count = hist.counts[index]
            if fresh:
                running += count
                fresh = False
            if count != 0 and (100.0 * running) / total >= level:
                value = hist.get_highest_equivalent_value(hist.get_value_from_index(index))
                rows.append((value, level, running))
                exponent = int(math.log(100.0 / (100.0 - level)) / math.log(2)) if level < 100 else 0
                level += 100.0 / (ticks * 2 ** (exponent + 1))
                break
            index += 1
            fresh = True


def accumulated_by_tag(path: Path) -> tuple[dict[str, HdrHistogram], float]:
    reader = read_hlog(path)
    merged: dict[str, HdrHistogram] = {}
    for entry in reader:
        add(merged.setdefault(entry.tag, new_histogram()), entry.histogram())
    assert reader.start_time_s is not None
    return merged, reader.start_time_s


@pytest.mark.parametrize("tag", TAGS)
def test_reproduces_the_java_reference_byte_for_byte(tag: str) -> None:
    merged, start = accumulated_by_tag(FIXTURES / "java-reference.hlog")
    ours = format_percentile_distribution(merged[tag], 1000.0, header_lines=log_processor_preamble(start))
    assert ours == (FIXTURES / f"java-reference.{tag}.us.hgrm").read_text()


def test_empty_histogram() -> None:
    assert format_percentile_distribution(new_histogram()) == (
        "       Value     Percentile TotalCount 1/(1-Percentile)\n"
        "\n"
        "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
        "#[Max     =        0.000, Total count    =            0]\n"
        "#[Buckets =           32, SubBuckets     =         2048]\n"
    )


def test_single_value() -> None:
    hist = new_histogram()
    record_values(hist, np.array([1500]))
    assert format_percentile_distribution(hist).splitlines()[2:6] == [
        "       1.500 0.000000000000          1           1.00",
        "       1.500 1.000000000000          1",
        "#[Mean    =        1.500, StdDeviation   =        0.000]",
        "#[Max     =        1.500, Total count    =            1]",
    ]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 10**8), min_size=1, max_size=500), st.sampled_from([1, 5, 10]))
def test_rows_follow_javas_percentile_iterator(values: list[int], ticks: int) -> None:
    hist = new_histogram()
    record_values(hist, np.array(values))
    assert percentile_rows(hist, ticks) == java_iterator_rows(hist, ticks)


def test_rows_on_a_heavy_tail() -> None:
    rng = np.random.default_rng(11)
    hist = new_histogram()
    record_values(hist, rng.lognormal(9, 1.5, 200_000).astype(np.int64))
    assert percentile_rows(hist) == java_iterator_rows(hist)


@pytest.mark.java
def test_java_reads_our_log_and_prints_our_distribution(tmp_path: Path) -> None:
    """End to end: our writer's file through Java's HistogramLogProcessor equals our formatter."""
    rng = np.random.default_rng(2026)
    stream = io.StringIO()
    writer = HlogWriter(stream)
    writer.write_header(1795766400.5)
    merged = {tag: new_histogram() for tag in TAGS}
    for i in range(8):
        tag = TAGS[i % 2]
        hist = new_histogram()
        record_values(hist, rng.lognormal(8 + 2 * (i % 2), 1.2, 5000 + 777 * i).astype(np.int64))
        record_values(hist, np.array([0, 1, 2**41]))  # the edges: zero, one, the last bucket
        writer.write_comment(f'{{"event": "interval", "ops": {i}, "note": "a, b"}}')
        writer.write_interval(tag, i * 0.25, 0.25, hist)
        add(merged[tag], hist)
    path = tmp_path / "ours.hlog"
    path.write_text(stream.getvalue())

    for tag in TAGS:
        java = java_percentile_distribution(path, tag, tmp_path)
        ours = format_percentile_distribution(merged[tag], 1000.0, header_lines=log_processor_preamble(1795766400.5))
        assert java == ours
