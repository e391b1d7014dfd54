"""A test-side encoder for HdrHistogram's V0, V1 and V2 encodings, written from the format description.

It makes the 2015-era V0/V1 lines no library writes any more, and V2 lines with
edge cases (9-byte varints) the library never writes. Tests prove what it
writes with the Java reference: ``HistogramLogProcessor`` reads it.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence

V0_COOKIE_BASE = 0x1C849308
V1_COOKIE_BASE = 0x1C849301
V2_COOKIE = 0x1C849313  # V2 base 0x1c849303 with the 0x10 flag Java sets


def zigzag_varint(number: int) -> bytes:
    """ZigZag LEB128 as Java's ``ZigZagEncoding.putLong``: at most 9 bytes, the 9th with all 8 bits."""
    value = ((number << 1) ^ (number >> 63)) & (2**64 - 1)
    out = bytearray()
    for _ in range(8):
        if value < 0x80:
            out.append(value)
            return bytes(out)
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)  # 9th byte: the remaining 8 bits
    return bytes(out)


def v2_payload(counts: Sequence[int]) -> bytes:
    """Counts as V2 varints, runs of zeros as one negative number (as Java's ``fillBufferFromCountsArray``)."""
    out = bytearray()
    i = 0
    while i < len(counts):
        if counts[i] == 0:
            run = 1
            while i + run < len(counts) and counts[i + run] == 0:
                run += 1
            out += zigzag_varint(-run if run > 1 else 0)
            i += run
        else:
            out += zigzag_varint(counts[i])
            i += 1
    return bytes(out)


def encode(
    counts: Sequence[int],
    *,
    version: int,
    lowest: int = 1,
    highest: int = 3_600_000_000_000,
    digits: int = 3,
    word_size: int = 8,
    compressed: bool = True,
) -> bytes:
    """An encoded histogram of the given counts (index order, trailing zeros may be left off)."""
    if version == 0:
        words = b"".join(c.to_bytes(word_size, "big", signed=True) for c in counts)
        plain = struct.pack(">iiqqq", V0_COOKIE_BASE + (word_size << 4), digits, lowest, highest, sum(counts)) + words
        header = 32
        cookie = V0_COOKIE_BASE + 1 + (word_size << 4)
    elif version == 1:
        words = b"".join(c.to_bytes(word_size, "big", signed=True) for c in counts)
        plain = struct.pack(">iiiiqqd", V1_COOKIE_BASE + (word_size << 4), len(words), 0, digits, lowest, highest, 1.0)
        plain += words
        header = 40
        cookie = V1_COOKIE_BASE + 1 + (word_size << 4)
    else:
        payload = v2_payload(counts)
        plain = struct.pack(">iiiiqqd", V2_COOKIE, len(payload), 0, digits, lowest, highest, 1.0) + payload
        header = 40
        cookie = V2_COOKIE + 1
    assert len(plain) >= header
    if not compressed:
        return plain
    deflated = zlib.compress(plain)
    return struct.pack(">ii", cookie, len(deflated)) + deflated


def encode_line(counts: Sequence[int], **kwargs: int | bool) -> str:
    """The base64 histogram field of a log line."""
    return base64.b64encode(encode(counts, **kwargs)).decode("ascii")  # type: ignore[arg-type]
