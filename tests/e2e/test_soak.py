"""A short soak: the live app on a continuous load for two minutes does not grow (issue 7's long-run check)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


@pytest.mark.timeout(400)
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_two_minutes_of_live_monitoring_grow_neither_the_app_nor_the_load() -> None:
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
