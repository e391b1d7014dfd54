"""How often two runs of the same code compare as "no regression": ten compares, the count of exit 0.

Each compare is two headless runs of the same scenarios, one after the other,
as a user makes them (a baseline, later a compare against it), at the default
--repeat and the scenarios' own counts; only the latency and throughput
scenarios whose default run takes a second or so, so that the twenty runs take
minutes. A compare verdict worth acting on gives exit 0 here in at least 9 of 10
even on a busy machine.

    python benchmarks/same_code_compares.py [--compares 10] [--keep DIR]

``--keep DIR`` leaves the baselines there (a.json/b.json per compare) to study.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

PATTERN = "*p[is]*"
"""A glob that matches pingpong-latency and spsc-throughput only: a latency and a throughput scenario."""


def nimsync(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nimsync_tui", "--no-history", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)


def one_compare(directory: Path, pattern: str) -> tuple[int, list[str]]:
    """Exit status of a compare of two same-code runs, and its verdict lines that are not ok."""
    first = nimsync("--pattern", pattern, "--baseline", str(directory / "a.json"))
    if first.returncode not in (0, 3):
        raise SystemExit(f"the baseline run failed ({first.returncode}): {first.stderr.strip()[-300:]}")
    second = nimsync(
        "--pattern", pattern, "--compare", str(directory / "a.json"), "--baseline", str(directory / "b.json")
    )
    flagged = [
        line.strip()
        for line in second.stdout.splitlines()
        if line.rstrip().endswith(("REGRESSION", "improved", "cannot decide", "not significant"))
    ]
    return second.returncode, flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compares", type=int, default=10)
    parser.add_argument("--pattern", default=PATTERN, help="scenarios to run (default: %(default)s)")
    parser.add_argument("--keep", type=Path, help="keep each compare's two baselines under this directory")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="same-code-"))
    passed = 0
    for i in range(args.compares):
        directory = root / f"compare-{i + 1:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        status, flagged = one_compare(directory, args.pattern)
        passed += status == 0
        print(f"compare {i + 1:2d}: exit {status}" + ("".join(f"\n    {line}" for line in flagged)), flush=True)
    print(f"same code, exit 0: {passed} of {args.compares}")


if __name__ == "__main__":
    main()
