"""The history store (SQLite) and its trends: versioned, safe for two writers, refused whole, change points."""

from __future__ import annotations

import io
import json
import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from nimsync_tui import history_cli
from nimsync_tui.errors import ExitStatus
from nimsync_tui.suite.history import SCHEMA_VERSION, HistoryError, HistoryStore, RunFigures
from nimsync_tui.suite.trends import change_points

ENV = {"python": "3.11.7", "cpu_model": "Xeon", "cores": 2, "load_at_start": [0.5]}


def results(commit: str, latency_ns: float, *, impl: str = "nimsync", at: str = "2026-12-01T10:00:00+00:00") -> dict:
    """A results.json document of one ping-pong row."""
    return {
        "tool": "nimsync-tui",
        "recorded_at": at,
        "environment": {**ENV, "commit": commit, "machine": "ci-box"},
        "scenarios": [
            {
                "name": "pingpong-latency",
                "status": "completed",
                "parameters": {"impl": impl, "capacity": 1},
                "metrics": {"latency_mean_ns": latency_ns, "throughput_ops_s": 1e9 / latency_ns, "leak": None},
            },
            {"name": "spsc-throughput", "status": "failed", "parameters": {}, "metrics": {"throughput_ops_s": 1.0}},
        ],
    }


def write_recordings(tmp_path: Path, latencies: dict[str, float]) -> list[str]:
    dirs = []
    for i, (commit, latency) in enumerate(latencies.items()):
        directory = tmp_path / commit
        directory.mkdir()
        impl = "trio" if commit == "c4" else "nimsync"
        at = f"2026-12-0{i + 1}T10:00:00+00:00"
        (directory / "results.json").write_text(json.dumps(results(commit, latency, impl=impl, at=at)))
        dirs.append(str(directory))
    return dirs


def test_import_is_idempotent_and_history_finds_the_regression_at_the_newest_commit(tmp_path: Path) -> None:
    store = str(tmp_path / "h.sqlite")
    dirs = write_recordings(tmp_path, {"c1": 5_000.0, "c2": 5_200.0, "c3": 4_900.0, "c4": 70_000.0})
    out = io.StringIO()
    assert history_cli.main(["import", *dirs, "--history", store], out) == ExitStatus.OK
    assert history_cli.main(["import", *dirs, "--history", store], out) == ExitStatus.OK
    assert out.getvalue().splitlines()[1] == f"imported 0 run(s) into {store}; 4 already there"
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (4,)
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        # A failed row is no history; a figure not measured (None) is not a row.
        assert {r[0] for r in db.execute("SELECT DISTINCT scenario FROM figures")} == {"pingpong-latency"}
        assert db.execute("SELECT COUNT(*) FROM figures WHERE metric = 'leak'").fetchone() == (0,)

    shown = io.StringIO()
    status = history_cli.main(["--history", store, "--machine", "ci-box", "--pattern", "pingpong"], shown)
    assert status == ExitStatus.REGRESSION
    lines = shown.getvalue().splitlines()
    assert lines[0].endswith("machine ci-box, 4 commit(s): c1, c2, c3, c4")
    latency = next(line for line in lines if " latency_mean_ns " in line)
    assert "nimsync..trio" in latency and latency.endswith("at c4: x13.9 REGRESSION")

    as_csv = io.StringIO()
    history_cli.main(["--history", store, "--machine", "ci-box", "--format", "csv"], as_csv)
    rows = [r.split(",") for r in as_csv.getvalue().splitlines()]
    assert ["ci-box", "trio", "trio", "pingpong-latency", "", "latency_mean_ns", "c4", "70000.0", "regression"] in rows
    # Only our implementation's figures: no change point, no regression.
    only_ours = io.StringIO()
    assert history_cli.main(["--history", store, "--machine", "ci-box", "--impl", "nimsync"], only_ours) == 0
    assert "no regression at the newest commit" in only_ours.getvalue()


def test_an_improvement_is_a_change_point_but_no_regression() -> None:
    (point,) = change_points(["c1", "c2", "c3", "c4"], [70.0, 71.0, 69.0, 5.0], kind="latency", threshold=0.1)
    assert point.commit == "c4" and point.ratio < 0.1 and not point.regression
    (drop,) = change_points(["a", "b", "c", "d"], [1000.0, 1010.0, 990.0, 400.0], kind="throughput", threshold=0.05)
    assert drop.commit == "d" and drop.regression


def test_noise_within_the_threshold_is_no_change_point() -> None:
    values = [100.0, 104.0, 97.0, 102.0, 99.0, 103.0]
    assert change_points([f"c{i}" for i in range(6)], values, kind="latency", threshold=0.1) == ()


def _add_runs(path: str, writer: int, count: int) -> None:
    with HistoryStore(Path(path)) as store:
        for i in range(count):
            figures = [("pingpong-latency", {"impl": "nimsync"}, {"latency_mean_ns": float(1000 + i)})]
            env = {**ENV, "writer": writer, "i": i}
            store.add(RunFigures("2026-12-01T10:00:00+00:00", f"w{writer}", "box", env, figures))


def test_two_writers_at_once_both_land(tmp_path: Path) -> None:
    path = str(tmp_path / "h.sqlite")
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_add_runs, args=(path, w, 25)) for w in (1, 2)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=60)
        assert w.exitcode == 0
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT commit_id, COUNT(*) FROM runs GROUP BY commit_id").fetchall() == [
            ("w1", 25),
            ("w2", 25),
        ]


def _open_at_once(path: str, start: Any) -> None:
    start.wait()
    with HistoryStore(Path(path)):
        pass


def test_recorders_making_a_new_store_at_once_all_open_it(tmp_path: Path) -> None:
    # Once a race (one saw the other's tables before its version; the switch to WAL refused a lock
    # without waiting) refused the store in about one trial in three.
    context = multiprocessing.get_context("fork")
    for trial in range(12):
        path, start = str(tmp_path / f"h{trial}.sqlite"), context.Barrier(4)
        openers = [context.Process(target=_open_at_once, args=(path, start)) for _ in range(4)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(timeout=60)
        assert [o.exitcode for o in openers] == [0] * 4, f"trial {trial}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"garbage, not a database\n" * 100, "is not a nimsync-tui history store"),
        (None, "is an SQLite database but not a nimsync-tui history store"),
    ],
)
def test_a_file_that_is_no_store_is_refused_and_left_alone(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "h.sqlite"
    if content is None:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (text TEXT)")
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with pytest.raises(HistoryError, match=message) as info:
        HistoryStore(path)
    assert "\n" not in str(info.value) and info.value.exit_status == ExitStatus.USAGE
    assert path.read_bytes() == before


def test_history_of_no_store_says_how_to_make_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert history_cli.main(["--history", str(tmp_path / "none.sqlite")]) == ExitStatus.USAGE
    assert "no history store at" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()


def test_a_drop_the_loads_cpu_share_explains_is_named_not_a_regression() -> None:
    commits, rates = ["c1", "c2", "c3", "c4"], [1000.0, 1010.0, 990.0, 400.0]
    # The load got 40 % of its earlier share of a core at c4: per CPU-second it did the same work.
    same_work = [2000.0, 2020.0, 1980.0, 2000.0]
    (point,) = change_points(commits, rates, kind="throughput", threshold=0.05, per_cpu=same_work)
    assert point.commit == "c4" and not point.regression and point.machine_may_explain
    slower_work = [2000.0, 2020.0, 1980.0, 800.0]
    (real,) = change_points(commits, rates, kind="throughput", threshold=0.05, per_cpu=slower_work)
    assert real.regression and not real.machine_may_explain
