"""What the command line hands the app: the live session or the replay, built from the options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nimsync_tui import cli
from nimsync_tui.monitor.replay import ReplaySource
from nimsync_tui.monitor.session import LiveSession
from nimsync_tui.tui import MonitorApp

JAVA_LOG = Path(__file__).parents[1] / "fixtures" / "java-reference.hlog"


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Pretend stdout is a terminal and record the source the app would open, without opening it."""
    sources: list[Any] = []
    on_a_terminal = cli.is_headless

    def run(app: MonitorApp) -> int:
        sources.append(app.source)
        return 0

    monkeypatch.setattr(MonitorApp, "run", run)
    monkeypatch.setattr(cli, "is_headless", lambda args, _tty: on_a_terminal(args, True))
    return sources


def test_a_terminal_opens_the_live_app_with_continuous_live_intervals(opened: list[Any]) -> None:
    assert cli.main(["--pattern", "*throughput", "--compare", str(JAVA_LOG)]) == 0
    (session,) = opened
    assert isinstance(session, LiveSession)
    assert list(session.specs) == ["spsc-throughput", "mpmc-throughput"]
    assert all(s.interval_s == cli.LIVE_INTERVAL_S and s.params.iterations is None for s in session.specs.values())
    assert not session.snapshot().baseline.empty


def test_duration_and_interval_are_kept(opened: list[Any]) -> None:
    assert cli.main(["--duration", "5", "--interval", "0.5"]) == 0
    spec = opened[0].spec
    assert (spec.duration_s, spec.interval_s) == (5.0, 0.5)


def test_replay_opens_the_log_with_its_value_unit(opened: list[Any]) -> None:
    assert cli.main(["--replay", str(JAVA_LOG), "--value-unit", "us"]) == 0
    (replay,) = opened
    assert isinstance(replay, ReplaySource) and replay.value_unit == "us"


@pytest.mark.parametrize("option", ["--replay", "--compare"])
def test_a_missing_log_is_one_line_and_exit_2(opened: list[Any], tmp_path: Path, capsys, option: str) -> None:  # type: ignore[no-untyped-def]
    assert cli.main([option, str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
    assert opened == []


def test_a_stepped_scenario_keeps_its_steps_finite_live(opened: list[Any]) -> None:
    assert cli.main(["--pattern", "worker-scaling"]) == 0
    params = opened[0].spec.params
    assert params.iterations is not None


def test_compare_given_twice_draws_two_baselines(opened: list[Any]) -> None:
    stream = Path(__file__).with_name("fixtures") / "spsc-stream.hlog"
    assert cli.main(["--pattern", "spsc-throughput", "--compare", str(JAVA_LOG), "--compare", str(stream)]) == 0
    (session,) = opened
    snapshot = session.snapshot()
    assert snapshot.baseline_label == "java-reference.hlog" and not snapshot.baseline.empty
    ((label, curve),) = snapshot.overlays
    assert label == "baseline spsc-stream.hlog" and not curve.empty


def test_a_headless_run_compares_with_one_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["--pattern", "spsc-throughput", "--compare", str(JAVA_LOG), "--compare", str(JAVA_LOG)])
    err = capsys.readouterr().err
    assert status == 2 and "a headless run compares with one baseline" in err and "Traceback" not in err


def test_replay_draws_the_compare_baselines_too(opened: list[Any]) -> None:
    stream = Path(__file__).with_name("fixtures") / "spsc-stream.hlog"
    assert cli.main(["--replay", str(JAVA_LOG), "--compare", str(JAVA_LOG), "--compare", str(stream)]) == 0
    (replay,) = opened
    assert isinstance(replay, ReplaySource)
    replay.load(100)
    snapshot = replay.snapshot()
    assert snapshot.baseline_label == "java-reference.hlog" and not snapshot.baseline.empty
    assert [label for label, curve in snapshot.overlays if not curve.empty] == ["baseline spsc-stream.hlog"]
