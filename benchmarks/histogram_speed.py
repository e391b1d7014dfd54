"""The numpy histogram core against HdrHistogram_py's own per-value methods.

Prints figures, asserts nothing; each figure is the best of ``--repeat`` runs
(the machine is shared and noisy, the minimum is the least disturbed).
Results are checked equal before they are timed.

    python benchmarks/histogram_speed.py [--values 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

import numpy as np

# Runnable as a plain script from a checkout, without installing the package.
from nimsync_tui.core.histogram import new_histogram, record_values, summarize
from nimsync_tui.core.probe import Probe

COMMAND = "python benchmarks/histogram_speed.py"
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """Shortest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def latencies(n: int) -> np.ndarray:
    """Latency-like values: a lognormal body around 8 µs with a long tail."""
    return np.random.default_rng(42).lognormal(9, 1.2, n).astype(np.int64)


def library_record(values: list[int]) -> None:
    hist = new_histogram()
    for v in values:
        hist.record_value(v)


def numpy_record(values: np.ndarray) -> None:
    record_values(new_histogram(), values)


def library_statistics(hist: object) -> tuple[object, ...]:
    return (
        hist.get_total_count(), hist.get_min_value(), hist.get_max_value(),
        hist.get_mean_value(), hist.get_stddev(),
        *(hist.get_value_at_percentile(p) for p in PERCENTILES),
    )  # fmt: skip


def probe_record(values: list[int]) -> None:
    probe = Probe()
    record = probe.record
    for v in values:
        record(v)
    probe.take_interval()


def empty_loop(values: list[int]) -> None:
    for _ in values:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, repeat = args.values, args.repeat
    array = latencies(n)
    values = array.tolist()

    hist = new_histogram()
    record_values(hist, array)
    s = summarize(hist)
    assert library_statistics(hist) == (s.count, s.min, s.max, s.mean, s.stddev, s.p50, s.p90, s.p99, s.p999)

    lib_rec = best_of(repeat, lambda: library_record(values)) / n * 1e9
    np_rec = best_of(repeat, lambda: numpy_record(array)) / n * 1e9
    lib_stats = best_of(max(1, repeat // 2), lambda: library_statistics(hist)) * 1e3
    np_stats = best_of(repeat, lambda: summarize(hist)) * 1e3
    loop = best_of(repeat, lambda: empty_loop(values))
    probe = (best_of(repeat, lambda: probe_record(values)) - loop) / n * 1e9
    take = best_of(repeat, lambda: Probe().take_interval()) * 1e6

    print(f"histogram benchmark, {n:,} lognormal values, best of {repeat}; reproduce with:")
    print(f"    {COMMAND} --values {n} --repeat {repeat}")
    print()
    print(f"{'':34} {'HdrHistogram_py':>16} {'nimsync_tui':>12} {'ratio':>8}")
    print(f"{'record, ns/value':34} {lib_rec:16.1f} {np_rec:12.1f} {lib_rec / np_rec:7.1f}x")
    print(f"{'count/min/max/mean/stddev/4 pct, ms':34} {lib_stats:16.1f} {np_stats:12.3f} {lib_stats / np_stats:7.0f}x")
    print(f"{'Probe.record, ns/call (flush incl.)':34} {'':16} {probe:12.1f}")
    print(f"{'Probe().take_interval(), µs':34} {'':16} {take:12.1f}")


if __name__ == "__main__":
    main()
