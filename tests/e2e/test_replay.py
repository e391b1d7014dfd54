"""``nimsync-tui --replay PATH --record DIR`` as a user runs it, on our recordings and on other tools' logs."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ..hdr_encoders import encode_line
from ..in_process import run_main
from ..java_reference import java_percentile_distribution

# One worker runs the module: its module-scoped fixture is made once.
pytestmark = pytest.mark.xdist_group("replay")

CLI = [sys.executable, "-m", "nimsync_tui"]
Completed = subprocess.CompletedProcess[str]
FIXTURES = Path(__file__).parent.parent / "fixtures"


def nimsync(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rec") / "original"
    # One glob for spsc-throughput and pingpong-latency; two repetitions, which a replay must keep apart.
    proc = nimsync(
        "--record", out, "--pattern", "[sp][pi]*", "--iterations", "20000", "--interval", "0.1", "--repeat", "2"
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.glob("*.hgrm")) == ["pingpong-latency.hgrm", "spsc-throughput.hgrm"]
    return out


@pytest.fixture(scope="module")
def replayed(recording: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Completed]:
    out = tmp_path_factory.mktemp("replay") / "again"
    return out, nimsync("--replay", recording, "--record", out)


def test_replaying_a_recording_writes_the_same_files(recording: Path, replayed: tuple[Path, Completed]) -> None:
    out, proc = replayed
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in recording.iterdir())
    assert (out / "run.hlog").read_text() == (recording / "run.hlog").read_text()
    for hgrm in recording.glob("*.hgrm"):
        # Replay writes what HistogramLogProcessor writes: its two header lines, then the recorder's distribution.
        assert (out / hgrm.name).read_text().splitlines()[2:] == hgrm.read_text().splitlines()
    original = {s["name"]: s for s in json.loads((recording / "results.json").read_text())["scenarios"]}
    again = {s["name"]: s for s in json.loads((out / "results.json").read_text())["scenarios"]}
    assert again == original
    # The log holds the measured intervals only; the recorder's CSV has the warm-up's too.
    with (recording / "intervals.csv").open() as f:
        measured = [row for row in csv.DictReader(f) if row["phase"] == "measure"]
    with (out / "intervals.csv").open() as f:
        assert list(csv.DictReader(f)) == measured
    assert f"recorded in {out}" in proc.stdout


@pytest.mark.java
def test_replayed_distributions_are_the_java_processors(replayed: tuple[Path, Completed], tmp_path: Path) -> None:
    out, _ = replayed
    for hgrm in out.glob("*.hgrm"):
        assert hgrm.read_text() == java_percentile_distribution(out / "run.hlog", hgrm.stem, tmp_path)


def test_a_partial_log_replays(recording: Path, tmp_path: Path) -> None:
    """A recorder killed mid-run leaves run.hlog.partial: replay reads it, the last scenario as interrupted."""
    interrupted = tmp_path / "interrupted"
    interrupted.mkdir()
    lines = (recording / "run.hlog").read_text().splitlines(keepends=True)
    # Cut after the last interval's event, before the last scenario's step and end events.
    cut = max(i for i, line in enumerate(lines) if line.startswith('#{"event":"interval"')) + 1
    (interrupted / "run.hlog.partial").write_text("".join(lines[:cut]))
    proc = nimsync("--replay", interrupted, "--record", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    statuses = [s["status"] for s in json.loads((tmp_path / "out" / "results.json").read_text())["scenarios"]]
    assert statuses[-1] == "interrupted" and set(statuses[:-1]) <= {"completed"}


@pytest.mark.java
def test_a_2015_v1_log_in_microseconds(tmp_path: Path) -> None:
    """A YCSB-style untagged V1 log of µs values: --value-unit us, and the .hgrm is Java's with ratio 1."""
    rng = np.random.default_rng(5)
    lines = ['"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n']
    for i in range(5):
        counts = np.bincount(rng.poisson(40, 2000) * 3).tolist()
        lines.append(f"{1434000000 + i}.000,1.000,0.2,{encode_line(counts, version=1, digits=3, highest=10**7)}\n")
    log = tmp_path / "ycsb.hlog"
    log.write_text("".join(lines))
    proc = nimsync("--replay", log, "--record", tmp_path / "out", "--value-unit", "us")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "untagged.hgrm").read_text() == java_percentile_distribution(log, None, tmp_path, 1.0)
    (result,) = json.loads((tmp_path / "out" / "results.json").read_text())["scenarios"]
    assert result["operations"] == 10_000
    assert 100_000 <= result["latency_ns"]["p50"] <= 140_000  # µs values reported in ns


def _valid_log() -> str:
    return (FIXTURES / "java-reference.hlog").read_text()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.hlog", "no such file or directory"),
        (lambda d: d, r"holds no recording \(no run.hlog or run.hlog.partial\)"),
        (lambda d: _write(d / "empty.hlog", ""), "holds no interval histograms"),
        (lambda d: _write(d / "cut.hlog", _valid_log()[:-500]), "line 9: .*ends in the middle of this line"),
        (lambda d: _write(d / "b64.hlog", _valid_log().replace("HISTFAAAC", "HIST!AAAC", 1)), "line 5: .*not base64"),
        (
            lambda d: _write(d / "cookie.hlog", _valid_log().replace("HISTFAAAC", "HISTIAAAC", 1)),
            "line 5: unknown cookie 0x1c849320",
        ),
        (lambda d: _write(d / "fields.hlog", "0.000,1.000\n"), "line 1: expected start,length,max,histogram"),
        # Not a log at all: said first, before the line that gave it away.
        (
            lambda d: _write(d / "README.md", "# nimsync-tui\n\nA live benchmark monitor, for async channels.\n"),
            r"README.md is not an HdrHistogram interval log \(line 3: expected start,length,max,histogram",
        ),
    ],
    ids=["missing", "no-recording", "empty", "truncated", "bad-base64", "bad-cookie", "bad-line", "not-a-log"],
)
def test_bad_logs_are_one_line_exit_2_and_nothing_written(
    tmp_path: Path, make: Callable[[Path], Path], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    path = make(source)
    out = tmp_path / "out"
    status, _, err = run_main(capsys, "--replay", path, "--record", out)
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("nimsync-tui: "), err
    assert re.search(message, err), err
    assert not out.exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_replay_refuses_to_overwrite_a_recording(recording: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    shutil.copytree(recording, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    proc = nimsync("--replay", recording, "--record", target)
    assert proc.returncode == 2 and "already holds a recording" in proc.stderr
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_without_record_it_prints_the_summary_and_writes_nothing(tmp_path: Path) -> None:
    log = tmp_path / "java.hlog"
    shutil.copy(FIXTURES / "java-reference.hlog", log)
    proc = subprocess.run([*CLI, "--replay", log], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pingpong-latency" in proc.stdout and "60,000 recorded values" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["java.hlog"]


def test_our_recordings_are_in_ns(recording: Path, tmp_path: Path) -> None:
    proc = nimsync("--replay", recording, "--record", tmp_path / "out", "--value-unit", "us")
    assert proc.returncode == 2 and "is a nimsync-tui recording, in ns" in proc.stderr
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "out").exists()
