"""A short soak: the live app on a continuous load for two minutes does not grow (issue 7's long-run check).

Marked ``soak`` and left out of the default run (pyproject's addopts): ``python -m pytest -m soak`` runs it.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from ..prerequisites import require_tmux

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


@pytest.mark.soak
@pytest.mark.timeout(400)
def test_two_minutes_of_live_monitoring_grow_neither_the_app_nor_the_load() -> None:
    require_tmux()
    proc = subprocess.run(
        [sys.executable, str(SOAK), "--minutes", "2", "--every", "10", "--warmup", "30", "--limit-mib", "10"],
        capture_output=True,
        text=True,
        timeout=360,
    )
    samples = [line for line in proc.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(samples) >= 10, proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "growth after warm-up" in proc.stdout and proc.stdout.rstrip().endswith("ok")
