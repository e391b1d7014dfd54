"""Replay speed: decoding interval histograms, HdrHistogram_py against our numpy decoder, side by side.

Prints figures, asserts nothing; each figure is the median of ``--repeat`` runs.
Results are checked equal before they are timed.

    python benchmarks/replay_speed.py [--intervals 10000] [--repeat 3]

Per interval: the library's ``HdrHistogram.decode`` against ours one at a time
(``decode_base64``) and in batches (``decode_many``). For a generated log of
``--intervals`` intervals, two tags: the library's way (its
``HistogramLogReader``, one ``add`` per interval), ours (``read_hlog`` then
``decode_entries`` and ``merge`` per tag), and what a replay needs before
its first frame (``read_hlog`` and the first interval decoded).
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

# Runnable as a plain script from a checkout, without installing the package.
from nimsync_tui.core.counts import merge
from nimsync_tui.core.encoding import decode_base64, decode_many
from nimsync_tui.core.histogram import counts_view, new_histogram, record_values
from nimsync_tui.core.hlog import HlogWriter, decode_entries, read_hlog

COMMAND = "python benchmarks/replay_speed.py"
TAGS = ("pingpong-latency", "spsc-throughput")


def paired_medians(repeat: int, library: Callable[[], object], ours: Callable[[], object]) -> tuple[float, float]:
    """Median wall times (s) of ``repeat`` calls of each, taken in turns so that both see the same load."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, kept in ((library, times[0]), (ours, times[1])):
            gc.collect()
            start = time.perf_counter()
            run()
            kept.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def interval_histograms(n: int, samples: int) -> list[HdrHistogram]:
    """Latency-like intervals: a lognormal body around 8 µs with a long tail, drifting a little."""
    rng = np.random.default_rng(42)
    hists = []
    for i in range(n):
        hist = new_histogram()
        record_values(hist, rng.lognormal(9 + 0.2 * np.sin(i / 50), 0.8, samples).astype(np.int64))
        hists.append(hist)
    return hists


def write_log(path: Path, hists: list[HdrHistogram]) -> None:
    out = io.StringIO()
    writer = HlogWriter(out)
    writer.write_header(1_795_766_400.123)
    for i, hist in enumerate(hists):
        writer.write_interval(TAGS[i % 2], float(i), 1.0, hist)
    path.write_text(out.getvalue())


def library_merge(path: Path) -> dict[str, HdrHistogram]:
    reader = HistogramLogReader(str(path), new_histogram())
    merged: dict[str, HdrHistogram] = {}
    while (hist := reader.get_next_interval_histogram()) is not None:
        merged.setdefault(hist.get_tag(), new_histogram()).add(hist)
    reader.close()
    return merged


def our_merge(path: Path) -> dict[str | None, np.ndarray]:
    entries = list(read_hlog(path))
    decoded = decode_entries(entries)
    merged = {}
    for tag in TAGS:
        parts = [d for e, d in zip(entries, decoded, strict=True) if e.tag == tag]
        merged[tag] = merge(parts[0].layout, parts).counts
    return merged


def first_frame(path: Path) -> object:
    reader = read_hlog(path)
    entries = list(reader)
    return entries[0].counts()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=2_000, help="values recorded per interval")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.intervals, args.repeat

    hists = interval_histograms(n, args.samples)
    encoded = [h.encode() for h in hists]
    sample = encoded[: min(500, n)]
    for text in sample[:50]:
        ours = decode_base64(text).counts
        assert ours.tolist() == counts_view(HdrHistogram.decode(text))[: ours.size].tolist()

    per = len(sample)
    lib_one, ours_one = paired_medians(
        repeat, lambda: [HdrHistogram.decode(t) for t in sample], lambda: [decode_base64(t) for t in sample]
    )
    _, ours_batch = paired_medians(repeat, lambda: None, lambda: decode_many(sample))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.hlog"
        write_log(path, hists)
        lib_merged = library_merge(path)
        ours_merged = our_merge(path)
        for tag in TAGS:
            expected = counts_view(lib_merged[tag])
            assert ours_merged[tag].tolist() == expected[: ours_merged[tag].size].tolist()
        size_mb = path.stat().st_size / 1e6
        lib_log, ours_log = paired_medians(repeat, lambda: library_merge(path), lambda: our_merge(path))
        _, frame = paired_medians(repeat, lambda: None, lambda: first_frame(path))

    print(f"replay benchmark, {n:,} intervals of {args.samples:,} lognormal values, median of {repeat}; reproduce:")
    print(f"    {COMMAND} --intervals {n} --samples {args.samples} --repeat {repeat}")
    print()
    print(f"{'':44} {'HdrHistogram_py':>16} {'nimsync_tui':>12} {'ratio':>8}")
    lib_us, ours_us, batch_us = (t / per * 1e6 for t in (lib_one, ours_one, ours_batch))
    print(f"{'decode one interval, µs':44} {lib_us:16.1f} {ours_us:12.1f} {lib_us / ours_us:7.2f}x")
    print(f"{'decode in batches, µs per interval':44} {'':16} {batch_us:12.1f} {lib_us / batch_us:7.2f}x")
    print(
        f"{f'read + merge a {n:,}-interval log ({size_mb:.0f} MB), s':44} "
        f"{lib_log:16.2f} {ours_log:12.2f} {lib_log / ours_log:7.2f}x"
    )
    print(f"{'open it: read + first interval decoded, s':44} {'':16} {frame:12.2f}")


if __name__ == "__main__":
    main()
