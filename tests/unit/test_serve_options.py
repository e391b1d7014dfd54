"""``--serve``'s options: what they accept, and what each tab's app is given."""

from __future__ import annotations

import pytest

from nimsync_tui.cli import build_parser, main, normalize_suite_spellings
from nimsync_tui.serve.options import ServeOptions, app_arguments, serve_options
from nimsync_tui.serve.session import session_environment


@pytest.mark.parametrize(
    ("argv", "app"),
    [
        (["--serve"], []),
        (["--pattern", "spsc*", "--serve", "--port", "0", "--impl", "trio"], ["--pattern", "spsc*", "--impl", "trio"]),
        (["--host=::1", "--serve", "--max-sessions", "2", "--replay", "r.hlog"], ["--replay", "r.hlog"]),
        (["--ser", "--po", "9000", "--pat", "x"], ["--pat", "x"]),  # abbreviations the full parser accepts
        (["--pattern:Throughput", "--serve", "--compare", "b.json"], ["--pattern=Throughput", "--compare", "b.json"]),
    ],
)
def test_each_tab_gets_every_option_but_the_servers_own_in_order(argv: list[str], app: list[str]) -> None:
    normalized = normalize_suite_spellings(argv)
    build_parser().parse_args(normalized)  # the full parser accepts it first, as main() does
    assert app_arguments(normalized) == app


def test_serving_is_loopback_on_port_8000_for_4_sessions_unless_told() -> None:
    parse = build_parser().parse_args
    assert serve_options(parse(["--serve"])) == ServeOptions("127.0.0.1", 8000, 4)
    assert serve_options(parse(["--serve", "--host", "0.0.0.0", "--port", "0", "--max-sessions", "1"])) == (
        ServeOptions("0.0.0.0", 0, 1)
    )
    assert serve_options(parse([])) is None
    assert [ServeOptions(host).loopback_only for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2")] == [True] * 4
    beyond = ("0.0.0.0", "", "::", "box.example", "10.0.0.1")
    assert [ServeOptions(host).loopback_only for host in beyond] == [False] * 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "8001"], "--port needs --serve"),
        (["--max-sessions", "2"], "--max-sessions needs --serve"),
        (["--serve", "--record", "d"], "--serve shows the app in browsers and --record runs headless"),
        (["--serve", "--performance"], "--serve shows the app in browsers and --performance runs headless"),
        (["--serve", "--port", "70000"], "invalid port '70000'"),
        (["--serve", "--max-sessions", "0"], "invalid session count '0'"),
        (["--serve", "--pattern", "no-such-scenario"], "no-such-scenario"),
        (["--serve", "--replay", "missing.hlog"], "missing.hlog: no such file or directory"),
    ],
)
def test_a_serve_option_that_cannot_be_is_one_line_and_status_2_before_any_server(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(argv)
    except SystemExit as usage:  # argparse's own refusals
        status = usage.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_an_app_gets_the_servers_environment_without_its_secrets() -> None:
    served = {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "LC_TIME": "de_DE.UTF-8",
        "PYTHONPATH": "/src",
        "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
        "COLUMNS": "120",
        "ROWS": "40",
        "AWS_SECRET_ACCESS_KEY": "x",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "GITHUB_TOKEN": "t",
        "DISPLAY": ":0",
        "LD_PRELOAD": "/evil.so",
    }
    kept = session_environment(served)
    assert sorted(kept) == ["COLUMNS", "HOME", "LANG", "LC_TIME", "PATH", "PYTHONPATH", "ROWS", "TEXTUAL_DRIVER"]
