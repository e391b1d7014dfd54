"""The command line's contract (DESIGN.md): spellings and when the app opens."""

import pytest

from nimsync_tui.cli import build_parser, is_headless, main, normalize_suite_spellings
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


def test_headless_replay_of_a_directory_without_a_recording_writes_nothing(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
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
