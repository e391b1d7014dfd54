"""``--replay DIR --report FILE.html`` from a recording directory (not only a log), headless. In-process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nimsync_tui.core.histogram import decode_histogram
from nimsync_tui.errors import ExitStatus

from ..in_process import run_main

STREAM = Path(__file__).parents[1] / "tui" / "fixtures" / "spsc-stream.hlog"
"""What a real runner wrote for spsc-throughput (with its vitals: throughput and memory)."""


def test_a_recording_directory_gets_its_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    recording = tmp_path / "rec"
    status, _, err = run_main(capsys, "--replay", STREAM, "--record", recording)
    assert status == ExitStatus.OK, err
    report = tmp_path / "shared" / "rec.html"  # its folder made as the app's e makes it
    status, out, err = run_main(capsys, "--replay", recording, "--report", report)
    assert status == ExitStatus.OK, err
    assert f"report in {report} (and 4 chart images beside it)" in out
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<script src=" not in text
    assert "nimsync-tui report: run.hlog" in text  # the directory's log, found as --replay finds it
    for chart in ("latency by percentile", "latency over time", "throughput per interval (ops",
                  "memory of the load process (MiB)"):  # fmt: skip
        assert f"spsc-throughput: {chart}" in text
    # The table's count is the recording's: every interval of its log.
    logged = (recording / "run.hlog").read_text().splitlines()
    count = sum(decode_histogram(line.rsplit(",", 1)[1]).total_count for line in logged if line.startswith("Tag="))
    assert re.search(rf"<th>count</th><td>{count:,}</td>", text)
    assert "PASS" in text or "FAIL" in text  # the verdicts
    for kind in ("spectrum", "timeline"):
        for fmt in ("png", "svg"):
            assert report.with_name(f"rec.spsc-throughput.{kind}.{fmt}").stat().st_size > 1000
