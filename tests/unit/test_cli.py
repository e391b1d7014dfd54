"""The command line's contract (docs/architecture.md): spellings and when the app opens."""

import io
import signal
from types import SimpleNamespace

import pytest

from nimsync_tui.cli import _headless_request, build_parser, is_headless, main, normalize_suite_spellings
from nimsync_tui.errors import ExitStatus
from nimsync_tui.run.headless import ProgressLine, exit_status
from nimsync_tui.scenarios import SCENARIOS


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--pattern:Throughput"], ["--pattern=Throughput"]),
        (["--regression-threshold:0.05", "--baseline:b.json"], ["--regression-threshold=0.05", "--baseline=b.json"]),
        (["--pattern", "a:b"], ["--pattern", "a:b"]),
        (["--record=C:/x"], ["--record=C:/x"]),
        (["--", "--pattern:x"], ["--", "--pattern:x"]),
    ],
)
def test_the_suites_colon_spelling_is_an_equals_sign(argv: list[str], expected: list[str]) -> None:
    assert normalize_suite_spellings(argv) == expected


def test_the_app_opens_only_on_a_terminal_without_a_headless_option() -> None:
    parse = build_parser().parse_args
    assert not is_headless(parse([]), stdout_is_tty=True)
    assert is_headless(parse([]), stdout_is_tty=False)
    assert is_headless(parse(["--record", "d"]), stdout_is_tty=True)
    assert is_headless(parse(["--performance"]), stdout_is_tty=True)
    assert not is_headless(parse(["--compare", "b.json"]), stdout_is_tty=True)  # the app's baseline curve


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_verbose_keeps_every_progress_line_on_a_terminal() -> None:
    quiet, verbose = _Terminal(), _Terminal()
    for progress in (ProgressLine(quiet), ProgressLine(verbose, verbose=True)):
        progress("interval 1")
        progress("repetition 1 done")
    assert quiet.getvalue() == "\r\x1b[Kinterval 1\r\x1b[Krepetition 1 done"
    assert verbose.getvalue() == "interval 1\nrepetition 1 done\n"


def test_replay_off_a_terminal_is_a_headless_replay_not_a_live_run(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    # Headless replay landed: a directory without a log is refused as such, and nothing is recorded.
    assert main(["--replay", str(tmp_path), "--record", str(tmp_path / "out")]) == 2
    assert "holds no recording" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_list_shows_every_scenario_with_its_category_and_suite_title(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split() == ["scenario", "category", "suite", "test", "load"]
    assert len(lines) == len(SCENARIOS) == 10
    for line, scenario in zip(lines, SCENARIOS.values(), strict=True):
        assert line.split()[:2] == [scenario.name, scenario.category]
        assert f"  {scenario.title}  " in line


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--pattern:Scalability"], ["worker-scaling", "capacity-scaling"]),
        (["--pattern", "Memory"], ["channel-memory", "memory-leak"]),
        (["--pattern=*-latency"], ["pingpong-latency", "async-op-latency"]),
    ],
)
def test_list_shows_what_a_pattern_selects(
    argv: list[str], names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--list", *argv]) == 0
    assert [ln.split()[0] for ln in capsys.readouterr().out.splitlines()[1:]] == names


def test_a_pattern_that_selects_nothing_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list", "--pattern", "nothing-like-it"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no scenario matches 'nothing-like-it'" in err


def _row(status: str) -> SimpleNamespace:
    return SimpleNamespace(result=SimpleNamespace(status=status))


@pytest.mark.parametrize(
    ("stopped_by", "statuses", "regressed_missed_write_failed", "expected"),
    [
        (signal.SIGTERM, ["failed"], (True, True, True), ExitStatus.SIGTERM),
        (signal.SIGHUP, ["completed"], (False, False, False), ExitStatus.SIGHUP),
        (signal.SIGINT, ["timed_out"], (True, False, False), ExitStatus.SIGINT),
        (None, ["completed", "timed_out"], (True, True, False), ExitStatus.FAILED),
        (None, ["completed"], (True, True, True), ExitStatus.FAILED),
        (None, ["completed", "stopped"], (True, True, False), ExitStatus.REGRESSION),
        (None, ["completed"], (False, True, False), ExitStatus.TARGET_MISSED),
        (None, ["completed"], (False, False, False), ExitStatus.OK),
    ],
)
def test_a_stop_outranks_a_failure_and_a_failure_outranks_a_verdict(
    stopped_by: int | None,
    statuses: list[str],
    regressed_missed_write_failed: tuple[bool, bool, bool],
    expected: ExitStatus,
) -> None:
    regressed, missed, write_failed = regressed_missed_write_failed
    request = _headless_request(build_parser().parse_args(["--performance"]))
    report = SimpleNamespace(rows=[_row(s) for s in statuses], missed=["a missed target"] if missed else [])
    comparison = SimpleNamespace(regressions=["a regression"] if regressed else [])
    assert exit_status(request, stopped_by, report, comparison, failed=write_failed) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-counts", "1000"], "--max-counts bounds the log of --replay or --compare: give one of them"),
        (["--replay", "x.hlog", "--max-counts", "0"], "invalid count '0'"),
        (["--replay", "x.hlog", "--max-counts", "1e9"], "invalid count '1e9'"),
        (["--replay", "x.hlog", "--max-counts", str(1 << 40)], "a whole number, 1 to 17,179,869,184"),
    ],
)
def test_max_counts_is_checked(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        status = main(argv)
    except SystemExit as exit:  # argparse's own refusal
        status = int(exit.code or 0)
    assert status == ExitStatus.USAGE
    assert message in capsys.readouterr().err


def test_max_counts_raises_the_apps_bound_and_reaches_every_serve_tab() -> None:
    from nimsync_tui.cli import _dense_bound  # noqa: PLC0415
    from nimsync_tui.core.counts import MAX_DENSE_COUNTS  # noqa: PLC0415
    from nimsync_tui.serve.options import app_arguments  # noqa: PLC0415

    assert _dense_bound(build_parser().parse_args(["--replay", "x"])) == MAX_DENSE_COUNTS
    assert _dense_bound(build_parser().parse_args(["--replay", "x", "--max-counts", "40000000"])) == 40_000_000
    argv = ["--replay", "x", "--max-counts", "40000000", "--serve", "--port", "0"]
    assert app_arguments(argv) == ["--replay", "x", "--max-counts", "40000000"]
