"""Export a live run as a recording: the same files, written by the same code, as ``--record``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..core.histogram import decode_histogram
from ..core.protocol import event_json
from ..errors import ConfigError
from ..run.config import RunSpec
from ..run.record import OutputDir, log_interval, write_recording_files
from ..suite.environment import fingerprint
from ..suite.report import judge_single_runs
from ..suite.results import scenario_result
from ..suite.targets import DEFAULT_TARGETS
from .state import RunState

RUNNING_STATUS = "running"
"""``results.json``'s status of a run exported while its load still ran."""


def export_run(state: RunState, spec: RunSpec, directory: Path) -> Path:
    """Write ``run.hlog``, ``<scenario>.hgrm``, ``results.json`` and ``intervals.csv`` of ``state`` into ``directory``.

    The directory is claimed as a recording's is: created if needed, refused
    if it holds a recording already. Returns the directory.
    """
    started, merged = state.started, state.merged
    if started is None or merged is None:
        raise ConfigError("nothing measured yet: wait for the first measured interval, then export")
    with OutputDir(directory, [spec.scenario], overwrite=False) as out:
        hlog = out.hlog
        hlog.write_header(state.origin_s)
        hlog.write_comment(event_json(started))
        for record in state.measured:
            log_interval(hlog, record, decode_histogram(record.histogram))
        if state.ended is not None:
            hlog.write_comment(event_json(state.ended))
        result = scenario_result(
            started,
            state.measured,
            merged,
            status=state.ended.status if state.ended is not None else RUNNING_STATUS,
            duration_s=state.measured_s,
            operations=state.operations,
        )
        write_recording_files(
            out,
            {started.scenario: merged},
            state.rows,
            judge_single_runs([result], DEFAULT_TARGETS),
            started_at=datetime.fromtimestamp(state.origin_s, UTC),
            environment=fingerprint(),
            overwrite=False,
        )
    return directory
