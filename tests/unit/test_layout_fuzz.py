"""Fuzzing the layouts in histogram headers (issue 16): whatever lowest, highest, digits, word size and stated
length a header claims, a histogram decodes within what its bytes and its layout allow, or is refused by name.

Memory is traced: a decode keeps counts sparse, so its peak follows the bytes given (and, for a compressed
V0/V1 one, its layout's words), never a dense array of the widest layout (6.2 M counts, 50 MB).
"""

from __future__ import annotations

import base64
import struct
import tracemalloc
import zlib

from hypothesis import example, given, settings
from hypothesis import strategies as st

from nimsync_tui.core.counts import HistogramLayout
from nimsync_tui.core.encoding import decode_many
from nimsync_tui.errors import HistogramFormatError
from tests.hdr_encoders import V0_COOKIE_BASE, V1_COOKIE_BASE, V2_COOKIE, zigzag_varint

_EDGES = [0, 1, 2, 1000, 2**31 - 1, 2**32, 2**53, 2**62, 2**63 - 2, 2**63 - 1, -1, -(2**63)]
INT64 = st.one_of(st.sampled_from(_EDGES), st.integers(-(2**63), 2**63 - 1))
INT32 = st.one_of(st.sampled_from([0, 1, 40, 2**31 - 1, -1, -(2**31)]), st.integers(-(2**31), 2**31 - 1))
PEAK_BYTES = 16 << 20
"""The most a decode of these few hundred bytes may allocate (a dense widest layout alone is 50 MB)."""


def _mostly(sane: st.SearchStrategy[int], hostile: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    """``sane`` three times in four: a header that is wrong everywhere is refused at its first field."""
    return st.one_of(sane, sane, sane, hostile)


@st.composite
def headers(draw: st.DrawFn) -> bytes:
    """An encoded histogram whose header says anything, over a short payload that may or may not fit it."""
    version = draw(st.sampled_from([0, 1, 2]))
    word_size = draw(_mostly(st.sampled_from([2, 4, 8]), st.sampled_from([0, 1, 3, 16])))
    digits = draw(_mostly(st.integers(0, 5), st.sampled_from([-1, 6, 2**31 - 1])))
    lowest = draw(_mostly(st.integers(1, 10**6), INT64))
    highest = draw(_mostly(st.integers(2, 62).map(lambda bits: 2**bits - 1).filter(lambda h: h >= 2 * lowest), INT64))
    if version == 2:
        # One count at an index that may lie in the layout, at its very end or past it, behind a zero run.
        at = draw(_mostly(st.integers(0, 4000), st.sampled_from([6_160_383, 7_000_000, 2**31, 2**62])))
        payload = (zigzag_varint(-at) if at > 1 else b"\0" * at) + zigzag_varint(draw(st.integers(-5, 2**62)))
    else:
        size = word_size if word_size in (2, 4, 8) else 8
        words = st.lists(st.integers(0, 2 ** (8 * size - 1) - 1), max_size=8)
        as_bytes = words.map(lambda counts: b"".join(n.to_bytes(size, "big") for n in counts))
        payload = draw(st.one_of(as_bytes, as_bytes, as_bytes, st.binary(max_size=64)))
    stated = draw(_mostly(st.just(len(payload)), INT32))
    if version == 0:
        plain = struct.pack(">iiqqq", V0_COOKIE_BASE + (word_size << 4), digits, lowest, highest, 1) + payload
        cookie = V0_COOKIE_BASE + 1 + (word_size << 4)
    elif version == 1:
        plain = struct.pack(">iiiiqqd", V1_COOKIE_BASE + (word_size << 4), stated, 0, digits, lowest, highest, 1.0)
        plain += payload
        cookie = V1_COOKIE_BASE + 1 + (word_size << 4)
    else:
        plain = struct.pack(">iiiiqqd", V2_COOKIE, stated, 0, digits, lowest, highest, 1.0) + payload
        cookie = V2_COOKIE + 1
    if not draw(st.booleans()):
        return plain
    deflated = zlib.compress(plain)
    claimed = draw(_mostly(st.just(len(deflated)), INT32))
    return struct.pack(">ii", cookie, claimed) + deflated


# A V2 payload of one continuation byte (it ends inside its only varint): an IndexError before.
_CUT_VARINT = struct.pack(">iiiiqqd", V2_COOKIE, 1, 0, 2, 1, 2, 1.0) + b"\x81"


@settings(max_examples=300, deadline=None)
@given(headers())
@example(_CUT_VARINT)
def test_any_layout_in_a_header_decodes_within_bounds_or_is_refused(encoded: bytes) -> None:
    tracemalloc.start()
    try:
        try:
            (counts,) = decode_many([base64.b64encode(encoded)])
        except HistogramFormatError:
            return
        finally:
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{peak >> 20} MiB to decode {len(encoded)} bytes"
    layout = counts.layout
    assert layout == HistogramLayout(
        layout.lowest_discernible_value, layout.highest_trackable_value, layout.significant_figures
    )
    assert all(0 <= int(i) < layout.counts_len for i in counts.indexes)
    assert all(int(v) > 0 for v in counts.counts)
