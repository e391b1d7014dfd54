"""``--serve`` against a stranger: idle and half-sent connections, odd headers, and where a tab may write."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nimsync_tui.serve.server import IDLE_TIMEOUT_S, MAX_COLUMNS, MAX_ROWS
from tests.served import Served, environment_of, serving

LOAD = ("--pattern", "spsc-throughput")


def _connect(served: Served) -> socket.socket:
    parts = urlsplit(served.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=60)


def test_idle_and_half_sent_connections_are_closed_in_seconds(tmp_path: Path) -> None:
    """aiohttp's own default keeps them for an hour: a few hundred would lock real users out."""
    with serving(tmp_path) as served, _connect(served) as idle, _connect(served) as half:
        half.sendall(b"GET / HTTP/1.1\r\nHost: ")  # and never the rest
        assert idle.recv(1) == b""  # closed by the server (a timeout raises instead)
        assert half.recv(1) == b""


def test_a_duplicate_host_header_is_one_refusal_and_the_server_names_no_version(tmp_path: Path) -> None:
    with serving(tmp_path) as served, _connect(served) as sock:
        host = urlsplit(served.url).netloc
        sock.sendall(f"GET /?token={served.token} HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\n\r\n".encode())
        reply = sock.recv(65536).decode(errors="replace")
        assert reply.split()[1] == "400"
        assert "\r\nServer: nimsync-tui\r\n" in reply
        assert "aiohttp" not in reply
    assert "Traceback" not in served.output.read_text(), served.output.read_text()


def test_exports_go_to_one_folder_fixed_at_start_and_printed(tmp_path: Path) -> None:
    folder = tmp_path / "nimsync-exports"
    with serving(tmp_path, *LOAD) as served, served.handshake(f"/ws/{served.token}", served.origin) as status:
        assert status == 101
        seen = environment_of(served.wait_for_app().pid)
        assert seen["NIMSYNC_TUI_EXPORT_DIR"] == str(folder)
    assert folder.is_dir()
    assert f"exports and baselines from the browser go to {folder}" in served.output.read_text()


def _get(served: Served, path: str, timeout: float = 5.0) -> str:
    """One request on a fresh connection; its status line."""
    parts = urlsplit(served.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        return sock.makefile("rb").readline().decode(errors="replace").strip()


def test_a_stranger_holding_connections_locks_no_user_out(tmp_path: Path) -> None:
    """350 idle and half-sent connections against a server with 256 descriptors: a user's page still loads at once.

    Before: the descriptors ran out, asyncio logged "socket.accept() out of system resource" with a traceback
    every second, and the user waited until each stranger's connection timed out (an hour, then 10 s per round).
    """
    with contextlib.ExitStack() as stack:
        served = stack.enter_context(serving(tmp_path, open_files=(256, 256), max_sessions=1))
        held = []
        for k in range(300):
            sock = stack.enter_context(_connect(served))
            if k % 2:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: ")
            held.append(sock)
        # Connected on this side is not yet accepted on the server's (its queue holds 32): let it take them all,
        # so that the user comes after every stranger (a stranger who keeps coming is another matter: see README).
        time.sleep(1)
        started = time.monotonic()
        status = _get(served, f"/?token={served.token}")
        assert status == "HTTP/1.1 200 OK", status
        assert time.monotonic() - started < IDLE_TIMEOUT_S / 2  # not after a round of timeouts
        # And it stays so while the strangers keep coming: each new one costs the oldest idle one its place.
        for _ in range(50):
            held.append(stack.enter_context(_connect(served)))
        time.sleep(1)
        assert _get(served, f"/?token={served.token}") == "HTTP/1.1 200 OK"
    output = served.output.read_text()
    assert "Traceback" not in output
    assert "out of system resource" not in output
    assert len(output.encode()) < 4096, output[-2000:]


_ACCEPTING = """
import asyncio, logging, os, resource, sys
from nimsync_tui.serve.server import _quiet_repeated_warnings
logging.basicConfig(stream=sys.stderr)
if sys.argv[1] == "quiet":
    _quiet_repeated_warnings()
held = []
async def main():
    server = await asyncio.start_server(lambda reader, writer: held.append(writer), "127.0.0.1", 0)
    open_now = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_now + 4, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(float(sys.argv[2]))
asyncio.run(main())
"""


@pytest.mark.parametrize("logging", ["quiet", "loud"])
def test_out_of_descriptors_is_one_line_per_ten_seconds(logging: str) -> None:
    """asyncio's "socket.accept() out of system resource", once a second with a traceback, is let through once
    per 10 s and in one line (issue 16: 652 MB of log in 45 s). "loud", without the filter, shows the test's
    server really runs out."""
    seconds = 4.5
    proc = subprocess.Popen(
        [sys.executable, "-c", _ACCEPTING, logging, str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    with contextlib.ExitStack() as stack:
        for _ in range(20):
            stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=30))
        _, err = proc.communicate(timeout=60)
    said = err.count("socket.accept() out of system resource")
    if logging == "quiet":
        assert said == 1, err
        assert "Traceback" not in err
        assert len(err.splitlines()) <= 2, err  # the message's own two lines: what failed, and on which socket
    else:  # 1.2 MB in 4.5 s here
        assert said >= 4, err[:2000]
        assert "Traceback" in err
        assert len(err) > 100_000


_APP_PEAK_MB = 256
"""A tab's app at the largest terminal it may have costs about 80 MB (a 5000x5000 one took 1.2 GB)."""


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def test_a_huge_terminal_is_clamped_and_the_apps_memory_stays_bounded(tmp_path: Path) -> None:
    """A tab asking for 5000x5000, then resizing to 20000x20000: the app draws 500x200 and its peak stays small.

    Unclamped, the app passed 256 MB within 11 s here (and 1.2 GB, 2.6 GB later; the test stops it at 256 MB).
    """
    resize = json.dumps(["resize", {"width": 20000, "height": 20000}])
    streamed: list[int] = []
    with (
        serving(tmp_path, *LOAD) as served,
        served.handshake(
            f"/ws/{served.token}?width=5000&height=5000", served.origin, messages=[resize], received=streamed
        ) as status,
    ):
        assert status == 101
        app = served.wait_for_app()
        env = environment_of(app.pid)
        assert (env["COLUMNS"], env["ROWS"]) == (str(MAX_COLUMNS), str(MAX_ROWS))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if _kib(app.pid, "VmRSS") > _APP_PEAK_MB << 10:
                app.kill()
                raise AssertionError(f"the app passed {_APP_PEAK_MB} MB")
            time.sleep(0.05)
        peak_mb = _kib(app.pid, "VmHWM") / 1024
    assert peak_mb < _APP_PEAK_MB
    assert sum(streamed) < 20 << 20  # a 5000x5000 screen streamed 79 MB
    assert "Traceback" not in served.output.read_text(), served.output.read_text()


def test_malformed_messages_are_one_line_and_the_session_goes_on(tmp_path: Path) -> None:
    """Each printed a full traceback of the app's (60-190 KB with local variables); now the first is one line,
    the rest within 10 s are not logged at all, and the tab's app keeps running."""
    malformed = [
        '["stdin", 5]',
        '["resize", "x"]',
        '["resize", {"width": 1e300, "height": 24}]',
        '["resize", {"width": "x", "height": 24}]',
        "[" * 30_000 + "]" * 30_000,  # deeper than json's recursion, within the 64 KB a message may have
        "{}",
    ]
    with (
        serving(tmp_path, *LOAD) as served,
        served.handshake(f"/ws/{served.token}", served.origin, messages=malformed) as status,
    ):
        assert status == 101
        app = served.wait_for_app()
        time.sleep(2)
        assert app.is_running()
        output = served.output.read_text()  # while the session runs (its end is another test's)
    assert "Traceback" not in output, output
    said = [line for line in output.splitlines() if line.startswith("nimsync-tui: ignored")]
    assert said == ["nimsync-tui: ignored a malformed message from a tab: stdin data is not text"], output
    assert len(output.encode()) < 1024, output


def test_the_soft_descriptor_limit_is_raised_to_the_hard_one(tmp_path: Path) -> None:
    with serving(tmp_path, open_files=(64, 256)) as served:
        limits = Path(f"/proc/{served.proc.pid}/limits").read_text()
        (line,) = [line for line in limits.splitlines() if line.startswith("Max open files")]
        assert line.split()[3:5] == ["256", "256"], line
