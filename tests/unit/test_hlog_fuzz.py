"""Fuzzing the .hlog reader: whatever the bytes, it reads them or raises HistogramFormatError, nothing else."""

from __future__ import annotations

import base64
import contextlib
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nimsync_tui.core.encoding import decode_bytes
from nimsync_tui.core.hlog import decode_entries, read_hlog
from nimsync_tui.errors import HistogramFormatError
from nimsync_tui.run.replay import replay_log
from tests.hdr_encoders import encode, encode_line

_COUNTS = np.random.default_rng(3).poisson(3, 200).tolist()
VALID_LOG = (
    "#[Histogram log format version 1.3]\n"
    "#[StartTime: 1434000000.456 (seconds since epoch), Thu Jun 11 05:20:00 UTC 2015]\n"
    "#[BaseTime: 1434000000.456 (seconds since epoch)]\n"
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n'
    f"Tag=a,0.000,1.000,0.100,{encode_line(_COUNTS, version=2, digits=3)}\n"
    '#{"event":"interval","tag":"a"}\n'
    f"1.000,1.000,0.100,{encode_line(_COUNTS, version=1, word_size=4, digits=2, highest=10**6)}\n"
    f"Tag=b,2.000,1.000,0.100,{encode_line(_COUNTS, version=0, word_size=8, digits=1, lowest=7)}\n"
)
PLAIN_ENCODINGS = [
    encode(_COUNTS, version=2, digits=3, compressed=False),
    encode(_COUNTS, version=1, word_size=2, digits=2, compressed=False),
    encode(_COUNTS, version=0, word_size=8, digits=3, compressed=False),
]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_everything(path: Path) -> None:
    """What a replay does with a log: every line parsed, every histogram decoded, in a batch and one by one."""
    with contextlib.suppress(HistogramFormatError):
        entries = list(read_hlog(path))
        decode_entries(entries)
        for entry in entries:
            if entry.counts().significant_figures:  # HdrHistogram_py holds 1 to 5 digits
                _ = entry.histogram()


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes flipped, cut out, put in, or the end cut off."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "delete" and out:
            del out[at : at + draw(st.integers(1, 8))]
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del out[at:]
    return bytes(out)


def test_the_valid_log_reads() -> None:
    """The seed of the mutations is itself valid, so that mutating it explores near-valid logs."""
    entries = list(read_hlog(VALID_LOG.splitlines()))
    assert [e.tag for e in entries] == ["a", None, "b"]
    assert all(e.counts().total_count == sum(_COUNTS) for e in entries)
    assert [e.histogram().total_count for e in entries] == [sum(_COUNTS)] * 3  # V2, V1 and V0 alike


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.hlog"
    path.write_bytes(data)
    read_everything(path)


@FUZZ
@given(mutations(VALID_LOG.encode()))
def test_mutated_logs(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "mutated.hlog"
    path.write_bytes(data)
    read_everything(path)
    # And all a headless replay works out from it (nothing is written).
    with contextlib.suppress(HistogramFormatError):
        replay_log(path)


@FUZZ
@given(st.sampled_from(PLAIN_ENCODINGS).flatmap(mutations), st.booleans())
def test_mutated_histograms_behind_valid_base64(tmp_path: Path, data: bytes, compress: bool) -> None:
    """Mutations of the binary encoding itself (headers, varints, words), so the fuzzing gets past base64 and zlib."""
    if compress:
        deflated = zlib.compress(data)
        cookie = int.from_bytes(data[:4].ljust(4, b"\0"), "big") + 1
        data = (cookie & 0xFFFFFFFF).to_bytes(4, "big") + len(deflated).to_bytes(4, "big") + deflated
    path = tmp_path / "mutated.hlog"
    path.write_text(f"Tag=x,0.000,1.000,0.100,{base64.b64encode(data).decode()}\n")
    read_everything(path)
    with contextlib.suppress(HistogramFormatError):
        decode_bytes(data)


@pytest.mark.parametrize("cut", [10, 200, len(VALID_LOG) // 2, len(VALID_LOG) - 5])
def test_logs_cut_anywhere(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.hlog"
    path.write_text(VALID_LOG[:cut])
    read_everything(path)
