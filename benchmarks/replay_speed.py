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


def medians_in_turns(repeat: int, *runs: Callable[[], object]) -> list[tuple[float, float]]:
    """Median (wall, CPU) seconds of ``repeat`` calls of each run, taken in turns so that all see the same load.

    CPU is this process's time: on a shared machine it moves far less with the others' load than wall time does.
    """
    times: list[list[tuple[float, float]]] = [[] for _ in runs]
    for _ in range(repeat):
        for run, kept in zip(runs, times, strict=True):
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            kept.append((time.perf_counter() - wall, time.process_time() - cpu))
    return [(statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for t in times]


def row(label: str, library: tuple[float, float] | None, ours: tuple[float, float], scale: float) -> str:
    """A table row: wall and CPU of each side (times ``scale``), and the CPU ratio."""
    lib = f"{library[0] * scale:9.2f} {library[1] * scale:9.2f}" if library else f"{'':9} {'':9}"
    ratio = f"{library[1] / ours[1]:7.2f}x" if library else ""
    return f"{label:44} {lib}  {ours[0] * scale:9.2f} {ours[1] * scale:9.2f}  {ratio}"


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
    lib_one, ours_one, ours_batch = medians_in_turns(
        repeat,
        lambda: [HdrHistogram.decode(t) for t in sample],
        lambda: [decode_base64(t) for t in sample],
        lambda: decode_many(sample),
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.hlog"
        write_log(path, hists)
        lib_merged = library_merge(path)
        ours_merged = our_merge(path)
        for tag in TAGS:
            expected = counts_view(lib_merged[tag])
            assert ours_merged[tag].tolist() == expected[: ours_merged[tag].size].tolist()
        size_mb = path.stat().st_size / 1e6
        lib_log, ours_log, frame = medians_in_turns(
            repeat, lambda: library_merge(path), lambda: our_merge(path), lambda: first_frame(path)
        )

    print(f"replay benchmark, {n:,} intervals of {args.samples:,} lognormal values, median of {repeat}; reproduce:")
    print(f"    {COMMAND} --intervals {n} --samples {args.samples} --repeat {repeat}")
    print()
    print(f"{'':44} {'HdrHistogram_py':>19}  {'nimsync_tui':>19}  {'ratio':>8}")
    print(f"{'':44} {'wall':>9} {'CPU':>9}  {'wall':>9} {'CPU':>9}  {'(CPU)':>8}")
    print(row("decode one interval, µs", lib_one, ours_one, 1e6 / per))
    print(row("decode in batches, µs per interval", lib_one, ours_batch, 1e6 / per))
    print(row(f"read + merge a {n:,}-interval log ({size_mb:.0f} MB), s", lib_log, ours_log, 1.0))
    print(row("open it: read + first interval decoded, s", None, frame, 1.0))


if __name__ == "__main__":
    main()
