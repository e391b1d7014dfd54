"""What the live app costs, printed from one run.

1. The load's throughput with the app attached (Textual app drawing a 120x40
   screen at its default redraw rate, headless driver) against the same load
   read headless (the same session, no app), interleaved, medians of rounds.
   Target: ratio at least 0.95.
2. The app process's CPU use while attached (100 % = one core; the load runs
   in its own process and is not counted). Target: under 15 %.
3. Replay of a 10,000-interval log: time to the first frame and to the whole
   log loaded. Target: first frame under 2 s.

Run: python benchmarks/app_cost.py [--seconds 5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from nimsync_tui.core.histogram import new_histogram, record_values
from nimsync_tui.core.hlog import HlogWriter
from nimsync_tui.monitor.replay import ReplaySource
from nimsync_tui.monitor.session import LiveSession
from nimsync_tui.run.config import Overrides, RunSpec, plan_runs
from nimsync_tui.tui import DEFAULT_FPS, MonitorApp

SIZE = (120, 40)


def _spec() -> RunSpec:
    (spec,) = plan_runs("spsc-throughput", Overrides(), interval_s=0.25)
    return dataclasses.replace(spec, params=dataclasses.replace(spec.params, iterations=None))


def _throughput(session: LiveSession) -> tuple[float, float]:
    """Mean ops/s of the measured intervals, and the load process's mean CPU use over them."""
    run = session.runs[0]
    return run.mean_ops_s(), run.cpu_percent


async def headless_round(seconds: float) -> tuple[float, float]:
    session = LiveSession([_spec()])
    task = asyncio.create_task(session.drive())
    await asyncio.sleep(seconds)
    session.stop()
    await task
    return _throughput(session)


async def app_round(seconds: float) -> tuple[tuple[float, float], float]:
    session = LiveSession([_spec()])
    app = MonitorApp(session)
    me = psutil.Process()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(1.0)  # past start-up and the first frames
        cpu0, wall0 = sum(me.cpu_times()[:2]), time.monotonic()
        await pilot.pause(seconds - 1.0)
        cpu = (sum(me.cpu_times()[:2]) - cpu0) / (time.monotonic() - wall0) * 100
        await pilot.press("q")
        await pilot.pause(0.5)
    return _throughput(session), cpu


def write_long_log(path: Path, intervals: int) -> None:
    rng = np.random.default_rng(1)
    with path.open("w") as f:
        writer = HlogWriter(f)
        writer.write_header(time.time())
        for i in range(intervals):
            hist = new_histogram()
            record_values(hist, rng.lognormal(10, 0.5, 2000).astype(np.int64))
            writer.write_interval("spsc-throughput", i * 1.0, 1.0, hist)


async def replay_times(log: Path) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Wall and CPU seconds (this process's) to the first frame, to the whole log loaded, and of a step back."""
    started, cpu0 = time.perf_counter(), time.process_time()
    source = ReplaySource(log)
    app = MonitorApp(source)
    async with app.run_test(size=SIZE) as pilot:
        while not app.snapshot.runs:
            await pilot.pause(0.01)
        first = (time.perf_counter() - started, time.process_time() - cpu0)
        while not source.loaded:
            await pilot.pause(0.05)
        whole = (time.perf_counter() - started, time.process_time() - cpu0)
        source.whole()
        source.snapshot()
        stepped, cpu1 = time.perf_counter(), time.process_time()
        source.step(-1)  # what the left arrow does: the range's end one interval back
        source.snapshot()
        step_back = (time.perf_counter() - stepped, time.process_time() - cpu1)
        await pilot.press("q")
    return first, whole, step_back


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--replay-only", action="store_true", help="only the replay of a 10,000-interval log")
    args = parser.parse_args()
    if args.replay_only:
        await print_replay_times()
        return
    ratios, cpus, headless, attached, load_cpu = [], [], [], [], []
    for _ in range(args.rounds):
        (h, h_cpu) = await headless_round(args.seconds)
        (a, a_cpu), cpu = await app_round(args.seconds)
        headless.append(h)
        attached.append(a)
        ratios.append(a / h)
        cpus.append(cpu)
        load_cpu.append((h_cpu, a_cpu))
    per_round = ", ".join(f"{r:.3f}" for r in ratios)
    print(f"spsc-throughput, {args.rounds} interleaved rounds of {args.seconds:g} s, app at {DEFAULT_FPS:g} fps 120x40")
    print(f"  headless      {statistics.median(headless) / 1e6:7.3f} M ops/s (median)")
    print(f"  app attached  {statistics.median(attached) / 1e6:7.3f} M ops/s (median)")
    print(f"  ratio         {statistics.median(ratios):7.3f} (per round: {per_round})  target >= 0.95")
    print(f"  app CPU       {statistics.median(cpus):7.1f} % of a core (per round: "
          f"{', '.join(f'{c:.1f}' for c in cpus)})  target < 15")  # fmt: skip
    # A load process that got less than a whole core was squeezed by the rest of the machine.
    print("  load CPU      " + ", ".join(f"{h:.0f}/{a:.0f}" for h, a in load_cpu) + " % (headless/attached per round)")
    # Throughput per CPU-second of the load: what the load does with the CPU it gets. Equal in
    # both modes means the app only competes for CPU (harmless with a core to spare), never
    # slows the load by other means (a stalled pipe, shared caches).
    per_cpu = [
        (a / max(ac, 1e-9)) / (h / max(hc, 1e-9)) for a, h, (hc, ac) in zip(attached, headless, load_cpu, strict=True)
    ]
    print(f"  per load CPU  {statistics.median(per_cpu):7.3f} (attached/headless ops per CPU-second of the load)")
    print(f"  machine       load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    await print_replay_times()


async def print_replay_times() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "long.hlog"
        write_long_log(log, 10_000)
        size_mb = log.stat().st_size / 1e6
        first, whole, step_back = await replay_times(log)
    print(f"replay of a 10,000-interval log ({size_mb:.1f} MB)")
    # CPU time is this process's (the app's loop and the loading): on a busy machine the wall time is not ours alone.
    print(f"  first frame   {first[0]:7.3f} s  (CPU {first[1]:.3f} s)  target < 2")
    print(f"  whole log     {whole[0]:7.3f} s  (CPU {whole[1]:.3f} s)  goal <= 0.5")
    print(f"  step back     {step_back[0]:7.3f} s  (CPU {step_back[1]:.3f} s)  goal <= 0.05")
    print("                (one interval back, from the whole log's end)")


if __name__ == "__main__":
    asyncio.run(main())
