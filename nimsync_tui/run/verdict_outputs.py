"""What a headless run keeps of its verdicts: the history store, ``--junit`` and ``--markdown``.

The headless run (:mod:`.headless`) calls :meth:`VerdictOutputs.open` before anything runs (a
store that is not one, or a missing directory, is refused then, in one line)
and :meth:`VerdictOutputs.write` once the run is judged.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.files import write_atomically
from ..errors import ConfigError
from ..suite.ci_outputs import junit_xml, markdown
from ..suite.compare import Comparison
from ..suite.history import (
    HistoryStore,
    HistoryWriteError,
    current_commit,
    default_machine,
    default_path,
    run_of_results,
)
from ..suite.report import SuiteReport, results_json

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"
"""GitHub Actions' file for a job's summary page; the markdown is appended there too."""


@dataclass(frozen=True, slots=True)
class VerdictRequest:
    """What the command line asked a run to keep of its verdicts."""

    history: Path | None = None
    """``--history``: the store (``None``: the default one)."""
    keep_history: bool = True
    """``False`` with ``--no-history``."""
    commit: str | None = None
    """``--commit`` (``None``: git's HEAD in the working directory)."""
    machine: str | None = None
    """``--machine`` (``None``: the host name)."""
    junit: Path | None = None
    """``--junit``."""
    markdown: Path | None = None
    """``--markdown``."""
    strict_targets: bool = False
    """``--strict-targets``: UNREACHABLE and N/A targets are misses too."""


@dataclass(slots=True)
class VerdictOutputs:
    """The outputs a run asked for, checked before it ran."""

    store: HistoryStore | None
    identity: dict[str, str]
    """``commit`` and ``machine``: added to the run's environment, so results.json names them too."""
    junit: Path | None
    markdown: Path | None
    strict: bool
    unwritable: HistoryWriteError | None = None
    """Why the store could not be opened for writing (a full disk, a size limit): the run goes on unkept."""

    @classmethod
    def open(cls, request: VerdictRequest, *, judged: bool, working_dir: Path) -> VerdictOutputs:
        """Check the paths and open the store (``judged``: a ``--record`` or ``--performance`` run keeps history)."""
        for option, path in (("--junit", request.junit), ("--markdown", request.markdown)):
            if path is not None and not path.parent.is_dir():
                raise ConfigError(f"{option} {path}: the directory {path.parent} does not exist")
        keeps_history = judged and request.keep_history
        store, unwritable = None, None
        if keeps_history:
            try:
                store = HistoryStore(request.history or default_path())
            except HistoryWriteError as exc:
                unwritable = exc
        identity = {
            "commit": request.commit or current_commit(working_dir),
            "machine": request.machine or default_machine(),
        }
        return cls(store, identity, request.junit, request.markdown, request.strict_targets, unwritable)

    def write(
        self,
        report: SuiteReport,
        comparison: Comparison | None,
        *,
        started_at: datetime,
        environment: dict[str, Any],
    ) -> Iterator[str]:
        """Append to the history and write the files; yields a line per thing done.

        Raises ``OSError`` for a store that could not be opened for writing (after the files are written).
        """
        if self.store is not None:
            with self.store:
                document = json.loads(results_json(report, started_at=started_at, environment=environment))
                filed = self.store.add(run_of_results(document, "this run", commit=None, machine=None))
            where = f"commit {self.identity['commit']} on {self.identity['machine']} in {self.store.path}"
            yield f"history: {where}" if filed else f"history: no completed row to file under {where}"
        if self.junit is not None:
            write_atomically(self.junit, junit_xml(report, comparison, strict=self.strict))
            yield f"JUnit written to {self.junit}"
        if self.markdown is not None:
            text = markdown(report, comparison, strict=self.strict)
            write_atomically(self.markdown, text)
            yield f"markdown written to {self.markdown}"
            if step_summary := os.environ.get(STEP_SUMMARY):
                with open(step_summary, "a", encoding="utf-8") as summary:
                    summary.write(text)
        if self.unwritable is not None:
            reason = f"{self.unwritable.reason}; this run is not in the history"
            raise OSError(errno.EIO, reason, str(self.unwritable.path))
