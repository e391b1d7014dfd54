"""What a report shows of a log: each tag's whole run, as the app's replay sees it (no plotting here)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ..core.counts import MAX_DENSE_COUNTS
from ..monitor.replay import ReplaySource
from ..monitor.snapshot import RunView
from ..run.replay import replay_log
from ..suite.summary import print_summary


@dataclass(frozen=True, slots=True)
class LogViews:
    """A log's tags, each its whole run, and the suite's verdicts on them."""

    source: Path
    """The log read."""
    value_unit: str
    runs: tuple[RunView, ...]
    """One per tag, in the order of the log."""
    verdicts: str
    """The summary ``--replay`` prints: each row's figures and each target's PASS/FAIL."""


def log_views(path: Path, value_unit: str = "ns", *, max_counts: int = MAX_DENSE_COUNTS) -> LogViews:
    """Read the log ``path`` names (a recording directory or any ``.hlog``) for a report (its tags' dense
    histograms hold at most ``max_counts`` counts in all, as in the app)."""
    replay = ReplaySource(path, value_unit=value_unit, max_counts=max_counts)
    while not replay.load(4096):
        pass
    runs = []
    for tag in replay.tags:
        replay.select(tag)
        replay.whole()
        runs.append(replay.snapshot().runs[0])
    summary = io.StringIO()
    print_summary(replay_log(path, value_unit).report, summary)
    return LogViews(replay.path, value_unit, tuple(runs), summary.getvalue())
