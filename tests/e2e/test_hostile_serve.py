"""``--serve`` against a stranger: idle and half-sent connections, odd headers, and where a tab may write."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

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
    assert "Traceback" not in served.output.read_text()


def test_exports_go_to_one_folder_fixed_at_start_and_printed(tmp_path: Path) -> None:
    folder = tmp_path / "nimsync-exports"
    with serving(tmp_path, *LOAD) as served, served.handshake(f"/ws/{served.token}", served.origin) as status:
        assert status == 101
        seen = environment_of(served.wait_for_app().pid)
        assert seen["NIMSYNC_TUI_EXPORT_DIR"] == str(folder)
    assert folder.is_dir()
    assert f"exports and baselines from the browser go to {folder}" in served.output.read_text()
