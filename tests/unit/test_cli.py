"""The command line's contract (DESIGN.md): spellings and when the app opens."""

import pytest

from nimsync_tui.cli import build_parser, is_headless, normalize_suite_spellings


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
