"""What the measurement costs the load: probe on against probe off.

Prints figures, asserts nothing. Each round runs every case once, each in a
fresh ``trio.run``, alternating on and off so both see the same machine; the
figures are medians over the rounds. "On" is everything the runner adds to
the load's own process: the probe's clock reads and records in the load's
loops, and an interval task that swaps and encodes the histogram and samples
RSS/CPU/GC (every 0.25 s, the live UI's rate; ``--record`` uses 1 s).

    python benchmarks/instrument_cost.py [--rounds 7] [--items 1000000]

Wall-clock rounds on a shared machine scatter by +-15 %. For a figure that
does not drift, count instructions of one case at two sizes under callgrind
and take the difference (start-up cancels out); ``--interval 1e9`` keeps the
timer-driven reporting out, since valgrind's slowdown would multiply it:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python benchmarks/instrument_cost.py --case spsc-throughput:on --items 300000 --interval 1e9
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import trio

from nimsync_tui.core.probe import Probe
from nimsync_tui.run.resources import ResourceSampler
from nimsync_tui.scenarios import SCENARIOS, Load


def run_once(name: str, items: int, instrumented: bool, interval_s: float = 0.25) -> float:
    """Items per second of one bounded run of scenario ``name``."""
    scenario = SCENARIOS[name]
    probe = Probe() if instrumented else None
    load = Load(probe)
    sampler = ResourceSampler() if instrumented else None

    async def report() -> None:
        assert probe is not None and sampler is not None
        while True:
            await trio.sleep(interval_s)
            probe.take_interval().histogram.encode()
            sampler.sample()

    async def main() -> float:
        async with trio.open_nursery() as nursery:
            if instrumented:
                nursery.start_soon(report)
            started = time.perf_counter()
            await scenario.body(load, scenario.defaults, items)
            elapsed = time.perf_counter() - started
            nursery.cancel_scope.cancel()
        return load.ops / elapsed

    gc.collect()
    try:
        return trio.run(main)
    finally:
        if sampler is not None:
            sampler.close()  # unhook its gc callback: rounds must not pile them up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between interval reports")
    parser.add_argument("--case", metavar="SCENARIO:on|off", help="run this one case once (for callgrind)")
    args = parser.parse_args()
    if args.case:
        name, _, state = args.case.partition(":")
        print(f"{args.case}: {run_once(name, args.items, state == 'on', args.interval) / 1e6:.3f} M items/s")
        return
    names = ["spsc-throughput", "mpmc-throughput"]
    rates: dict[tuple[str, bool], list[float]] = {(n, on): [] for n in names for on in (False, True)}
    for r in range(args.rounds):
        for name in names:
            # Alternate which goes first so neither always gets the warmer cache.
            for on in (False, True) if r % 2 == 0 else (True, False):
                rates[(name, on)].append(run_once(name, args.items, on, args.interval))
    print(f"instrument cost, our channel, {args.items:,} items, median of {args.rounds} rounds")
    print(f"reproduce: python benchmarks/instrument_cost.py --rounds {args.rounds} --items {args.items}\n")
    print(f"{'scenario':<18} {'probe off':>12} {'probe on':>12} {'on/off':>8} {'cost':>7}   per-round on/off")
    for name in names:
        off, on = rates[(name, False)], rates[(name, True)]
        # Rounds are paired (run back to back), so the median of per-round
        # ratios cancels the machine's drift better than a ratio of medians.
        ratios = [a / b for a, b in zip(on, off, strict=True)]
        ratio = statistics.median(ratios)
        print(
            f"{name:<18} {statistics.median(off) / 1e6:>9.3f} M/s {statistics.median(on) / 1e6:>9.3f} M/s "
            f"{ratio:>8.3f} {100 * (1 - ratio):>6.1f}%   " + " ".join(f"{r:.3f}" for r in ratios)
        )
    sample = SCENARIOS["spsc-throughput"].defaults.sample_every
    print(f"\nmedians of the rounds; cost = 1 - median(on/off); one item (spsc) or batch (mpmc) in {sample} timed")


if __name__ == "__main__":
    main()
