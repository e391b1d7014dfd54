"""Export a live run as a recording: the same files, written by the same code, as ``--record``."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from hdrh.histogram import HdrHistogram

from ..core.files import confined
from ..core.histogram import LatencySummary
from ..core.protocol import CORRECTED_SUFFIX, IntervalRecord, Phase, RunStarted, Status, event_json
from ..errors import ConfigError
from ..recording.directory import OutputDir
from ..recording.files import write_recording_files
from ..run.config import RunSpec
from ..suite.environment import fingerprint
from ..suite.report import judge_single_runs
from ..suite.results import ScenarioResult, scenario_result
from ..suite.targets import DEFAULT_TARGETS
from .state import RunState

EXPORT_DIR_VARIABLE = "NIMSYNC_TUI_EXPORT_DIR"
"""Set by ``--serve`` for each tab: the one folder its exports and baselines may be written in."""


def export_run(state: RunState, spec: RunSpec, directory: Path) -> Path:
    """Write ``run.hlog``, ``<scenario>.hgrm``, ``results.json`` and ``intervals.csv`` of ``state`` into ``directory``.

    The directory is claimed as a recording's is: created if needed, refused
    if it holds a recording already. Returns the directory. In a ``--serve``
    tab, ``directory`` is taken inside the server's export folder, never outside.
    """
    directory = export_destination(directory)
    started, merged, spool = state.started, state.merged, state.spool
    if started is None or merged is None or spool is None:
        raise ConfigError("nothing measured yet: wait for the first measured interval, then export")
    with OutputDir(directory, [spec.scenario], overwrite=False) as out:
        hlog = out.hlog
        hlog.write_header(state.origin_s)
        hlog.write_comment(event_json(started))
        out.commit_log()  # the header first: the spooled intervals go straight to the file
        spool.copy_log(out.log.write)
        if state.ended is not None:
            hlog.write_comment(event_json(state.ended))
        # Read back from disk for these files only: a long run's rows are not held between exports.
        rows = list(spool.rows())
        histograms = {started.scenario: merged}
        if state.corrected is not None:
            histograms[started.scenario + CORRECTED_SUFFIX] = state.corrected
        results = [_result(state, started, name, histogram, rows) for name, histogram in histograms.items()]
        write_recording_files(
            out,
            histograms,
            rows,
            judge_single_runs(results, DEFAULT_TARGETS),
            started_at=datetime.fromtimestamp(state.origin_s, UTC),
            environment=fingerprint(),
            overwrite=False,
        )
    return directory


def _result(
    state: RunState,
    started: RunStarted,
    name: str,
    histogram: HdrHistogram,
    rows: list[tuple[IntervalRecord, LatencySummary]],
) -> ScenarioResult:
    """The result row of the tag ``name``: the service time, or an open-loop run's corrected latency."""
    corrected = name.endswith(CORRECTED_SUFFIX)
    measured = [r for r, _ in rows if r.phase == Phase.MEASURE and r.tag.endswith(CORRECTED_SUFFIX) == corrected]
    return scenario_result(
        started,
        measured,
        histogram,
        status=state.ended.status if state.ended is not None else Status.RUNNING,
        duration_s=state.measured_s,
        operations=state.operations,
        name=name,
    )


def export_destination(asked: Path) -> Path:
    """Where an export asked for ``asked`` goes: there, or inside the server's export folder in a ``--serve`` tab."""
    root = os.environ.get(EXPORT_DIR_VARIABLE)
    return asked if root is None else confined(Path(root), asked)
