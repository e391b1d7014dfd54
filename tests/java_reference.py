"""Run the reference Java HdrHistogram (2.1.11) on an interval log, for comparison tests.

Tests that use it are marked ``@pytest.mark.java``. Without ``java`` or the jar
they are skipped locally, but fail when ``CI=true``: on CI a missing reference
must not pass silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .prerequisites import unavailable

JAR = Path("/usr/share/java/hdrhistogram.jar")
LOG_PROCESSOR = "org.HdrHistogram.HistogramLogProcessor"


def require_java() -> str:
    """The ``java`` executable; skips the test (fails it on CI) if the reference is missing."""
    java = shutil.which("java")
    if java is None or not JAR.is_file():
        missing = "java" if java is None else str(JAR)
        unavailable(f"reference Java HdrHistogram not available: {missing} missing (apt install libhdrhistogram-java)")
    return java


def java_percentile_distribution(hlog: Path, tag: str | None, work_dir: Path, unit_ratio: float = 1000.0) -> str:
    """The ``.hgrm`` text ``HistogramLogProcessor -tag TAG -outputValueUnitRatio R`` writes for ``hlog``.

    A ``None`` tag reads the untagged lines (no ``-tag``). The JVM runs in UTC so
    that its StartTime line matches ours.
    """
    java = require_java()
    out = work_dir / f"java-{tag or 'untagged'}"
    tag_args = [] if tag is None else ["-tag", tag]
    proc = subprocess.run(
        [
            java, "-Duser.timezone=UTC", "-cp", str(JAR), LOG_PROCESSOR,
            "-i", str(hlog), *tag_args, "-outputValueUnitRatio", repr(unit_ratio), "-o", str(out),
        ],
        capture_output=True, text=True, timeout=120, env={**os.environ, "TZ": "UTC"},
    )  # fmt: skip
    assert proc.returncode == 0, f"{LOG_PROCESSOR} failed:\n{proc.stderr}"
    return out.with_name(out.name + ".hgrm").read_text()
