"""Interval logs: written as the Java reference writes them, read back by us and by HdrHistogram_py."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader, HistogramLogWriter

from nimsync_tui.core.histogram import counts_view, new_histogram, record_values
from nimsync_tui.core.hlog import (
    HlogComment,
    HlogReader,
    HlogWriter,
    decode_entries,
    format_java_date,
    format_java_fixed,
    read_hlog,
    validate_tag,
)
from nimsync_tui.errors import HistogramFormatError

FIXTURES = Path(__file__).parent.parent / "fixtures"
JAVA_LOG = FIXTURES / "java-reference.hlog"
FIXTURE_START = 1795766400.123


def histogram_of(*values: int) -> HdrHistogram:
    hist = new_histogram()
    record_values(hist, np.array(values, dtype=np.int64))
    return hist


def write_log(intervals: list[tuple[str | None, float, float, HdrHistogram]], comments: list[str] = ()) -> str:
    out = io.StringIO()
    writer = HlogWriter(out)
    writer.write_header(FIXTURE_START)
    for text in comments:
        writer.write_comment(text)
    for tag, start, length, hist in intervals:
        writer.write_interval(tag, start, length, hist)
    return out.getvalue()


def test_header_is_the_java_references_header() -> None:
    ours = write_log([]).splitlines()
    assert ours == JAVA_LOG.read_text().splitlines()[:4]


def test_interval_fields_are_what_java_writes_for_the_same_histograms() -> None:
    # Java's deflate output differs from zlib's, so compare the fields before the payload.
    java_lines = [line for line in JAVA_LOG.read_text().splitlines() if line.startswith("Tag=")]
    entries = list(read_hlog(JAVA_LOG))
    ours = write_log([(e.tag, e.start_s, e.length_s, e.histogram()) for e in entries]).splitlines()[4:]
    assert [line.rsplit(",", 1)[0] for line in ours] == [line.rsplit(",", 1)[0] for line in java_lines]


def test_max_is_truly_divided_and_rounded_as_java_rounds() -> None:
    line = write_log([("t", 0.0, 1.0, histogram_of(1500))]).splitlines()[-1]
    # 1500 ns is 0.0015 ms: Java prints 0.002 (half-up); the library's floor division gives 0.
    assert line.startswith("Tag=t,0.000,1.000,0.002,HIST")


def test_untagged_interval_has_no_tag_field() -> None:
    line = write_log([(None, 2.5, 0.25, histogram_of(3_000_000))]).splitlines()[-1]
    assert line.startswith("2.500,0.250,3.000,HIST")


def test_empty_histogram_interval() -> None:
    line = write_log([("idle", 1.0, 1.0, new_histogram())]).splitlines()[-1]
    assert line.startswith("Tag=idle,1.000,1.000,0.000,HIST")
    assert next(read_hlog([line])).histogram().total_count == 0


@pytest.mark.parametrize("tag", ["", "a,b", "a b", "a\nb", "a\rb"])
def test_bad_tags_are_refused(tag: str) -> None:
    with pytest.raises(HistogramFormatError, match="tag"):
        validate_tag(tag)
    with pytest.raises(HistogramFormatError):
        HlogWriter(io.StringIO()).write_interval(tag, 0.0, 1.0, new_histogram())


def test_multiline_comment_is_refused() -> None:
    with pytest.raises(HistogramFormatError):
        HlogWriter(io.StringIO()).write_comment("one\ntwo")


def test_round_trip_through_our_reader() -> None:
    a, b = histogram_of(1, 2, 3, 40_000), histogram_of(*range(0, 10**6, 977))
    events = [json.dumps({"event": "started", "scenario": "x, y"}), json.dumps({"ops": 12})]
    reader = read_hlog(write_log([("a", 0.0, 1.0, a), ("b", 1.0, 1.0005, b)], events).splitlines())
    entries = list(reader)
    assert [(e.tag, e.start_s, e.length_s, e.max_s) for e in entries] == [
        ("a", 0.0, 1.0, 0.04),
        ("b", 1.0, 1.001, 1.0),  # 999,471 ns is in the 512 ns bucket topped by 999,935 ns
    ]
    assert list(counts_view(entries[0].histogram())) == list(counts_view(a))
    assert list(counts_view(entries[1].histogram())) == list(counts_view(b))
    assert (reader.version, reader.start_time_s, reader.base_time_s) == ("1.3", FIXTURE_START, FIXTURE_START)
    assert reader.comments == [HlogComment(5, events[0]), HlogComment(6, events[1])]


def test_hdrhistogram_py_reader_reads_our_log(tmp_path: Path) -> None:
    """The library's reader skips ``#`` lines (JSON included) and understands ``Tag=``."""
    hists = [histogram_of(5, 6, 7), histogram_of(*range(1, 5000)), histogram_of(10**9)]
    text = write_log(
        [("spsc-throughput", 0.0, 1.0, hists[0]), ("pingpong-latency", 1.0, 1.0, hists[1])],
        [json.dumps({"event": "interval", "tag": "a,b", "numbers": [1.5, 2]})],
    )
    path = tmp_path / "run.hlog"
    path.write_text(text + "#" + json.dumps({"late": ",1.0,2.0,3"}) + "\n")
    with path.open("a") as stream:
        HlogWriter(stream).write_interval("spsc-throughput", 2.0, 1.0, hists[2])

    reader = HistogramLogReader(str(path), new_histogram())
    read = []
    while (hist := reader.get_next_interval_histogram()) is not None:
        read.append(hist)
    reader.close()
    assert [h.get_tag() for h in read] == ["spsc-throughput", "pingpong-latency", "spsc-throughput"]
    assert [list(counts_view(h)) for h in read] == [list(counts_view(h)) for h in hists]
    assert reader.get_start_time_sec() == FIXTURE_START


def test_reads_the_java_reference_log() -> None:
    reader = read_hlog(JAVA_LOG)
    entries = list(reader)
    assert [e.tag for e in entries] == ["pingpong-latency", "spsc-throughput"] * 2 + ["pingpong-latency"]
    assert [e.start_s for e in entries] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [e.max_s for e in entries] == [0.024, 0.041, 0.067, 0.091, 0.109]
    assert all(e.histogram().total_count == 20_000 for e in entries)
    assert [e.line for e in entries] == [5, 6, 7, 8, 9]
    assert reader.comments == []


def test_reads_format_1_2_written_by_hdrhistogram_py() -> None:
    out = io.StringIO()
    writer = HistogramLogWriter(out)
    writer.output_log_format_version()
    writer.output_base_time(0)
    writer.output_legend()
    hist = histogram_of(100, 200)
    writer.output_interval_histogram(hist, 10.0, 11.0)
    reader = read_hlog(out.getvalue().splitlines())
    (entry,) = list(reader)
    assert (entry.tag, entry.start_s, entry.length_s, entry.histogram().total_count) == (None, 10.0, 1.0, 2)
    assert reader.version == "1.2"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Tag=,0.000,1.000,0.1,HISTFAAAA", "empty Tag"),
        ("Tag=a,0.000,1.000,HISTFAAAA", "found 3 fields"),
        ("0.000,1.000,0.1,HIST,extra", "found 5 fields"),
        ("0.000,one,0.1,HISTFAAAA", "unreadable number"),
        ("nan,1.000,0.1,HISTFAAAA", "out of range"),
        ("1e300,1.000,0.1,HISTFAAAA", "out of range"),
        ("#[StartTime: 1e300 (seconds since epoch)]", "not a date"),
        ("0.000,1.000,0.1,", "empty encoded histogram"),
    ],
)
def test_malformed_lines_name_their_line(line: str, message: str) -> None:
    good = write_log([("a", 0.0, 1.0, histogram_of(1))]).splitlines()
    with pytest.raises(HistogramFormatError, match=rf"run\.hlog, line 6: .*{message}"):
        list(HlogReader([*good, line], "run.hlog"))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("HISTFAAAA", "not base64"),
        ("!!!!", "not base64"),
        ("HISTFAAAAA", "ends inside its header"),
        ("HISTIAAAAA", "unknown cookie 0x1c849320"),
        ("DHISTwAAAAA", "DoubleHistogram"),
    ],
)
def test_undecodable_histograms_name_their_line(payload: str, message: str) -> None:
    """Histograms decode lazily: the error comes when one is asked for, one by one or in a batch."""
    good = write_log([("a", 0.0, 1.0, histogram_of(1))]).splitlines()
    entries = list(HlogReader([*good, f"0.000,1.000,0.1,{payload}"], "run.hlog"))
    assert entries[0].counts().total_count == 1
    with pytest.raises(HistogramFormatError, match=rf"run\.hlog, line 6: .*{message}"):
        entries[1].counts()
    with pytest.raises(HistogramFormatError, match=rf"run\.hlog, line 6: .*{message}"):
        _ = entries[1].histogram()
    with pytest.raises(HistogramFormatError, match=rf"run\.hlog, line 6: .*{message}"):
        decode_entries(entries)


def test_truncated_payload_is_a_format_error() -> None:
    line = write_log([("a", 0.0, 1.0, histogram_of(*range(1000)))]).splitlines()[-1]
    (entry,) = read_hlog([line[:-10]])
    with pytest.raises(HistogramFormatError, match="line 1"):
        entry.counts()


def test_unreadable_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(HistogramFormatError, match="cannot read"):
        read_hlog(tmp_path / "missing.hlog")


@pytest.mark.parametrize(
    ("value", "digits", "java"),
    [
        (1.0005, 3, "1.001"),  # Python's "%.3f" gives 1.000
        (0.9999755859375, 12, "0.999975585938"),
        (2.5, 0, "3"),
        (0.0, 3, "0.000"),
        (12.9954999, 3, "12.995"),
        (123456789.0, 3, "123456789.000"),
        (1 / 3, 2, "0.33"),
    ],
)
def test_fixed_point_rounds_like_java(value: float, digits: int, java: str) -> None:
    assert format_java_fixed(value, digits) == java


def test_date_is_javas_date_to_string_in_utc() -> None:
    assert format_java_date(FIXTURE_START) == "Fri Nov 27 08:00:00 UTC 2026"
    assert format_java_date(0) == "Thu Jan 01 00:00:00 UTC 1970"
