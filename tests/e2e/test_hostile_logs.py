"""Logs that would cost more than they weigh: every one is refused or read within 512 MB, in one line.

Each log is made here; the CLI reads it in a child process whose peak memory is measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ..hostile import CLI, PEAK_LIMIT_MB, WIDEST, log_text, one_count_at_top, run_measured, v0_bomb


def replay(path: Path, tmp_path: Path, *extra: str) -> tuple[int, str, float]:
    done = run_measured([*CLI, "--replay", str(path), "--record", str(tmp_path / "out"), *extra], timeout=120)
    assert "Traceback" not in done.stderr
    assert done.peak_mb < PEAK_LIMIT_MB, f"peak {done.peak_mb:.0f} MiB"
    return done.returncode, done.stderr.strip(), done.peak_mb


def test_a_v0_payload_longer_than_its_layout_is_refused(tmp_path: Path) -> None:
    """348 KB of zlib inflating to 256 M zero counts: refused once past what its layout allows."""
    log = tmp_path / "bomb.hlog"
    log.write_text(log_text([f"0.000,1.000,0.0,{v0_bomb(1 << 28)}"]))
    assert log.stat().st_size < 400_000
    code, err, _ = replay(log, tmp_path)
    assert code == 2
    assert err.count("\n") == 0
    assert "longer than its layout allows" in err
    assert not (tmp_path / "out").exists()


def test_many_tags_of_the_widest_layout_stay_small(tmp_path: Path) -> None:
    """Tags each holding one count at the top of a 2**63, 5-digit layout: merged sparse, not a dense array each.

    12 tags cost 650 MB before (40: 2.1 GB); a dense array of one tag at a time is all that is left.
    """
    top = one_count_at_top(WIDEST)
    log = tmp_path / "wide.hlog"
    log.write_text(log_text([f"Tag=t{k},0.000,1.000,0.0,{top}" for k in range(12)]))
    assert log.stat().st_size < 8_000
    code, err, _ = replay(log, tmp_path)
    assert code == 0, err
    assert "Warning" not in err
    hgrm = (tmp_path / "out" / "t11.hgrm").read_text()
    assert "Total count    =            1" in hgrm


def test_ninety_megabytes_of_comments_fail_fast(tmp_path: Path) -> None:
    """Comment lines are streamed and their run is bounded: no 2.6 GB list of them before the error."""
    log = tmp_path / "comments.hlog"
    with log.open("w") as f:
        for _ in range(300):  # 30 M lines of "#c": each line an object to a reader that keeps them
            f.write("#c\n" * 100_000)
    code, err, _ = replay(log, tmp_path)
    assert code == 2
    assert "MiB of comment lines and no interval: not a histogram log" in err
    assert err.count("\n") == 0


@pytest.mark.parametrize("content", ["sparse", "nul"])
def test_a_gigabyte_without_a_line_end_fails_fast(tmp_path: Path, content: str) -> None:
    """A sparse file of zeros, or a short one with NUL bytes: refused on its first line, not read whole."""
    log = tmp_path / "zeros.hlog"
    with log.open("wb") as f:
        if content == "sparse":
            f.truncate(1 << 30)
        else:
            f.write(b"0.000,1.000,0.0,\0\0\0\n")
    code, err, _ = replay(log, tmp_path)
    assert code == 2
    assert ("longer than 16 MiB" if content == "sparse" else "NUL byte") in err
    assert err.count("\n") == 0


def test_the_app_replay_reads_the_same_logs_within_bounds(tmp_path: Path) -> None:
    """The app's and --serve's replay tab and --compare: widest-layout tags and a bomb, in a child process."""
    wide = tmp_path / "wide.hlog"
    wide.write_text(log_text([f"Tag=t{k},0.000,1.000,0.0,{one_count_at_top(WIDEST)}" for k in range(40)]))
    bomb = tmp_path / "bomb.hlog"
    bomb.write_text(log_text([f"0.000,1.000,0.0,{v0_bomb(1 << 28)}"]))
    script = (
        "import sys\n"
        "from nimsync_tui.monitor.replay import ReplaySource\n"
        "from nimsync_tui.errors import HistogramFormatError\n"
        "for path in sys.argv[1:]:\n"
        "    source = ReplaySource(__import__('pathlib').Path(path))\n"
        "    try:\n"
        "        while not source.load():\n"
        "            source.snapshot()\n"
        "        source.snapshot()\n"
        "        print(path, 'loaded', len(source.snapshot().rows))\n"
        "    except HistogramFormatError as error:\n"
        "        print(path, 'refused', error)\n"
        "from nimsync_tui.monitor.baseline import BaselineCurve\n"
        "try:\n"
        "    BaselineCurve.load(__import__('pathlib').Path(sys.argv[1]))\n"
        "except HistogramFormatError as error:\n"
        "    print('--compare refused', error)\n"
    )
    done = run_measured([sys.executable, "-c", script, str(wide), str(bomb)], timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.peak_mb < PEAK_LIMIT_MB, f"peak {done.peak_mb:.0f} MiB"
    # Each of the app's tags keeps a dense histogram: past 16 M counts in all it says so, at the tag that goes past.
    assert f"{wide} refused" in done.stdout
    assert "replay it headless: --replay PATH --record DIR" in done.stdout
    assert "--compare refused" in done.stdout  # the app's --compare keeps a dense histogram per tag too
    assert f"{bomb} refused" in done.stdout
    assert "longer than its layout allows" in done.stdout


def test_the_recorder_bounds_a_runner_line_and_a_bomb_histogram(tmp_path: Path) -> None:
    """A runner writing 300 MB without a line end, and the library decoder handed a bomb: both refused, bounded."""
    bomb = tmp_path / "bomb.b64"
    bomb.write_text(v0_bomb(1 << 28))
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import nimsync_tui.run.process as process\n"
        "from nimsync_tui.core.histogram import decode_histogram\n"
        "from nimsync_tui.errors import HistogramFormatError, LoadFailedError\n"
        "from nimsync_tui.run.config import RunSpec\n"
        "from nimsync_tui.scenarios import Params\n"
        "writer = \"import sys\\nfor _ in range(300): sys.stdout.write('x' * (1 << 20))\\n\"\n"
        "process.runner_command = lambda spec: [sys.executable, '-c', writer]\n"
        "with process.RunnerProcess(RunSpec('spsc-throughput', Params(), 1.0)) as proc:\n"
        "    try:\n"
        "        for _ in proc.events():\n"
        "            pass\n"
        "    except LoadFailedError as error:\n"
        "        print('runner:', error)\n"
        "try:\n"
        "    decode_histogram(Path(sys.argv[1]).read_text())\n"
        "except HistogramFormatError as error:\n"
        "    print('histogram:', error)\n"
    )
    done = run_measured([sys.executable, "-c", script, str(bomb)], timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.peak_mb < PEAK_LIMIT_MB, f"peak {done.peak_mb:.0f} MiB"
    assert "runner: spsc-throughput: load process wrote a line longer than 16 MiB" in done.stdout
    assert "histogram: V0 payload is longer than its layout allows" in done.stdout


def test_the_apps_dense_bound_is_an_option(tmp_path: Path) -> None:
    """``--max-counts N`` moves the app's bound on dense counts (16 M by default), down or up, for --report,
    the app's --replay and --compare and every --serve tab; past it, one line naming the option."""
    layout = (1, 2**30, 5)  # 1,966,080 counts a tag: four are 7.9 M, under the default and cheap to hold
    log = tmp_path / "four.hlog"
    log.write_text(log_text([f"Tag=t{k},0.000,1.000,0.0,{one_count_at_top(layout)}" for k in range(4)]))
    report = [*CLI, "--replay", str(log), "--report", str(tmp_path / "r.html"), "--max-counts"]
    lowered = run_measured([*report, "5000000"])
    assert lowered.returncode == 2, lowered.stderr
    assert "Traceback" not in lowered.stderr
    (line,) = lowered.stderr.strip().splitlines()
    assert "tag 't2' takes the log past 5,000,000 histogram counts in all (1,966,080 for its layout)" in line
    assert "raise --max-counts N, or replay it headless: --replay PATH --record DIR" in line
    assert not (tmp_path / "r.html").exists()
    raised = run_measured([*report, "8000000"])
    assert raised.returncode == 0, raised.stderr
    assert (tmp_path / "r.html").is_file()
    assert max(lowered.peak_mb, raised.peak_mb) < PEAK_LIMIT_MB
    # The app's replay and --compare take the same bound (a --serve tab is given the server's options).
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from nimsync_tui.monitor.baseline import BaselineCurve\n"
        "from nimsync_tui.monitor.replay import ReplaySource\n"
        "from nimsync_tui.errors import HistogramFormatError\n"
        "for bound in (5_000_000, 8_000_000):\n"
        "    try:\n"
        "        source = ReplaySource(Path(sys.argv[1]), max_counts=bound)\n"
        "        while not source.load():\n"
        "            pass\n"
        "        print(bound, 'replay', len(source.tags))\n"
        "        print(bound, 'compare', BaselineCurve.load(Path(sys.argv[1]), max_counts=bound).label)\n"
        "    except HistogramFormatError as error:\n"
        "        print(bound, 'refused', error)\n"
    )
    done = run_measured([sys.executable, "-c", script, str(log)], timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.peak_mb < PEAK_LIMIT_MB
    assert done.stdout.splitlines()[0].startswith("5000000 refused")
    assert done.stdout.splitlines()[1:] == ["8000000 replay 4", "8000000 compare four.hlog"]
