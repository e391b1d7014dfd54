"""Headless replay: per-tag distributions exactly as Java's HistogramLogProcessor prints them, for any log."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from nimsync_tui.core.counts import HistogramLayout
from nimsync_tui.core.encoding import decode_base64
from nimsync_tui.errors import ConfigError, HistogramFormatError
from nimsync_tui.run.replay import replay_log, write_replay
from tests.hdr_encoders import encode_line
from tests.java_reference import java_percentile_distribution

FIXTURES = Path(__file__).parent.parent / "fixtures"
START = 1_434_000_000.456  # June 2015: when jHiccup and YCSB logs carried V0/V1 cookies
HEADER = f"#[StartTime: {START:.3f} (seconds since epoch), Thu Jun 11 05:20:00 UTC 2015]\n"
LEGEND = '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n'


def counts_of(values: np.ndarray, layout: HistogramLayout) -> list[int]:
    """The counts array of ``values`` recorded into ``layout``."""
    return np.bincount(layout.indexes_of(values.astype(np.uint64))).tolist()


def latencies(seed: int, size: int = 5000, scale: float = 9.0) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(scale, 1.0, size).astype(np.int64) + 1


def interval_line(tag: str | None, start: float, values: np.ndarray, **encoding: int) -> str:
    layout = HistogramLayout(encoding.get("lowest", 1), encoding.get("highest", 3_600_000_000_000), encoding["digits"])
    prefix = "" if tag is None else f"Tag={tag},"
    return f"{prefix}{start:.3f},1.000,{values.max() / 1e6:.3f},{encode_line(counts_of(values, layout), **encoding)}\n"


def assert_java_agrees(log: Path, tmp_path: Path, tags: list[str | None], unit: str = "ns", ratio: float = 1000.0):
    replay = replay_log(log, unit)
    for tag in tags:
        name = tag or "untagged"
        assert replay.distribution(name) == java_percentile_distribution(log, tag, tmp_path, ratio), name


@pytest.mark.java
@pytest.mark.parametrize(
    "encoding",
    [
        {"version": 1, "word_size": 8, "digits": 2},
        {"version": 1, "word_size": 4, "digits": 3, "lowest": 1000, "highest": 10**12},
        {"version": 1, "word_size": 2, "digits": 1},
        {"version": 0, "word_size": 8, "digits": 3},
        {"version": 0, "word_size": 8, "digits": 4, "lowest": 8, "highest": 10**10},
        {"version": 2, "digits": 5, "lowest": 1, "highest": 10**8},
        {"version": 2, "digits": 0, "lowest": 1, "highest": 10**9},
    ],
    ids=["V1-w8-d2", "V1-w4-d3-lowest1000", "V1-w2-d1", "V0-w8-d3", "V0-w8-d4-lowest8", "V2-d5", "V2-d0"],
)
def test_java_reads_our_old_encodings_and_prints_what_we_print(tmp_path: Path, encoding: dict[str, int]) -> None:
    """The test encoder's V0/V1 lines are what Java decodes; our distribution is line for line Java's."""
    # Word size 2 holds counts up to 32767: few values per interval.
    size = 300 if encoding.get("word_size") == 2 else 5000
    lines = [HEADER, LEGEND]
    for i in range(4):
        lines.append(interval_line("jhiccup", float(i), latencies(i, size), **encoding))
        lines.append(interval_line(None, float(i), latencies(10 + i, size, 11.0), **encoding))
    log = tmp_path / "old.hlog"
    log.write_text("".join(lines))
    assert_java_agrees(log, tmp_path, ["jhiccup", None])


@pytest.mark.java
def test_auto_resizing_and_mixed_layouts_merge_as_java_merges(tmp_path: Path) -> None:
    """Intervals of growing range (auto-resizing) and of other precisions go into the first one's layout, by value."""
    lines = [HEADER, LEGEND]
    small = latencies(1, scale=6.0)
    lines.append(interval_line("grow", 0.0, small, version=2, digits=2, highest=2 * int(small.max())))
    lines.append(interval_line("grow", 1.0, latencies(2, scale=12.0), version=2, digits=2, highest=10**7))
    lines.append(interval_line("grow", 2.0, latencies(3, scale=18.0), version=2, digits=3, lowest=1024))
    lines.append(interval_line("grow", 3.0, latencies(4, scale=9.0), version=1, digits=1, lowest=3))
    log = tmp_path / "resizing.hlog"
    log.write_text("".join(lines))
    assert_java_agrees(log, tmp_path, ["grow"])
    # The merged layout grew to the largest value: Java's Buckets line says so, and so do we.
    assert "#[Buckets =" in replay_log(log).distribution("grow")


@pytest.mark.java
def test_log_without_start_time_and_early_intervals(tmp_path: Path) -> None:
    """No StartTime: the first interval's start is the start, and intervals before it are left out, as Java does."""
    lines = [LEGEND]
    for start in (2.5, 1.0, 3.5):
        lines.append(interval_line(None, start, latencies(int(start * 10)), version=2, digits=3))
    log = tmp_path / "relative.hlog"
    log.write_text("".join(lines))
    assert_java_agrees(log, tmp_path, [None])
    distribution = replay_log(log).distribution("untagged")
    assert "#[StartTime: 2.500 (seconds since epoch)" in distribution
    assert "Total count    =        10000]" in distribution  # the interval at 1.0 s is left out


@pytest.mark.java
@pytest.mark.parametrize(("unit", "ratio"), [("us", 1.0), ("ms", 0.001)])
def test_value_unit_says_what_the_values_are(tmp_path: Path, unit: str, ratio: float) -> None:
    """A log in µs with ``--value-unit us`` prints what Java prints with ratio 1: microseconds as recorded."""
    lines = [HEADER, LEGEND]
    for i in range(3):
        lines.append(interval_line("ycsb", float(i), latencies(i, scale=5.0), version=1, digits=3))
    log = tmp_path / "ycsb.hlog"
    log.write_text("".join(lines))
    assert_java_agrees(log, tmp_path, ["ycsb"], unit, ratio)
    ns = replay_log(log, "ns").results[0].latency_ns
    scaled = replay_log(log, unit).results[0].latency_ns
    factor = {"us": 1000, "ms": 1_000_000}[unit]
    assert (scaled.p99, scaled.max, scaled.mean) == (ns.p99 * factor, ns.max * factor, ns.mean * factor)


@pytest.mark.java
def test_java_fixture_replays_to_what_the_java_processor_prints_now(tmp_path: Path) -> None:
    assert_java_agrees(FIXTURES / "java-reference.hlog", tmp_path, ["pingpong-latency", "spsc-throughput"])


def test_java_fixture_replays_to_the_reference_distributions(tmp_path: Path) -> None:
    replay = replay_log(FIXTURES / "java-reference.hlog")
    for tag in ("pingpong-latency", "spsc-throughput"):
        assert replay.distribution(tag) == (FIXTURES / f"java-reference.{tag}.us.hgrm").read_text()
    write_replay(replay, tmp_path / "out", overwrite=False)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "intervals.csv",
        "pingpong-latency.hgrm",
        "results.json",
        "run.hlog",
        "spsc-throughput.hgrm",
        "summary.txt",
    ]
    assert (out / "run.hlog").read_text() == (FIXTURES / "java-reference.hlog").read_text()
    results = json.loads((out / "results.json").read_text())["scenarios"]
    assert [(r["name"], r["operations"], r["status"]) for r in results] == [
        ("pingpong-latency", 60_000, "replayed"),
        ("spsc-throughput", 40_000, "replayed"),
    ]
    assert len((out / "intervals.csv").read_text().splitlines()) == 1 + 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no interval histograms"),
        (HEADER + LEGEND, "holds no interval histograms"),
        ("0.000,1.000,0.1,AAAAAAAAAAA=\n", r"line 1: unknown cookie 0x00000000"),
        ("0.000,1.000,0.1,HISTFAAAAA@@\n", r"line 1: encoded histogram is not base64"),
    ],
)
def test_bad_logs_are_one_format_error(tmp_path: Path, text: str, message: str) -> None:
    log = tmp_path / "bad.hlog"
    log.write_text(text)
    with pytest.raises(HistogramFormatError, match=message):
        replay_log(log)


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (["a/b"], "tag 'a/b' cannot name a .hgrm file"),
        ([".."], "tag '..' cannot name a .hgrm file"),
        ([None, "untagged"], "both would be untagged.hgrm"),
    ],
)
def test_tags_that_cannot_name_files(tmp_path: Path, tags: list[str | None], message: str) -> None:
    log = tmp_path / "tags.hlog"
    log.write_text(HEADER + "".join(interval_line(t, 0.0, latencies(1), version=2, digits=3) for t in tags))
    with pytest.raises(HistogramFormatError, match=message):
        replay_log(log)


def test_a_line_cut_in_the_middle_says_so(tmp_path: Path) -> None:
    good = interval_line("a", 0.0, latencies(1), version=2, digits=3)
    log = tmp_path / "cut.hlog"
    log.write_text(HEADER + LEGEND + good + good[: len(good) // 2])
    with pytest.raises(HistogramFormatError, match=r"line 4: .*ends in the middle of this line"):
        replay_log(log)


def test_a_directory_without_a_recording_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="holds no recording"):
        replay_log(tmp_path)


def _long_log(path: Path, intervals: int, pool: list[str]) -> Path:
    lines = [HEADER, LEGEND]
    lines += [f"Tag=load,{i}.000,1.000,1.000,{pool[i % len(pool)]}\n" for i in range(intervals)]
    path.write_text("".join(lines))
    return path


def _peak_traced_bytes(log: Path) -> int:
    tracemalloc.start()
    try:
        replay_log(log)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_log_is_merged_as_it_streams_past(tmp_path: Path) -> None:
    """Each more interval costs its small row, never its decoded histogram: memory follows the tags."""
    layout = HistogramLayout(1, 3_600_000_000_000, 3)
    pool = [encode_line(counts_of(latencies(seed, 3000), layout), version=2, digits=3) for seed in range(20)]
    decoded = sum(decode_base64(text).counts.nonzero()[0].size for text in pool) * 16 / len(pool)
    assert decoded > 15_000  # the bytes of one interval's non-zero indexes and counts
    short, long = 1000, 4000
    peaks = [_peak_traced_bytes(_long_log(tmp_path / f"{n}.hlog", n, pool)) for n in (short, long)]
    per_interval = (peaks[1] - peaks[0]) / (long - short)
    assert per_interval < decoded / 4, f"{per_interval:.0f} bytes more per interval; a decoded one is {decoded:.0f}"
