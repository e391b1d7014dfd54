"""``nimsync-tui --serve`` refuses what it must, starting no process, and leaves none behind.

Plain HTTP and websocket handshakes against a real server process (the browser
tests in tests/browser drive the same server through Chromium). An accepted
handshake starts the app; it runs until the connection closes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.served import NIMSYNC_TUI, Served, environment_of, gone, serving

LOAD = ("--pattern", "spsc-throughput")
STUBBORN_APP = Path(__file__).resolve().parents[1] / "stubborn_app.py"


def _get(served: Served, path: str, host: str | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(served.origin + path, headers={} if host is None else {"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode(), dict(reply.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode(), dict(refused.headers)


def _no_process_for_a_while(served: Served) -> None:
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        assert served.descendants() == []
        time.sleep(0.1)


def test_a_websocket_without_the_token_or_from_a_foreign_origin_is_refused_and_starts_nothing(tmp_path: Path) -> None:
    with serving(tmp_path, *LOAD) as served:
        ws = f"/ws/{served.token}"
        refused = {
            "no token": served.status_of("/ws", served.origin),
            "empty token": served.status_of("/ws/", served.origin),
            "wrong token": served.status_of("/ws/" + "x" * len(served.token), served.origin),
            "token prefix": served.status_of(ws[:-1], served.origin),
            "foreign origin": served.status_of(ws, "http://evil.example"),
            "other port": served.status_of(ws, served.origin.rsplit(":", 1)[0] + ":1"),
            # Near misses that a check by prefix would let through.
            "port with ours as prefix": served.status_of(ws, served.origin + "1"),
            "ours then a foreign domain": served.status_of(ws, served.origin + ".evil.example"),
            "null origin": served.status_of(ws, "null"),
            "no origin": served.status_of(ws, None),
        }
        assert refused == dict.fromkeys(refused, 403)
        _no_process_for_a_while(served)
        # The same request with the token and the server's own origin does start the app.
        with served.handshake(ws, served.origin) as status:
            assert status == 101
            processes = served.wait_for_descendants(1)
        assert gone(processes) == []


def test_a_page_without_the_token_is_refused_and_no_directory_is_listed(tmp_path: Path) -> None:
    with serving(tmp_path, *LOAD) as served:
        assert _get(served, "/")[:2] == (403, _get(served, "/?token=wrong")[1])
        status, page, headers = _get(served, f"/?token={served.token}")
        assert status == 200
        assert f'data-session-websocket-url="ws://{served.origin[len("http://") :]}/ws/{served.token}"' in page
        # Nothing from elsewhere: no absolute URL in the page, and the browser is told to hold to it.
        assert "http" not in page.replace(f"ws://{served.origin[len('http://') :]}", "")
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert _get(served, "/static/js/textual.js")[0] == 200
        # The page under another host name: a DNS-rebinding site, refused even with the token.
        port = served.origin.rsplit(":", 1)[1]
        assert _get(served, f"/?token={served.token}", host=f"rebind.example:{port}")[0] == 403
        for directory in ("/static/", "/static/js/", "/static/fonts/", "/page/", "/static", "/page"):
            status, body, _ = _get(served, directory)
            assert status in (403, 404), directory
            assert "textual.js" not in body and "Index of" not in body, directory
        assert _get(served, "/page/../../cli.py")[0] in (403, 404)
        _no_process_for_a_while(served)


def test_a_session_past_the_cap_gets_a_page_saying_so_and_starts_nothing(tmp_path: Path) -> None:
    with serving(tmp_path, *LOAD, max_sessions=1) as served:
        ws = f"/ws/{served.token}"
        with served.handshake(ws, served.origin) as status:
            assert status == 101
            app = served.wait_for_app()
            assert served.status_of(ws, served.origin) == 503
            page_status, page, _ = _get(served, f"/?token={served.token}")
            assert page_status == 503
            assert "All sessions in use" in page and "--max-sessions 1" in page
            # Still the one app: the refused session started none (what the app itself starts may come and go).
            assert [p.pid for p in served.apps()] == [app.pid]
        # Its slot is free again once the first session has ended.
        assert gone(served.descendants()) == []
        deadline = time.monotonic() + 30
        while _get(served, f"/?token={served.token}")[0] != 200:
            assert time.monotonic() < deadline, "the ended session still holds its slot"
            time.sleep(0.1)


def test_closing_the_websocket_ends_the_app_and_its_runner(tmp_path: Path) -> None:
    with serving(tmp_path, *LOAD) as served:
        with served.handshake(f"/ws/{served.token}", served.origin) as status:
            assert status == 101
            processes = served.wait_for_descendants(2)
            runners = [p for p in processes if "nimsync_tui.run.runner" in p.cmdline()]
            assert len(runners) == 1
        assert gone(processes) == []
        assert served.proc.poll() is None  # the server itself serves on


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_to_the_server_ends_every_session_and_leaves_no_process(
    tmp_path: Path, sig: signal.Signals, status: int
) -> None:
    with serving(tmp_path, *LOAD) as served:
        ws = f"/ws/{served.token}"
        with served.handshake(ws, served.origin), served.handshake(ws, served.origin):
            processes = served.wait_for_descendants(4)  # two apps, each with its runner
            assert served.stop(sig) == status
        assert gone(processes) == []
    # What the user sees in the terminal: the URL line, and no traceback after it (Ctrl-C with tabs open
    # once printed asyncio's "Event loop is closed").
    lines = served.output.read_text().splitlines()
    assert len(lines) == 2, lines
    url_line, exports_line = lines
    assert url_line == f"nimsync-tui: open {served.url} (Ctrl+C stops the server and every session)"
    assert exports_line.startswith("nimsync-tui: exports and baselines from the browser go to ")


def test_a_killed_server_still_leaves_no_app_and_no_runner(tmp_path: Path) -> None:
    with serving(tmp_path, *LOAD) as served, served.handshake(f"/ws/{served.token}", served.origin):
        processes = served.wait_for_descendants(2)
        served.proc.kill()  # no chance to end its sessions: the apps learn of it from the kernel
        assert served.proc.wait(60) == -signal.SIGKILL
        try:
            assert gone(processes) == []
        finally:
            for p in processes:  # orphans outlive a failed test otherwise
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()


def test_the_app_gets_the_servers_environment_without_what_it_does_not_need(tmp_path: Path) -> None:
    env = {**os.environ, "NIMSYNC_TEST_SECRET": "s3cret", "SSH_AUTH_SOCK": "/tmp/agent", "LC_ALL": "C.UTF-8"}
    with serving(tmp_path, *LOAD, env=env) as served, served.handshake(f"/ws/{served.token}", served.origin):
        seen = environment_of(served.wait_for_app().pid)
    assert "NIMSYNC_TEST_SECRET" not in seen and "SSH_AUTH_SOCK" not in seen
    assert seen["PATH"] == os.environ["PATH"] and seen["LC_ALL"] == "C.UTF-8"
    assert seen["TEXTUAL_DRIVER"] == "textual.drivers.web_driver:WebDriver"


def test_each_tab_runs_the_app_with_the_same_options(tmp_path: Path) -> None:
    with serving(tmp_path, "--pattern:spsc-throughput", "--impl", "trio") as served:
        assert served.url.startswith("http://127.0.0.1:")
        with served.handshake(f"/ws/{served.token}", served.origin) as status:
            assert status == 101
            app = served.wait_for_app()
            tab = ["-P", "-m", "nimsync_tui.serve.tab", "--pattern=spsc-throughput", "--impl", "trio"]
            assert app.cmdline()[1:] == tab


def test_an_app_that_will_not_quit_is_killed_with_every_runner_it_started(tmp_path: Path) -> None:
    with serving(tmp_path, command=[sys.executable, "-P", str(STUBBORN_APP)]) as served:
        with served.handshake(f"/ws/{served.token}", served.origin) as status:
            assert status == 101
            app = served.wait_for_app()
            deadline = time.monotonic() + 60
            while len(runners := _runners_of(app)) < 2:
                assert time.monotonic() < deadline, "the stubborn app's runners did not start"
                time.sleep(0.1)
            # One in the app's process group, one escaped into a session of its own.
            assert sorted(os.getsid(p.pid) == p.pid for p in runners) == [False, True]
            assert sorted(os.getpgid(p.pid) == app.pid for p in runners) == [False, True]
        try:
            assert gone([app, *runners]) == []
        finally:
            for p in runners:  # an escaped runner outlives a failed test otherwise
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()


def _runners_of(app: psutil.Process) -> list[psutil.Process]:
    """The app's children that run the runner (the cmdline shows it only after exec, by then setsid is done)."""
    with contextlib.suppress(psutil.NoSuchProcess):
        return [p for p in app.children() if "nimsync_tui.run.runner" in p.cmdline()]
    return []


def test_a_port_in_use_is_one_line_and_exit_status_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [str(NIMSYNC_TUI), "--serve", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert proc.stdout == ""


def test_serving_beyond_loopback_prints_a_warning(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [str(NIMSYNC_TUI), "--serve", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        url_line = proc.stdout.readline()
        warning = proc.stderr.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 143
    assert "http://" in url_line and "?token=" in url_line
    assert warning.startswith("nimsync-tui: warning: --host 0.0.0.0 serves beyond this machine")
