"""Replay speed: decoding interval histograms, HdrHistogram_py against our numpy decoder, side by side.

Prints figures, asserts nothing; each figure is the median of ``--repeat`` runs.
Results are checked equal before they are timed.

    python benchmarks/replay_speed.py [--intervals 10000] [--repeat 3] [--memory-only] [--java]

Per interval: the library's ``HdrHistogram.decode`` against ours one at a time
(``decode_base64``) and in batches (``decode_many``). For a generated log of
``--intervals`` intervals, two tags: the library's way (its
``HistogramLogReader``, one ``add`` per interval), ours (``read_hlog`` then
``decode_entries`` and ``merge`` per tag), and what a replay needs before
its first frame (``read_hlog`` and the first interval decoded).

Against Java (``--java``, needs java and /usr/share/java/hdrhistogram.jar): a headless
``nimsync-tui --replay LOG --record DIR`` of a generated 10,000-interval, two-tag log against
``HistogramLogProcessor -i LOG -tag T`` run once per tag, each in a child process: wall and CPU
(user + system) seconds, median of ``--repeat`` runs taken in turns, the ratio of Java's two runs
to ours, and our peak RSS; each ``.hgrm`` we write is checked equal to Java's output first.

Memory: the peak RSS (``ru_maxrss`` of the child process) of a headless
``nimsync-tui --replay LOG --record DIR`` of a generated log of 10,000 and of
40,000 intervals, side by side: equal figures mean memory follows the tags,
not the length of the log. To measure another checkout's code, run this
script with ``python -S`` and ``PYTHONPATH=CHECKOUT:SITE_PACKAGES``; the child
is started the same way and the package's path is printed.
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

# Runnable as a plain script from a checkout, without installing the package.
import nimsync_tui
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


MEMORY_INTERVALS = (10_000, 40_000)
POOL = 500
"""Distinct intervals of the memory logs, repeated: decoding costs the same, writing costs far less."""


def write_long_log(path: Path, intervals: int, pool: list[HdrHistogram]) -> None:
    """A two-tag log of ``intervals`` one-second intervals, their histograms taken in turn from ``pool``."""
    head = io.StringIO()
    HlogWriter(head).write_header(1_795_766_400.123)
    tails = []
    for hist in pool:
        line = io.StringIO()
        HlogWriter(line).write_interval(None, 0.0, 1.0, hist)
        tails.append(line.getvalue().split(",", 2)[2])  # max and histogram
    with path.open("w") as out:
        out.write(head.getvalue())
        for i in range(intervals):
            out.write(f"Tag={TAGS[i % 2]},{i}.000,1.000,{tails[i % len(tails)]}")


# Linux carries a process's peak RSS across fork and exec: a child started by this process (which
# holds the generated histograms) would report at least this process's peak. A bare interpreter
# starts the replay instead and reports its ru_maxrss: a child of a small process measures itself.
_LAUNCHER = """
import os, subprocess, sys
out = open(sys.argv[1], "wb") if sys.argv[1] != "-" else subprocess.DEVNULL
child = subprocess.Popen(sys.argv[2:], stdout=out)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""
JAVA = [
    *("java", "-Duser.timezone=UTC", "-cp", "/usr/share/java/hdrhistogram.jar"),
    "org.HdrHistogram.HistogramLogProcessor",
]
"""The reference processor; UTC so that its StartTime line matches ours."""


def child_run(command: list[str], stdout: str = "-") -> tuple[int, float, float]:
    """Peak RSS (bytes), wall and CPU (user + system) seconds of ``command`` in a child of a bare interpreter."""
    started = time.perf_counter()
    report = subprocess.run(
        [sys.executable, "-S", "-c", _LAUNCHER, stdout, *command], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    status, maxrss_kib, cpu = report.stdout.split()
    if int(status) != 0:
        raise SystemExit(f"{' '.join(command)} exited with {status}")
    return int(maxrss_kib) * 1024, wall, float(cpu)


def replay_peak_rss(log: Path, out: Path) -> tuple[int, float]:
    """Peak RSS (bytes) and wall seconds of a headless replay of ``log`` into ``out``, in a child process."""
    # The child imports the package as this process does (python -S with PYTHONPATH for another checkout).
    rss, wall, _ = child_run(replay_command(log, out))
    return rss, wall


def replay_command(log: Path, out: Path) -> list[str]:
    """A headless replay of ``log`` into ``out``, importing the package as this process does."""
    flags = ["-S"] if sys.flags.no_site else []
    return [sys.executable, *flags, "-m", "nimsync_tui", "--replay", str(log), "--record", str(out)]


def java_table(intervals: int, samples: int, repeat: int) -> None:
    """Headless replay of a two-tag log against Java's HistogramLogProcessor run once per tag."""
    pool = interval_histograms(POOL, samples)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "java.hlog"
        write_long_log(log, intervals, pool)
        ours: list[tuple[int, float, float]] = []
        java: list[tuple[float, float]] = []
        for turn in range(repeat):
            out = Path(tmp) / f"out{turn}"
            ours.append(child_run(replay_command(log, out)))
            wall = cpu = 0.0
            for tag in TAGS:
                printed = Path(tmp) / f"{tag}.java"
                command = [*JAVA, "-i", str(log), "-tag", tag, "-outputValueUnitRatio", "1000.0", "-o", str(printed)]
                _, tag_wall, tag_cpu = child_run(command)
                wall, cpu = wall + tag_wall, cpu + tag_cpu
                if printed.with_suffix(".java.hgrm").read_text() != (out / f"{tag}.hgrm").read_text():
                    raise SystemExit(f"{tag}.hgrm differs from HistogramLogProcessor's output")
            java.append((wall, cpu))
        size_mb = log.stat().st_size / 1e6
    our_wall = statistics.median(w for _, w, _ in ours)
    our_cpu = statistics.median(c for _, _, c in ours)
    java_wall = statistics.median(w for w, _ in java)
    java_cpu = statistics.median(c for _, c in java)
    print(
        f"headless --replay of a {intervals:,}-interval two-tag log ({size_mb:.0f} MB), median of {repeat}; reproduce:"
    )
    print(f"    {COMMAND} --java --intervals {intervals} --samples {samples} --repeat {repeat}")
    print(f"{'':40} {'wall s':>8} {'CPU s':>8}")
    print(f"{'HistogramLogProcessor, both tags':40} {java_wall:8.2f} {java_cpu:8.2f}")
    print(f"{'nimsync-tui --replay --record':40} {our_wall:8.2f} {our_cpu:8.2f}")
    print(f"{'ratio (Java / ours)':40} {java_wall / our_wall:7.2f}x {java_cpu / our_cpu:7.2f}x")
    print(f"our peak RSS {max(rss for rss, _, _ in ours) / 2**20:.1f} MiB")


def memory_table(samples: int) -> None:
    pool = interval_histograms(POOL, samples)
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in MEMORY_INTERVALS:
            log = Path(tmp) / f"{n}.hlog"
            write_long_log(log, n, pool)
            rss, wall = replay_peak_rss(log, Path(tmp) / f"{n}.out")
            figures.append((n, log.stat().st_size, rss, wall))
    print(f"headless --replay LOG --record DIR, peak RSS of the child; package {Path(nimsync_tui.__file__).parent}")
    print(f"{'intervals':>10} {'log MB':>8} {'peak RSS MB':>12} {'wall s':>8}")
    for n, size, rss, wall in figures:
        print(f"{n:>10,} {size / 1e6:8.1f} {rss / 1e6:12.1f} {wall:8.2f}")
    (n0, _, rss0, _), (n1, _, rss1, _) = figures
    print(f"{n1 // n0}x the intervals: {rss1 / rss0:.2f}x the peak RSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=2_000, help="values recorded per interval")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-only", action="store_true", help="print only the peak RSS of headless replays")
    parser.add_argument("--java", action="store_true", help="print only headless replay against Java's processor")
    args = parser.parse_args()
    n, repeat = args.intervals, args.repeat
    if args.java:
        java_table(n, args.samples, repeat)
        return
    memory_table(args.samples)
    print()
    if args.memory_only:
        return

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
