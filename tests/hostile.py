"""Hostile inputs made on the spot, and a child process whose peak memory and time are measured.

Every file here is built by the test that uses it (nothing is fetched): small
files that would cost gigabytes to a reader without bounds. The child runs
under an address-space limit so that code without those bounds fails the test
with a MemoryError instead of taking the shared machine's memory.
"""

from __future__ import annotations

import base64
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from tests.hdr_encoders import V0_COOKIE_BASE, V2_COOKIE, zigzag_varint

CLI = [sys.executable, "-m", "nimsync_tui"]
PEAK_LIMIT_MB = 512
"""The most any hostile file may cost (issue 16)."""
_ADDRESS_SPACE_LIMIT = 3 << 30
"""A child that reaches this fails at once: well past the limit, far below the machine's memory."""
WIDEST = (1, 2**63 - 1, 5)
"""The widest layout there is: lowest 1, highest trackable 2**63 - 1, 5 digits (6.2 M counts)."""


@dataclass(frozen=True)
class Measured:
    """A finished child: its exit status, output and what it cost."""

    returncode: int
    stdout: str
    stderr: str
    peak_mb: float
    """The child's peak resident memory (``ru_maxrss``), in MiB."""
    seconds: float


def run_measured(argv: list[str], *, timeout: float = 60, cwd: Path | None = None) -> Measured:
    """Run ``argv`` to its end; its own peak RSS comes from ``wait4``, not from the test process's other children."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE_LIMIT, _ADDRESS_SPACE_LIMIT))

    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=cwd,
            preexec_fn=limit,  # noqa: PLW1509
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                proc.kill()
                proc.wait()
                raise subprocess.TimeoutExpired(argv, timeout)
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            usage.ru_maxrss / 1024,
            time.monotonic() - started,
        )


def log_text(lines: list[str]) -> str:
    """A format 1.3 log around ``lines`` (each ``start,length,max,histogram``, tagged or not)."""
    header = "#[Histogram log format version 1.3]\n#[StartTime: 1700000000.000 (seconds since epoch)]\n"
    return header + "".join(f"{line}\n" for line in lines)


def v0_bomb(zero_bytes: int, layout: tuple[int, int, int] = (1, 3_600_000_000_000, 3)) -> str:
    """A compressed V0 histogram whose payload inflates to ``zero_bytes`` zero bytes, as base64."""
    lowest, highest, digits = layout
    plain_header = struct.pack(">iiqqq", V0_COOKIE_BASE + (8 << 4), digits, lowest, highest, 0)
    deflater = zlib.compressobj(9)
    chunk = bytes(1 << 22)
    deflated = deflater.compress(plain_header)
    for _ in range(zero_bytes // len(chunk)):
        deflated += deflater.compress(chunk)
    deflated += deflater.flush()
    return base64.b64encode(struct.pack(">ii", V0_COOKIE_BASE + 1 + (8 << 4), len(deflated)) + deflated).decode()


def one_count_at_top(layout: tuple[int, int, int] = WIDEST) -> str:
    """A compressed V2 histogram of ``layout`` holding one count in its very last index, as base64."""
    from nimsync_tui.core.counts import HistogramLayout  # noqa: PLC0415

    lowest, highest, digits = layout
    counts_len = HistogramLayout(lowest, highest, digits).counts_len
    payload = zigzag_varint(-(counts_len - 1)) + zigzag_varint(1)
    plain = struct.pack(">iiiiqqd", V2_COOKIE, len(payload), 0, digits, lowest, highest, 1.0) + payload
    deflated = zlib.compress(plain)
    return base64.b64encode(struct.pack(">ii", V2_COOKIE + 1, len(deflated)) + deflated).decode()
