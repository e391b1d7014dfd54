"""Verdicts a user keeps and CI reads: the history across commits, JUnit for the targets, the store refused whole."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import junitparser
import pytest

from .test_suite_cli import nimsync

TINY = ["--iterations", "2000", "--warmup", "200", "--repeat", "1"]
SMALL = ["--iterations", "20000", "--warmup", "2000", "--repeat", "3"]
"""Enough for a commit's figures to stand above a busy machine's noise (a 2,000-round-trip run lasts 2 ms)."""


def test_four_commits_then_history_finds_the_change_point_of_the_fourth(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    for commit in ("c1", "c2", "c3"):
        # --record, not --performance: a busy machine may miss a target, which is not what this test is about.
        run = nimsync("--record", commit, "--pattern", "pingpong-latency", *SMALL, "--history", store, "--commit",
                      commit, cwd=tmp_path)  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert f"history: commit {commit} on " in run.stdout
    # The fourth commit on Trio's channel (a checkpoint every operation): many times our latency.
    trio = nimsync("--record", "c4", "--pattern", "pingpong-latency", *SMALL, "--impl", "trio", "--history", store,
                   "--commit", "c4", cwd=tmp_path)  # fmt: skip
    assert trio.returncode == 0, trio.stderr
    summary = (tmp_path / "c4" / "summary.txt").read_text()
    assert summary.startswith("pingpong-latency: completed, ") and "Average Latency" in summary

    history = nimsync("history", "--pattern", "pingpong", "--history", store, cwd=tmp_path)
    assert history.returncode == 4, history.stdout + history.stderr
    assert ", 4 commit(s): c1, c2, c3, c4" in history.stdout
    # Which metric shows it depends on the machine's noise (a preempted round trip at c2 can move a tiny
    # run's p99 tenfold, and the detector then asks more of c4): the exit says one did, a row says which.
    flagged = [line for line in history.stdout.splitlines() if line.endswith("REGRESSION")]
    assert flagged and all("nimsync..trio" in line and "at c4: x" in line for line in flagged), history.stdout

    # The recordings were filed live: importing them adds nothing.
    imported = nimsync("history", "import", "c1", "c2", "c3", "c4", "--history", store, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("imported 0 run(s) into ") and imported.stdout.endswith("; 4 already there\n")
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (4,)
        loops = db.execute("SELECT DISTINCT loop, implementation FROM figures ORDER BY implementation").fetchall()
        assert loops == [("trio", "nimsync"), ("trio", "trio")]


def test_strict_targets_junit_holds_the_async_op_target_as_a_failure(tmp_path: Path) -> None:
    proc = nimsync("--performance", "--pattern:Latency", "--strict-targets", "--junit", "out.xml", "--markdown",
                   "out.md", "--no-history", *TINY, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    (suite,) = junitparser.JUnitXml.fromfile(str(tmp_path / "out.xml"))
    cases = {(case.classname, case.name): case for case in suite}
    (failure,) = cases[("async-op-latency", "Async operation latency")].result
    assert isinstance(failure, junitparser.Failure)
    assert failure.type == "UNREACHABLE" and "(needs < 1 µs)" in failure.message
    markdown = (tmp_path / "out.md").read_text()
    for row in ("pingpong-latency", "async-op-latency", "latency-distribution"):
        assert f"| {row} |" in markdown


def test_a_store_that_is_not_one_is_refused_in_one_line_and_left_alone(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    store.write_bytes(b"not a database, but someone's file\n" * 200)
    before = store.read_bytes()
    proc = nimsync("--performance", "--pattern", "pingpong-latency", *TINY, "--history", store, cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert "is not a nimsync-tui history store" in line and "left as it is" in line
    assert store.read_bytes() == before and proc.stdout == ""


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 command")
def test_a_store_of_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    subprocess.run(["sqlite3", str(store), "CREATE TABLE runs (id INTEGER); PRAGMA user_version = 99;"], check=True)
    before = store.read_bytes()
    proc = nimsync("history", "--history", store, cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert "schema version 99, written by a newer nimsync-tui; this one reads version 1" in line
    assert store.read_bytes() == before
