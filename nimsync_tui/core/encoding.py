"""Decoding every histogram encoding the Java reference (HdrHistogram 2.1.11) decodes, with numpy.

An encoded histogram starts with a 32-bit big-endian cookie. With the bits
under ``0xf0`` masked off it names the format; the compressed form's cookie is
the plain one's plus 1, followed by the deflated length and a zlib stream of the
plain form. All numbers are big-endian.

- V0 (HdrHistogram 1.x), cookie ``0x1c849308`` (compressed ``0x1c849309``): cookie,
  digits i32, lowest i64, highest i64, total count i64 (32 bytes); then one count
  per index, ``word size`` bytes each, to the end.
- V1 (2.0 to 2.1.6), cookie ``0x1c849301`` (compressed ``0x1c849302``): cookie,
  payload length i32, normalizing offset i32, digits i32, lowest i64, highest i64,
  integer-to-double ratio f64 (40 bytes); then ``payload length`` bytes of counts,
  ``word size`` bytes each.
- V2 (2.1.7 on, late 2015), cookie ``0x1c849303`` (compressed ``0x1c849304``; Java sets ``0x10``):
  V1's header; counts as ZigZag LEB128 varints of at most 9 bytes (the 9th keeps
  all 8 bits), a negative number -n standing for n zero counts.

The V0/V1 word size is ``(cookie & 0xe0) >> 4``: 2, 4 or 8 bytes. Counts are in
index order whatever the normalizing offset (Java writes them through its
normalized accessor). HdrHistogram_py reads only V2; a log line holds the
compressed form in base64. DoubleHistogram encodings (``0x0c72124e``/``f``) hold
no integer values and are refused by name.
"""

from __future__ import annotations

import binascii
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import HistogramFormatError
from .counts import CountsHistogram, HistogramLayout, SparseCounts

__all__ = ["EncodedHistogramError", "check_bounds", "decode_base64", "decode_bytes", "decode_many"]

_V0, _V0_COMPRESSED = 0x1C849308, 0x1C849309
_V1, _V1_COMPRESSED = 0x1C849301, 0x1C849302
_V2, _V2_COMPRESSED = 0x1C849303, 0x1C849304
_DOUBLE_HISTOGRAM = (0x0C72124E, 0x0C72124F)
_V0_HEADER = struct.Struct(">iiqqq")  # cookie, digits, lowest, highest, total count
_V1_HEADER = struct.Struct(">iiiiqqd")  # cookie, payload length, offset, digits, lowest, highest, ratio
_NAMES = {_V0: "V0", _V1: "V1", _V2: "V2"}
_WORD_TYPES: dict[int, np.dtype[np.signedinteger]] = {2: np.dtype(">i2"), 4: np.dtype(">i4"), 8: np.dtype(">i8")}
_INT32_MAX = 2**31 - 1
_ONE_BYTE_ZIGZAG = np.array([(v >> 1) ^ -(v & 1) for v in range(128)], dtype=np.int64)
"""The ZigZag number each one-byte varint stands for."""
_ONE_BYTE_ADVANCE = np.maximum(-_ONE_BYTE_ZIGZAG, 1)
"""How many counts each one-byte varint stands for: 1, or the length of its run of zeros."""


class EncodedHistogramError(HistogramFormatError):
    """An encoded histogram that cannot be read; :attr:`position` says which of a batch."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position
        """Index of the bad histogram in the sequence given to :func:`decode_many`."""


def decode_base64(text: str | bytes) -> CountsHistogram:
    """Decode a log line's histogram field (base64 of an encoding, compressed as a rule)."""
    return decode_many([text])[0].dense()


def decode_bytes(data: bytes) -> CountsHistogram:
    """Decode an encoded histogram (not base64), compressed or plain, of format V0, V1 or V2."""
    return _decode_all([data])[0].dense()


def check_bounds(text: str | bytes) -> None:
    """Raise :class:`HistogramFormatError` unless the encoding inflates within what its header's layout allows.

    For decoders that inflate without a limit (HdrHistogram_py's): a few hundred
    kilobytes of zlib must not become gigabytes of zero counts there either.
    """
    _plain(_unbase64(text, 0))


_BATCH = 64
"""Histograms decoded per numpy pass: enough to amortise numpy's per-call cost, few enough to stay in cache."""


def decode_many(texts: Sequence[str | bytes]) -> list[SparseCounts]:
    """Decode many base64 encoded histograms, the V2 varints of each batch of them in one numpy pass.

    Raises :class:`EncodedHistogramError` for the first one that cannot be read.
    """
    result: list[SparseCounts] = []
    for first in range(0, len(texts), _BATCH):
        batch = [_unbase64(text, first + k) for k, text in enumerate(texts[first : first + _BATCH])]
        try:
            result += _decode_all(batch)
        except EncodedHistogramError as error:
            raise EncodedHistogramError(str(error), first + error.position) from None
    return result


def _unbase64(text: str | bytes, position: int) -> bytes:
    text = text.strip()
    if not text:
        raise EncodedHistogramError("empty encoded histogram", position)
    if isinstance(text, str):
        if not text.isascii():
            raise EncodedHistogramError("encoded histogram is not base64 (non-ASCII character)", position)
        text = text.encode("ascii")
    if len(text) % 4:  # Java's decoder allows the padding to be left off
        text += b"=" * (-len(text) % 4)
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error as error:
        raise EncodedHistogramError(f"encoded histogram is not base64 ({error})", position) from None


@dataclass(frozen=True, slots=True)
class _Plain:
    """A plain encoding's header facts and payload, counts not yet decoded."""

    version: str
    word_size: int
    layout: HistogramLayout
    payload: bytes


def _decode_all(encodings: Sequence[bytes]) -> list[SparseCounts]:
    plains = []
    for position, data in enumerate(encodings):
        try:
            plains.append(_plain(data))
        except HistogramFormatError as error:
            raise EncodedHistogramError(str(error), position) from None
    result: list[SparseCounts | None] = [None] * len(plains)
    varint_positions = []
    for position, plain in enumerate(plains):
        if plain.version == "V2":
            varint_positions.append(position)
            continue
        try:
            result[position] = _sparse(plain.layout, _word_counts(plain))
        except HistogramFormatError as error:
            raise EncodedHistogramError(str(error), position) from None
    if varint_positions:
        decoded = _varint_batch([plains[p] for p in varint_positions])
        for k, position in enumerate(varint_positions):
            if isinstance(decoded[k], HistogramFormatError):
                raise EncodedHistogramError(str(decoded[k]), position)
            result[position] = decoded[k]  # type: ignore[assignment]
    return result  # type: ignore[return-value]


def _cookie(data: bytes) -> int:
    if len(data) < 4:
        raise HistogramFormatError(f"encoded histogram of {len(data)} bytes has no cookie")
    return int.from_bytes(data[:4], "big")


def _plain(data: bytes) -> _Plain:
    """Unwrap a compressed encoding, read the header of the plain one."""
    cookie = _cookie(data)
    base = cookie & ~0xF0
    if base in (_V0_COMPRESSED, _V1_COMPRESSED, _V2_COMPRESSED):
        return _inflated(data, _NAMES[base - 1])
    if base not in _NAMES:
        if cookie in _DOUBLE_HISTOGRAM:
            raise HistogramFormatError(f"cookie 0x{cookie:08x} is a DoubleHistogram; only integer histograms are read")
        raise HistogramFormatError(f"unknown cookie 0x{cookie:08x} (not an HdrHistogram V0, V1 or V2 encoding)")
    header = _header(data, _NAMES[base])
    payload = data[header.size :]
    if header.length is not None:
        payload = payload[: header.length]
        if len(payload) < header.length:
            raise HistogramFormatError(
                f"{header.version} payload of {header.length} bytes is cut short at {len(payload)}"
            )
    return _Plain(header.version, header.word_size, header.layout, payload)


@dataclass(frozen=True, slots=True)
class _Header:
    """What a plain encoding's header says: enough to know how long its payload may be."""

    version: str
    size: int
    word_size: int
    layout: HistogramLayout
    length: int | None
    """V1 and V2: the payload length the header states; V0: ``None`` (its payload runs to the end)."""

    @property
    def most_payload(self) -> int:
        """The longest payload the layout allows: a word, or a 9-byte varint, per count."""
        return self.layout.counts_len * self.word_size


def _header(data: bytes, version: str) -> _Header:
    cookie = _cookie(data)
    if version == "V0":
        if len(data) < _V0_HEADER.size:
            raise HistogramFormatError(f"V0 histogram of {len(data)} bytes ends inside its 32-byte header")
        _, digits, lowest, highest, _total = _V0_HEADER.unpack_from(data)
        length, size = None, _V0_HEADER.size
    else:
        if len(data) < _V1_HEADER.size:
            raise HistogramFormatError(f"{version} histogram of {len(data)} bytes ends inside its 40-byte header")
        _, length, _offset, digits, lowest, highest, _ratio = _V1_HEADER.unpack_from(data)
        size = _V1_HEADER.size
        if length < 0:
            raise HistogramFormatError(f"{version} payload of {length} bytes is cut short at 0")
    word_size = 9 if version == "V2" else ((cookie & 0xF0) >> 4) & 0xE
    if word_size not in _WORD_TYPES and version != "V2":
        raise HistogramFormatError(f"{version} word size {word_size} (Java reads 2, 4 or 8 bytes)")
    header = _Header(version, size, word_size, _layout(lowest, highest, digits), length)
    if length is not None and length > header.most_payload:
        raise HistogramFormatError(
            f"{version} payload of {length} bytes is longer than its layout allows ({header.most_payload} bytes)"
        )
    return header


def _inflated(data: bytes, wrapper: str) -> _Plain:
    """A compressed encoding's plain form, inflated no further than its header's layout allows.

    A few hundred kilobytes of zlib can inflate to gigabytes of zero counts: the
    header is inflated first, and the payload only up to the length its layout
    (or its stated length) allows.
    """
    if len(data) < 8:
        raise HistogramFormatError(f"encoded histogram of {len(data)} bytes ends inside its header")
    (length,) = struct.unpack_from(">i", data, 4)
    if not 0 <= length <= len(data) - 8:
        raise HistogramFormatError(f"compressed length {length} does not fit the {len(data) - 8} bytes present")
    inflater = zlib.decompressobj()
    header_size = _V0_HEADER.size if wrapper == "V0" else _V1_HEADER.size
    try:
        # Like Java's Inflater, take what the stream gives and judge it by the lengths below.
        head = inflater.decompress(data[8 : 8 + length], header_size)
        inner = _cookie(head) & ~0xF0
        # The wrapper fixes the header size: V0's is 32 bytes, V1's and V2's 40.
        if inner not in _NAMES or (inner == _V0) != (wrapper == "V0"):
            raise HistogramFormatError(
                f"compressed {wrapper} histogram holds cookie 0x{_cookie(head):08x}, not a plain {wrapper} one"
            )
        header = _header(head, _NAMES[inner])
        wanted = header.most_payload if header.length is None else header.length
        payload = inflater.decompress(inflater.unconsumed_tail, wanted + 1)
    except zlib.error as error:
        raise HistogramFormatError(f"corrupt compressed histogram (zlib: {error})") from None
    if header.length is None and len(payload) > wanted:
        raise HistogramFormatError(
            f"V0 payload is longer than its layout allows ({wanted} bytes: "
            f"{header.layout.counts_len} counts of {header.word_size} bytes)"
        )
    if header.length is not None:
        if len(payload) < header.length:
            raise HistogramFormatError(
                f"{header.version} payload of {header.length} bytes is cut short at {len(payload)}"
            )
        payload = payload[: header.length]
    return _Plain(header.version, header.word_size, header.layout, payload)


@lru_cache(maxsize=64)
def _layout(lowest: int, highest: int, digits: int) -> HistogramLayout:
    # Every interval of a log has the same few layouts: derive each once.
    return HistogramLayout(lowest, highest, digits)


def _sparse(layout: HistogramLayout, counts: np.ndarray) -> SparseCounts:
    """Non-zero counts of a dense array, checked against the layout's length."""
    indexes = np.flatnonzero(counts)
    if indexes.size and indexes[-1] >= layout.counts_len:
        raise HistogramFormatError(f"histogram holds counts past the {layout.counts_len} its header allows")
    values = counts[indexes]
    if values.size and float(values.sum(dtype=np.float64)) >= 2.0**63:
        raise HistogramFormatError("histogram counts add up past 2**63")
    return SparseCounts(layout, indexes, values)


def _word_counts(plain: _Plain) -> np.ndarray:
    """V0 and V1: fixed-size big-endian counts."""
    version, word_size, payload = plain.version, plain.word_size, plain.payload
    if len(payload) % word_size:
        raise HistogramFormatError(f"{version} payload of {len(payload)} bytes is not whole {word_size}-byte counts")
    counts: np.ndarray = np.frombuffer(payload, dtype=_WORD_TYPES[word_size]).astype(np.int64)
    if counts.size and int(counts.min()) < 0:
        raise HistogramFormatError(f"{version} histogram holds a negative count")
    return counts


def _varint_batch(plains: Sequence[_Plain]) -> list[SparseCounts | HistogramFormatError]:
    """V2: ZigZag LEB128 varints (a negative number -n standing for n zero counts), all payloads in one pass."""
    raw = np.frombuffer(b"".join(p.payload for p in plains), dtype=np.uint8)
    sizes = np.array([len(p.payload) for p in plains], dtype=np.int64)
    offsets = np.zeros(len(plains) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    if not raw.size:
        return [SparseCounts(p.layout, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)) for p in plains]
    ends = np.flatnonzero(raw < 0x80)
    continuation = np.flatnonzero(raw >= 0x80) if ends.size < raw.size else ends[:0]
    # A 9-byte varint keeps all 8 bits of its last byte, so the byte scan cannot tell where it
    # ends; neither can it split a payload that ends inside a varint. Those go one by one.
    last_byte = raw[np.maximum(offsets[1:] - 1, 0)] if raw.size else np.zeros(len(plains), dtype=np.uint8)
    odd = (sizes > 0) & (last_byte >= 0x80)
    owner = np.searchsorted(ends, continuation)
    # No varint end at all: every payload that has bytes ends inside a varint, and is already odd.
    if continuation.size and ends.size:
        # Continuation bytes come in order, so each varint's are one run of equal owners.
        first_byte = np.flatnonzero(np.diff(owner, prepend=-1))
        multi = owner[first_byte]
        multi_start = continuation[first_byte]
        multi_length = ends[np.minimum(multi, ends.size - 1)] - multi_start + 1
        long_varint = multi_start[(multi >= ends.size) | (multi_length > 8)]
        odd[np.searchsorted(offsets, long_varint, side="right") - 1] = True
    if odd.any():
        kept = np.flatnonzero(~odd)
        regular = iter(_varint_batch([plains[int(k)] for k in kept]) if kept.size else [])
        return [_varints_one_by_one(plain) if odd[k] else next(regular) for k, plain in enumerate(plains)]

    # Most varints are one byte: a table gives those; the few longer ones are computed apart.
    # take() rather than fancy indexing: numpy's fast path, about twice as quick here.
    last_bytes = raw.take(ends)
    zigzag = _ONE_BYTE_ZIGZAG.take(last_bytes)
    advance = _ONE_BYTE_ADVANCE.take(last_bytes)
    if continuation.size:
        shift = 7 * (continuation - np.repeat(multi_start, np.diff(first_byte, append=continuation.size)))
        low_bits = np.add.reduceat((raw[continuation] & 0x7F).astype(np.int64) << shift, first_byte)
        # Only a 9-byte varint reaches bit 63, and those went one by one: int64 holds every value.
        values = (raw[ends[multi]].astype(np.int64) << (7 * (multi_length - 1))) | low_bits
        zigzag[multi] = (values >> 1) ^ -(values & 1)
        advance[multi] = np.maximum(-zigzag[multi], 1)
    tokens = np.diff(np.searchsorted(ends, offsets))
    # Tokens come payload by payload; each one's index restarts at 0 with its payload.
    running = np.cumsum(advance)
    first = np.cumsum(tokens) - tokens
    has = tokens > 0
    before = np.zeros(len(plains), dtype=np.int64)
    before[has] = running[first[has]] - advance[first[has]]
    filled = np.zeros(len(plains), dtype=np.int64)
    filled[has] = running[first[has] + tokens[has] - 1] - before[has]
    index = running - advance
    index -= np.repeat(before, tokens)
    counted = zigzag > 0
    shortest_run = np.zeros(len(plains), dtype=np.int64)
    if first[has].size:
        shortest_run[has] = np.minimum.reduceat(zigzag, first[has])
    counted_per_payload = np.zeros(len(plains), dtype=np.int64)
    if first[has].size:
        counted_per_payload[has] = np.add.reduceat(counted, first[has])
    bounds = np.zeros(len(plains) + 1, dtype=np.int64)
    np.cumsum(counted_per_payload, out=bounds[1:])
    kept = np.flatnonzero(counted)
    all_indexes, all_counts = index.take(kept), zigzag.take(kept)
    # Slicing views one by one: np.split costs ten times as much per piece.
    token_indexes = [all_indexes[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)]
    token_counts = [all_counts[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)]
    out: list[SparseCounts | HistogramFormatError] = []
    for k, plain in enumerate(plains):
        if shortest_run[k] < -_INT32_MAX:
            out.append(HistogramFormatError("V2 histogram holds a run of more than 2**31 zero counts"))
        elif filled[k] > plain.layout.counts_len:
            out.append(
                HistogramFormatError(
                    f"V2 histogram fills {filled[k]} counts; its header allows {plain.layout.counts_len}"
                )
            )
        elif token_counts[k].size and float(token_counts[k].sum(dtype=np.float64)) >= 2.0**63:
            out.append(HistogramFormatError("histogram counts add up past 2**63"))
        else:
            out.append(SparseCounts(plain.layout, token_indexes[k], token_counts[k]))
    return out


def _varints_one_by_one(plain: _Plain) -> SparseCounts | HistogramFormatError:
    """Java's ``ZigZagEncoding.getLong`` loop, for the rare payloads the vector pass cannot split."""
    payload = plain.payload
    counts: list[int] = []
    position = 0
    while position < len(payload):
        value = 0
        for shift in range(0, 64, 7):
            if position >= len(payload):
                return HistogramFormatError("V2 histogram payload ends inside a varint")
            byte = payload[position]
            position += 1
            if shift == 56:  # the 9th byte: all 8 bits
                value |= byte << 56
                break
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
        number = (value >> 1) ^ -(value & 1)
        if number < -_INT32_MAX:
            return HistogramFormatError("V2 histogram holds a run of more than 2**31 zero counts")
        filled = len(counts) + (-number if number < 0 else 1)
        if filled > plain.layout.counts_len:
            return HistogramFormatError(
                f"V2 histogram fills {filled} counts; its header allows {plain.layout.counts_len}"
            )
        counts.extend([0] * -number if number < 0 else [number])
    try:
        return _sparse(plain.layout, np.array(counts, dtype=np.int64))
    except HistogramFormatError as error:
        return error
