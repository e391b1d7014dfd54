"""``nimsync-tui --record`` as a user runs it: a real command, a real load process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hdrh.log import HistogramLogReader

from nimsync_tui.core.histogram import new_histogram
from nimsync_tui.core.hlog import read_hlog
from nimsync_tui.scenarios import SCENARIOS

from ..in_process import run_main
from ..java_reference import java_percentile_distribution
from .fault_helpers import as_from_a_terminal

# One worker runs the module: its module-scoped fixture is made once.
pytestmark = pytest.mark.xdist_group("record")

CLI = [sys.executable, "-m", "nimsync_tui"]
ITERATIONS = 5000
SMALL = ["--iterations", str(ITERATIONS), "--warmup", "1000", "--interval", "0.1", "--repeat", "1", "--timeout", "300"]
"""Small counts; the suite's 30 s timeout is for a quiet machine (channel-memory traces every allocation).

5,000 is what tests/performance records every scenario with too: each scenario and step runs, each
.hgrm has a distribution for the Java reference to check (79 sampled values for spsc-throughput,
5,000 for pingpong-latency). 20,000 had channel-memory alone trace 60,000 items, 7 s of the 14 s.
"""


def nimsync(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def ctrl_c_when(progress_word: str, *args: str | Path) -> tuple[int, str]:
    """Run the command; at the first progress line naming ``progress_word``,
    Ctrl-C its whole process group as a terminal would. Returns (status, stderr)."""
    proc = subprocess.Popen(
        [*CLI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,  # noqa: PLW1509 (a signal disposition; no threads here)
    )
    assert proc.stderr is not None
    seen = ""
    for line in proc.stderr:  # ends early if the command dies first
        seen += line
        if progress_word in line:
            os.killpg(proc.pid, signal.SIGINT)
            break
    _, rest = proc.communicate(timeout=30)
    return proc.returncode, seen + rest


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("rec") / "first"
    return out, nimsync("--record", out, *SMALL)


def test_record_writes_every_file(recording: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, proc = recording
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    rows = json.loads((out / "results.json").read_text())["scenarios"]
    # Every scenario, every step of the stepped ones (their own distribution each).
    assert list(dict.fromkeys(r["scenario"] for r in rows)) == list(SCENARIOS)
    assert "capacity-scaling.capacity-100" in {r["name"] for r in rows}
    assert names == sorted(
        ["run.hlog", "results.json", "intervals.csv", "summary.txt", *(f"{r['name']}.hgrm" for r in rows)]
    )
    # A progress line per interval on stderr, the summary on stdout.
    assert "spsc-throughput" in proc.stderr and "M ops/s" in proc.stderr
    assert f"recorded in {out}" in proc.stdout


def test_results_json_has_what_the_issue_asks(recording: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = recording
    doc = json.loads((out / "results.json").read_text())
    assert {"python", "trio", "cpu_model", "cores"} <= doc["environment"].keys()
    by_name = {s["name"]: s for s in doc["scenarios"]}
    for s in by_name.values():
        assert s["status"] == "completed"
        assert s["throughput_ops_s"] == pytest.approx(s["operations"] / s["duration_s"])
        lat = s["latency_ns"]
        assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"]
        assert lat["mean"] > 0 and lat["stddev"] >= 0
        assert s["rss_bytes"] > 1_000_000 and s["cpu_percent"] > 0
        assert s["measures"]
    for name in ("spsc-throughput", "mpmc-throughput", "pingpong-latency"):
        assert by_name[name]["operations"] == ITERATIONS and by_name[name]["parameters"]["iterations"] == ITERATIONS
    assert by_name["spsc-throughput"]["measures"].endswith("(one item in 64 timed, at a random place)")
    assert by_name["pingpong-latency"]["latency_ns"]["count"] == ITERATIONS
    assert by_name["spsc-throughput"]["latency_ns"]["count"] == ITERATIONS // 64 + 1


def test_run_hlog_is_read_by_hdrhistogram_py(recording: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = recording
    results = {s["name"]: s for s in json.loads((out / "results.json").read_text())["scenarios"]}
    reader = HistogramLogReader(str(out / "run.hlog"), new_histogram())
    total = 0
    while (hist := reader.get_next_interval_histogram()) is not None:
        total += hist.get_total_count()
    # A stepped scenario's summary row merges its steps: the log holds each value once.
    summaries = {s["scenario"] for s in results.values() if s["step"] is not None}
    assert total == sum(s["latency_ns"]["count"] for n, s in results.items() if n not in summaries)


@pytest.mark.java
@pytest.mark.parametrize(
    "scenario",
    [
        "spsc-throughput",
        "mpmc-throughput",
        "pingpong-latency",
        "async-op-latency",
        "channel-memory",
        "memory-leak.round-3",
        "worker-scaling.producers-4",
        "capacity-scaling.capacity-100",
        "latency-distribution",
        "throughput-stability",
    ],
)
def test_our_hgrm_is_what_the_java_reference_computes_from_run_hlog(
    recording: tuple[Path, subprocess.CompletedProcess[str]], scenario: str, tmp_path: Path
) -> None:
    out, _ = recording
    java = java_percentile_distribution(out / "run.hlog", scenario, tmp_path)
    ours = (out / f"{scenario}.hgrm").read_text()
    # The processor adds two header lines of its own; the distribution itself is ours.
    assert java.splitlines()[2:] == ours.splitlines()


def test_an_existing_recording_is_never_overwritten(
    recording: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = recording
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = nimsync("--record", out, *SMALL)
    assert proc.returncode == 2
    # What to do first, then how much is there (a recording of every scenario has dozens of files).
    assert proc.stderr == (
        f"nimsync-tui: {out} already holds a recording: choose another directory or pass --overwrite "
        f"({len(before)} of its files: run.hlog, results.json, intervals.csv, ...)\n"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--record", "x", "--capacity", "-3"], "--capacity must be an integer >= 0"),
        (["--record", "x", "--pattern", "zzz"], "no scenario matches 'zzz'"),
        (["--record", "x", "--iterations", "ten"], "invalid int value: 'ten'"),
        (["--record", "x", "--duration", "1", "--iterations", "5"], "not allowed with argument"),
        (["--bogus"], "nimsync-tui: unrecognized arguments: --bogus (see --help)"),
        # A near miss of an option is named (argparse itself suggests only from Python 3.14 on).
        (["--recrod", "runs/x"], "nimsync-tui: unrecognized arguments: --recrod runs/x; did you mean --record?"),
        (["--patern=spsc-*"], "unrecognized arguments: --patern=spsc-*; did you mean --pattern?"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = run_main(capsys, *args)
    assert status == 2
    assert err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []


def test_record_path_that_is_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "taken"
    target.write_text("mine")
    status, _, err = run_main(capsys, "--record", target, *SMALL)
    assert status == 2 and "is not a directory" in err
    assert target.read_text() == "mine"


def test_list_version_and_help() -> None:
    listing = nimsync("--list")
    assert listing.returncode == 0
    header, *lines = listing.stdout.splitlines()
    assert header.split()[:3] == ["scenario", "category", "suite"]
    assert [ln.split()[0] for ln in lines] == list(SCENARIOS)
    assert "Scalability  Worker scaling efficiency" in listing.stdout
    script = Path(sys.executable).with_name("nimsync-tui")
    version = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("nimsync-tui 0.")
    assert "--record DIR" in nimsync("--help").stdout


def test_continuous_run_with_duration(tmp_path: Path) -> None:
    out = tmp_path / "timed"
    started = time.monotonic()
    proc = nimsync("--record", out, "--pattern", "spsc-*", "--duration", "1.5", "--interval", "0.25", "--repeat", "1")
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads((out / "results.json").read_text())["scenarios"]
    assert 1.4 <= result["duration_s"] <= 2.5 and elapsed < 30
    assert result["stability"]["intervals"] >= 5
    assert result["parameters"]["iterations"] is None


def test_ctrl_c_stops_cleanly_and_keeps_what_was_measured(tmp_path: Path) -> None:
    out = tmp_path / "interrupted"
    returncode, stderr = ctrl_c_when("measure", "--record", out, "--duration", "60", "--interval", "0.2")
    assert returncode == 130, stderr
    assert "Traceback" not in stderr
    (result,) = json.loads((out / "results.json").read_text())["scenarios"]
    assert result["status"] == "stopped" and result["operations"] > 0
    assert (out / "run.hlog").exists() and not (out / "run.hlog.partial").exists()


def test_two_recordings_never_share_a_directory(tmp_path: Path) -> None:
    out = tmp_path / "shared"
    first = subprocess.Popen(
        [*CLI, "--record", out, "--pattern", "spsc-*", "--duration", "2", "--interval", "0.2", "--repeat", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert first.stderr is not None
    first.stderr.readline()  # it is running, and holds the directory
    second = nimsync("--record", out, "--pattern", "spsc-*", "--iterations", "1000", "--overwrite")
    assert second.returncode == 2
    assert second.stderr.count("\n") == 1 and "another nimsync-tui is recording into" in second.stderr
    first.communicate(timeout=60)
    assert first.returncode == 0
    (result,) = json.loads((out / "results.json").read_text())["scenarios"]
    assert result["duration_s"] >= 1.9


def test_a_crashed_recordings_partial_log_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "crashed"
    out.mkdir()
    (out / "run.hlog.partial").write_text("hours of data\n")
    proc = nimsync("--record", out, "--pattern", "pingpong-*", *SMALL)
    assert proc.returncode == 2 and "run.hlog.partial" in proc.stderr
    assert (out / "run.hlog.partial").read_text() == "hours of data\n"


def test_a_directory_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    proc = nimsync("--record", "/proc", "--pattern", "pingpong-*", *SMALL)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("nimsync-tui: cannot write in /proc:")


def test_overwrite_replaces_the_whole_earlier_recording(tmp_path: Path) -> None:
    out = tmp_path / "again"
    assert nimsync("--record", out, "--pattern", "p*", *SMALL).returncode == 0
    assert (out / "pingpong-latency.hgrm").exists()
    assert nimsync("--record", out, "--pattern", "spsc-*", *SMALL, "--overwrite").returncode == 0
    assert sorted(p.name for p in out.glob("*.hgrm")) == ["spsc-throughput.hgrm"]


def test_log_lines_and_their_comments_share_one_timeline(
    recording: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = recording
    reader = read_hlog(out / "run.hlog")
    starts = [e.start_s for e in reader]
    comments = [json.loads(c.text) for c in reader.comments if c.text.startswith("{")]
    commented = [c["start_s"] for c in comments if c["event"] == "interval"]
    # The files write milliseconds (%.3f, rounded as Java rounds), the comments the full figure:
    # one timeline when each written time is its comment's to the half millisecond.
    to_the_ms = pytest.approx(commented, abs=0.0005 + 1e-9)
    assert starts == to_the_ms
    assert starts == sorted(starts)
    csv_rows = (out / "intervals.csv").read_text().splitlines()[1:]
    csv_measured = [float(r.split(",")[2]) for r in csv_rows if ",measure," in r]
    assert csv_measured == to_the_ms


def test_ctrl_c_in_warmup_measures_nothing_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "warm"
    returncode, stderr = ctrl_c_when(
        "warmup", "--record", out, "--pattern", "pingpong-*", "--warmup", "1000000000", "--interval", "0.1"
    )
    assert returncode == 130
    assert "stopped during warm-up: nothing measured" in stderr
    assert json.loads((out / "results.json").read_text())["scenarios"] == []
    assert not list(out.glob("*.hgrm"))
