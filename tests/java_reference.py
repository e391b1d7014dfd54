"""Run the reference Java HdrHistogram (2.1.11) on an interval log, for comparison tests.

Tests that use it are marked ``@pytest.mark.java``. Without ``java`` or the jar
they are skipped locally, but fail when ``CI=true``: on CI a missing reference
must not pass silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

JAR = Path("/usr/share/java/hdrhistogram.jar")
LOG_PROCESSOR = "org.HdrHistogram.HistogramLogProcessor"


def require_java() -> str:
    """The ``java`` executable; skips the test (fails it on CI) if the reference is missing."""
    java = shutil.which("java")
    if java is not None and JAR.is_file():
        return java
    missing = "java" if java is None else str(JAR)
    message = f"reference Java HdrHistogram not available: {missing} missing (apt install libhdrhistogram-java)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def java_percentile_distribution(
    hlog: Path, tag: str | None, work_dir: Path, unit_ratio: float = 1000.0, options: Sequence[str] = ()
) -> str:
    """The ``.hgrm`` text ``HistogramLogProcessor -tag TAG -outputValueUnitRatio R [options]`` writes for ``hlog``.

    A ``None`` tag reads the untagged lines (no ``-tag``); ``options`` are more of the
    processor's (``-start 1 -end 3``, ``-csv``). The JVM runs in UTC so that its
    StartTime line matches ours.
    """
    java = require_java()
    out = work_dir / f"java-{tag or 'untagged'}{''.join(options).replace('-', '_').replace('.', '_')}"
    tag_args = [] if tag is None else ["-tag", tag]
    proc = subprocess.run(
        [
            java, "-Duser.timezone=UTC", "-cp", str(JAR), LOG_PROCESSOR,
            "-i", str(hlog), *tag_args, "-outputValueUnitRatio", repr(unit_ratio), *options, "-o", str(out),
        ],
        capture_output=True, text=True, timeout=120, env={**os.environ, "TZ": "UTC"},
    )  # fmt: skip
    assert proc.returncode == 0, f"{LOG_PROCESSOR} failed:\n{proc.stderr}"
    return out.with_name(out.name + ".hgrm").read_text()
