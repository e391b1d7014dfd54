"""A ``nimsync-tui --serve`` server in a child process, for the end-to-end and browser tests."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit

import psutil

NIMSYNC_TUI = Path(sys.executable).with_name("nimsync-tui")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0


@dataclass
class Served:
    """The server process and what it printed."""

    proc: subprocess.Popen[bytes]
    url: str
    """The printed URL, token included."""
    output: Path
    """The server's stdout and stderr."""

    @property
    def origin(self) -> str:
        """``http://host:port`` of the server."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def token(self) -> str:
        """The token in the printed URL."""
        return parse_qs(urlsplit(self.url).query)["token"][0]

    def apps(self) -> list[psutil.Process]:
        """The server's children: one app process per session."""
        try:
            return psutil.Process(self.proc.pid).children()
        except psutil.NoSuchProcess:
            return []

    def wait_for_app(self, timeout: float = START_TIMEOUT_S) -> psutil.Process:
        """The one app process, once it runs its own program (a fork still shows the server's)."""
        deadline = time.monotonic() + timeout
        server = psutil.Process(self.proc.pid).cmdline()
        while True:
            with contextlib.suppress(psutil.NoSuchProcess):
                apps = self.apps()
                if len(apps) == 1 and apps[0].cmdline() != server:
                    return apps[0]
            assert time.monotonic() < deadline, "no app process started"
            time.sleep(0.05)

    def descendants(self) -> list[psutil.Process]:
        """Every process the server started and their children (the apps and their runners)."""
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def wait_for_descendants(self, count: int, timeout: float = START_TIMEOUT_S) -> list[psutil.Process]:
        """Wait until the server has at least ``count`` descendants; returns them."""
        deadline = time.monotonic() + timeout
        while len(found := self.descendants()) < count:
            assert time.monotonic() < deadline, f"{len(found)} processes under the server, expected {count}"
            time.sleep(0.1)
        return found

    @contextlib.contextmanager
    def handshake(
        self, path: str, origin: str | None, *, messages: Sequence[str] = (), received: list[int] | None = None
    ) -> Iterator[int]:
        """Ask for a websocket on ``path`` with ``origin`` (None: no Origin header); yields the HTTP status.

        The connection stays open inside the ``with`` (an accepted session lives that long). ``messages``
        are sent as text frames once it is open; ``received`` gets the length of
        each frame the server sends.
        """
        parts = urlsplit(self.url)
        headers = [
            f"GET {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ]
        if origin is not None:
            headers.append(f"Origin: {origin}")
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
            with sock.makefile("rb") as reply:
                status = int(reply.readline().split()[1])
                if status != 101:
                    yield status
                    return
                while reply.readline() not in (b"\r\n", b""):  # the rest of the handshake's headers
                    pass
                # A client that reads nothing is closed by the server's heartbeat (and,
                # once the buffers fill, stalls the app's output): read like a browser.
                sock.settimeout(None)
                for message in messages:
                    sock.sendall(_client_frame(_TEXT, message.encode()))
                listener = threading.Thread(target=_answer_pings, args=(sock, reply, received), daemon=True)
                listener.start()
                try:
                    yield status
                finally:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)  # wakes the listener's read
                    listener.join(STOP_TIMEOUT_S)

    def status_of(self, path: str, origin: str | None) -> int:
        """The HTTP status of a websocket request on ``path`` (closed at once)."""
        with self.handshake(path, origin) as status:
            return status

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Signal the server and wait for it; returns its exit status."""
        self.proc.send_signal(sig)
        return self.proc.wait(STOP_TIMEOUT_S)


@contextlib.contextmanager
def serving(
    tmp_path: Path,
    *args: str,
    max_sessions: int = 4,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
    open_files: tuple[int, int] | None = None,
) -> Iterator[Served]:
    """Serve on a free port (``nimsync-tui ARGS --serve``, or ``command``); stop it and whatever it left at the end.

    ``open_files``: the server's limits of open files, soft and hard (it may raise the soft one to the hard).
    """
    output = tmp_path / "serve.out"
    if command is None:
        command = [str(NIMSYNC_TUI), *args, "--serve", "--port", "0", "--max-sessions", str(max_sessions)]

    def limit() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, open_files)

    with output.open("wb") as out:
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
            preexec_fn=limit if open_files is not None else None,  # noqa: PLW1509
        )
    served = Served(proc, printed_url(proc, output), output)
    try:
        yield served
    finally:
        left = served.descendants()
        if proc.poll() is None:
            served.stop()
        for p in left:  # only after a failed test: never leave a load running
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()


_TEXT, _PING, _PONG, _CLOSE = 0x1, 0x9, 0xA, 0x8


def _answer_pings(sock: socket.socket, frames: BinaryIO, received: list[int] | None = None) -> None:
    """Read the server's websocket frames until the connection ends; answer each ping with its pong."""
    with contextlib.suppress(OSError, ValueError):
        while (head := frames.read(2)) and len(head) == 2:
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length >= 126:
                length = int.from_bytes(frames.read(2 if length == 126 else 8), "big")
            payload = frames.read(length)
            if received is not None:
                received.append(length)
            if opcode == _CLOSE:
                return
            if opcode == _PING:
                sock.sendall(_client_frame(_PONG, payload))


def _client_frame(opcode: int, payload: bytes) -> bytes:
    """One final frame from a client (masked, as RFC 6455 requires)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    if len(payload) < 126:
        length = bytes([0x80 | len(payload)])
    elif len(payload) < 1 << 16:
        length = bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    else:
        length = bytes([0x80 | 127]) + len(payload).to_bytes(8, "big")
    return bytes([0x80 | opcode]) + length + mask + masked


def printed_url(proc: subprocess.Popen[bytes], output: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if match := re.search(r"http://\S+", output.read_text(errors="replace")):
            return match[0]
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the server printed no URL:\n{output.read_text(errors='replace')}")


def gone(processes: list[psutil.Process], timeout: float = STOP_TIMEOUT_S) -> list[psutil.Process]:
    """Wait for ``processes`` to exit; returns those still running after ``timeout``."""
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return [p for p in alive if _running(p)]


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def environment_of(pid: int) -> dict[str, str]:
    """A process's environment as it started (Linux ``/proc``)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)
