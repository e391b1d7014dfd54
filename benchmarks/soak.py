"""Soak: the live app attached to a continuous load for a long time; do the app and the load grow?

Starts ``nimsync-tui`` in a real terminal (tmux, 120x40) on a continuous
scenario, then prints the resident set size of the app and of its load
process every ``--every`` seconds. Growth is measured from the end of the
warm-up (the first sample after ``--warmup`` seconds) to the last sample.
Exits 1 when either grew by more than ``--limit-mib``, so the test suite can
run a short soak and trust the verdict.

    python benchmarks/soak.py                      # 30 minutes, a sample a minute
    python benchmarks/soak.py --minutes 2 --every 10 --warmup 30
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil

MIB = 2**20


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def _load_process(app: psutil.Process) -> psutil.Process | None:
    """The app's runner child, if one is up (it is replaced when a scenario restarts)."""
    for child in app.children(recursive=True):
        try:
            if "nimsync_tui.run.runner" in " ".join(child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def main() -> int:
    """Run the soak; returns 0 when neither process grew past the limit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the baseline sample")
    parser.add_argument("--scenario", default="spsc-throughput")
    parser.add_argument("--limit-mib", type=float, default=10.0)
    args = parser.parse_args()
    # The command installed beside this interpreter first: the venv need not be activated.
    app_command = shutil.which("nimsync-tui", path=str(Path(sys.executable).parent)) or shutil.which("nimsync-tui")
    if app_command is None or shutil.which("tmux") is None:
        print("soak: needs nimsync-tui installed and tmux on PATH", file=sys.stderr)
        return 2
    # A soak is often cut short with kill or timeout: unwind so the tmux session goes too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    session = f"soak-{uuid.uuid4().hex[:8]}"
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"{app_command} --pattern {args.scenario}")
    try:
        app = psutil.Process(int(_tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()))
        started = time.monotonic()
        baseline: tuple[int, int] | None = None
        last: tuple[int, int] | None = None
        print(f"{'minute':>7} {'app MiB':>9} {'load MiB':>9}")
        while (elapsed := time.monotonic() - started) < args.minutes * 60:
            time.sleep(min(args.every, max(0.0, args.minutes * 60 - elapsed)))
            load = _load_process(app)
            if load is None:
                print("soak: the load process is gone", file=sys.stderr)
                return 1
            last = (app.memory_info().rss, load.memory_info().rss)
            elapsed = time.monotonic() - started
            print(f"{elapsed / 60:7.1f} {last[0] / MIB:9.1f} {last[1] / MIB:9.1f}", flush=True)
            if baseline is None and elapsed >= args.warmup:
                baseline = last
        if baseline is None or last is None:
            print("soak: too short to have a sample after the warm-up", file=sys.stderr)
            return 2
        app_growth, load_growth = ((b - a) / MIB for a, b in zip(baseline, last, strict=True))
        verdict = "ok" if max(app_growth, load_growth) < args.limit_mib else "GREW"
        print(
            f"growth after warm-up: app {app_growth:+.1f} MiB, load {load_growth:+.1f} MiB "
            f"(limit {args.limit_mib} MiB): {verdict}"
        )
        return 0 if verdict == "ok" else 1
    finally:
        _tmux("kill-session", "-t", session)


if __name__ == "__main__":
    sys.exit(main())
