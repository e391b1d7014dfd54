"""A recording's files besides its log: ``.hgrm`` distributions, ``intervals.csv``, ``results.json``, ``summary.txt``.

Shared by ``--record``, the app's export and ``--replay --record``, so all write the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hdrh.histogram import HdrHistogram

from ..core.hgrm import format_percentile_distribution
from ..core.histogram import LatencySummary
from ..core.hlog import HlogWriter
from ..core.protocol import IntervalRecord, event_json
from ..suite.report import SuiteReport, results_json
from ..suite.results import intervals_csv
from ..suite.summary import summary_text
from .directory import OutputDir
from .names import HGRM_UNIT_RATIO, INTERVALS_NAME, RESULTS_NAME, SUMMARY_NAME

__all__ = ["log_interval", "write_recording_files"]


def log_interval(hlog: HlogWriter, record: IntervalRecord, hist: HdrHistogram) -> None:
    """One measured interval as a recording's log holds it: the histogram line, then its JSON comment."""
    hlog.write_interval(record.tag, record.start_s, record.length_s, hist)
    hlog.write_comment(event_json(record))


def write_recording_files(
    out: OutputDir,
    histograms: dict[str, HdrHistogram],
    rows: Sequence[tuple[IntervalRecord, LatencySummary]],
    report: SuiteReport,
    *,
    started_at: datetime,
    environment: dict[str, Any],
    overwrite: bool,
    not_run: Sequence[str] = (),
    hgrm_unit_ratio: float = HGRM_UNIT_RATIO,
    hgrm_header: Sequence[str] = (),
    hgrm_csv: bool = False,
) -> None:
    """Write a recording's ``.hgrm``, ``intervals.csv`` and ``results.json``, then move its log into place.

    Shared by ``--record``, the app's export and ``--replay``, so all write the same files.
    ``not_run`` names the scenarios a stopped recording never started; ``hgrm_csv`` writes
    the distributions in the processor's ``-csv`` form.
    """
    files = {
        f"{name}.hgrm": format_percentile_distribution(
            hist, output_unit_ratio=hgrm_unit_ratio, header_lines=hgrm_header, csv=hgrm_csv
        )
        for name, hist in histograms.items()
    }
    files[INTERVALS_NAME] = intervals_csv(rows)
    files[RESULTS_NAME] = results_json(report, started_at=started_at, environment=environment, not_run=not_run)
    files[SUMMARY_NAME] = summary_text(report)
    # With --overwrite, distributions of scenarios (or steps) this recording lacks are stale.
    stale = {p.name for p in out.path.glob("*.hgrm")} - files.keys() if overwrite else set()
    out.finish(files, remove=stale)
