"""The command line's contract (DESIGN.md): spellings and when the app opens."""

import pytest

from nimsync_tui.cli import build_parser, is_headless, main, normalize_suite_spellings


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


def test_replay_off_a_terminal_is_refused_not_recorded_live(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--replay", str(tmp_path), "--record", str(tmp_path / "out")]) == 2
    assert "--replay opens the app" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
