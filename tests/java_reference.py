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


PERCENTILE_SOURCE = Path(__file__).with_name("java") / "ValueAtPercentile.java"


class JavaPercentiles:
    """One reference JVM answering ``getValueAtPercentile`` for histograms sent to it, one line each.

    The program is ``tests/java/ValueAtPercentile.java``; one JVM serves every
    question, so a property test can ask hundreds of them.
    """

    def __init__(self) -> None:
        java = require_java()
        # Java's source launcher compiles the program in memory: a JRE (no javac) is enough.
        self._proc = subprocess.Popen(
            [java, "-cp", str(JAR), str(PERCENTILE_SOURCE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def values_at(self, encoded: str | bytes, percentiles: Sequence[float]) -> tuple[int, list[int]]:
        """The histogram's total count as Java decodes it, and its ``getValueAtPercentile`` of each percentile."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        text = encoded.decode("ascii") if isinstance(encoded, bytes) else encoded
        # repr() is the shortest text that parses back to the same double in Java too.
        self._proc.stdin.write(" ".join([text, *(repr(float(p)) for p in percentiles)]) + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline().split()
        assert answer, f"the reference JVM ended (exit status {self._proc.poll()})"
        total, *values = (int(a) for a in answer)
        return total, values

    def close(self) -> None:
        """End the JVM."""
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)
