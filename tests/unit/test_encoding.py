"""The numpy decoder against HdrHistogram_py's decode, and the encodings the library cannot read."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from hdrh.codec import HdrCookieException
from hdrh.histogram import HdrHistogram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nimsync_tui.core.counts import HistogramLayout, merge
from nimsync_tui.core.encoding import EncodedHistogramError, decode_base64, decode_bytes, decode_many
from nimsync_tui.core.histogram import counts_view, decode_histogram, summarize
from nimsync_tui.errors import HistogramFormatError
from tests.hdr_encoders import encode, encode_line, zigzag_varint

DIGITS = st.integers(1, 5)


@st.composite
def library_histograms(draw: st.DrawFn) -> HdrHistogram:
    """A library histogram of a random layout holding random values (0 included, the top of the range too)."""
    lowest = draw(st.sampled_from([1, 2, 3, 1000, 1024, 10**6]))
    highest = lowest * draw(st.sampled_from([2, 3, 1000, 10**6, 10**9]))
    hist = HdrHistogram(lowest, highest, draw(DIGITS))
    top = hist.get_highest_equivalent_value(hist.get_value_from_index(hist.counts_len - 1))
    values = draw(st.lists(st.one_of(st.integers(0, top), st.integers(0, 5000)), max_size=60))
    for value in values:
        hist.record_value(value, draw(st.integers(1, 2**40)) if draw(st.booleans()) else 1)
    return hist


def library_decode(encoded: bytes) -> HdrHistogram:
    return HdrHistogram.decode(encoded)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(library_histograms(), min_size=1, max_size=6))
def test_numpy_decoder_gives_the_librarys_counts(hists: list[HdrHistogram]) -> None:
    encoded = [h.encode() for h in hists]
    batch = decode_many(encoded)
    for text, sparse in zip(encoded, batch, strict=True):
        lib = library_decode(text)
        ours = decode_base64(text)
        expected = counts_view(lib)
        assert ours.counts.tolist() == expected[: ours.counts.size].tolist()
        assert not expected[ours.counts.size :].any()
        assert sparse.indexes.tolist() == np.flatnonzero(expected).tolist()
        assert sparse.counts.tolist() == expected[np.flatnonzero(expected)].tolist()
        assert (ours.layout.counts_len, ours.bucket_count, ours.sub_bucket_count) == (
            lib.counts_len,
            lib.bucket_count,
            lib.sub_bucket_count,
        )
        as_library = decode_histogram(text)
        assert (as_library.total_count, as_library.get_min_value(), as_library.get_max_value()) == (
            lib.total_count,
            lib.get_min_value(),
            lib.get_max_value(),
        )
        assert summarize(ours) == summarize(lib)


@given(
    st.integers(1, 10**9),
    st.integers(2, 10**9),
    DIGITS,
)
def test_layout_is_the_librarys_for_the_precisions_it_supports(lowest: int, factor: int, digits: int) -> None:
    ours = HistogramLayout(lowest, lowest * factor, digits)
    lib = HdrHistogram(lowest, lowest * factor, digits)
    assert (ours.unit_magnitude, ours.sub_bucket_half_count_magnitude, ours.bucket_count, ours.counts_len) == (
        lib.unit_magnitude,
        lib.sub_bucket_half_count_magnitude,
        lib.bucket_count,
        lib.counts_len,
    )
    indexes = np.arange(0, ours.counts_len, max(1, ours.counts_len // 500))
    values = ours.lowest_values(indexes)
    assert values.tolist() == [lib.get_value_from_index(int(i)) for i in indexes]
    assert ours.indexes_of(values).tolist() == indexes.tolist()
    assert ours.highest_value(int(indexes[-1])) == lib.get_highest_equivalent_value(int(values[-1]))


counts_lists = st.lists(st.integers(0, 30_000), min_size=1, max_size=300)


@given(counts_lists, st.sampled_from([(0, 8), (1, 2), (1, 4), (1, 8), (2, 9)]), st.booleans())
def test_every_encoding_round_trips(counts: list[int], encoding: tuple[int, int], compressed: bool) -> None:
    version, word_size = encoding
    data = encode(counts, version=version, word_size=word_size, compressed=compressed, digits=2, highest=10**9)
    decoded = decode_bytes(data)
    last = max((i for i, c in enumerate(counts) if c), default=-1)
    assert decoded.counts.tolist() == counts[: last + 1]
    assert decoded.total_count == sum(counts)


def test_nine_byte_varints_keep_all_64_bits() -> None:
    """Java's 9th varint byte holds 8 bits; such payloads go one by one, the others of the batch still in numpy."""
    huge = 2**62 + 12345  # ZigZag sets bit 63: the top bit of the 9th byte
    assert len(zigzag_varint(huge)) == 9
    odd = encode_line([0, 5, huge, 0, 0, 7], version=2, digits=2, highest=10**6)
    normal = encode_line([1, 2, 3], version=2, digits=2, highest=10**6)
    first, second, third = decode_many([normal, odd, normal])
    assert second.counts.tolist() == [5, huge, 7]
    assert second.indexes.tolist() == [1, 2, 5]
    assert first.counts.tolist() == third.counts.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x1c\x84\x93", "has no cookie"),
        (bytes.fromhex("0c72124f00000000"), "0x0c72124f is a DoubleHistogram"),
        (bytes.fromhex("1c84932000000000"), "unknown cookie 0x1c849320"),
        (bytes.fromhex("1c84931400000064") + b"x" * 10, "compressed length 100 does not fit the 10 bytes"),
        (bytes.fromhex("1c84931400000004") + b"junk", "corrupt compressed histogram"),
        (encode([1, 2], version=1, word_size=6, compressed=False), "word size 6"),
        (encode([1, -2], version=1, word_size=8, compressed=False), "negative count"),
        (encode([1, 2], version=2, compressed=False)[:-1], "payload of 2 bytes is cut short at 1"),
        (encode([0] * 50 + [1], version=2, compressed=False, digits=1, highest=10), "fills 51 counts; .* allows 32"),
        (encode([1] + [0] * 50, version=2, compressed=False, digits=1, highest=10), "fills 51 counts; .* allows 32"),
        (encode([1, 2], version=1, word_size=8, compressed=False)[:-3], "cut short"),
        (encode([1], version=0, compressed=False)[:20], "ends inside its 32-byte header"),
        (encode([1], version=2, compressed=False, highest=1), "highest trackable value 1 is below twice"),
        (encode([1], version=2, compressed=False, digits=6), "6 significant digits"),
    ],
)
def test_what_java_would_refuse_is_one_format_error(data: bytes, message: str) -> None:
    with pytest.raises(HistogramFormatError, match=message):
        decode_bytes(data)
    with pytest.raises(EncodedHistogramError, match=message) as raised:
        decode_many([base64.b64encode(data).decode()] * 2)
    assert raised.value.position == 0


def test_zero_runs_past_the_counts_array_are_refused_in_a_batch() -> None:
    fine = encode_line([1, 2, 3], version=2, digits=1, highest=10)
    too_long = encode_line([1] + [0] * 100 + [1], version=2, digits=1, highest=10)
    with pytest.raises(EncodedHistogramError, match="fills 102 counts; its header allows") as raised:
        decode_many([fine, fine, too_long, fine])
    assert raised.value.position == 2


def test_merge_adds_other_layouts_by_value_as_the_library_does() -> None:
    """The library's add records each index's lowest value where layouts differ; Java's does the same."""
    rng = np.random.default_rng(7)
    coarse = HdrHistogram(1000, 10**10, 2)
    fine = HdrHistogram(1, 10**10, 4)
    for value in rng.lognormal(12, 2, 3000).astype(np.int64):
        coarse.record_value(int(value) + 1000)
        fine.record_value(int(value))
    expected = HdrHistogram(1, 10**10, 3)
    expected.add(coarse)
    expected.add(fine)
    parts = decode_many([coarse.encode(), fine.encode()])
    merged = merge(HistogramLayout(1, 10**10, 3), parts)
    assert merged.counts.tolist() == counts_view(expected)[: merged.counts.size].tolist()
    assert merged.total_count == expected.total_count


def test_merge_grows_the_layout_to_the_largest_value() -> None:
    small = decode_many([encode_line([0, 1], version=2, digits=1, highest=64)])[0]
    large = decode_many([encode_line([0] * 400 + [3], version=2, digits=1, highest=10**9)])[0]
    merged = merge(small.layout, [small, large])
    assert merged.layout.bucket_count == small.layout.buckets_to_cover(large.layout.highest_value(400))
    assert merged.layout.bucket_count > small.layout.bucket_count
    assert merged.counts[1] == 1 and merged.counts[400] == 3 and merged.total_count == 4


@pytest.mark.parametrize("version", [0, 1])
def test_old_encodings_become_library_histograms_too(version: int) -> None:
    """The library's decoder calls V0/V1 corrupt; ``decode_histogram`` reads them through ours."""
    counts = [0, 3, 0, 0, 7, 1]
    line = encode_line(counts, version=version, digits=2, highest=10**6)
    with pytest.raises(HdrCookieException):
        HdrHistogram.decode(line)
    hist = decode_histogram(line)
    assert counts_view(hist)[:6].tolist() == counts and hist.total_count == 11
    assert (hist.get_min_value(), hist.get_max_value()) == (1, 5)
