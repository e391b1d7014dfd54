"""What a headless run keeps of its verdicts: the history store, ``--junit`` and ``--markdown``.

The headless run calls :meth:`VerdictOutputs.open` before anything runs (a
store that is not one, or a missing directory, is refused then, in one line)
and :meth:`VerdictOutputs.write` once the run is judged.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .core.files import write_atomically
from .errors import ConfigError
from .suite.ci_outputs import junit_xml, markdown
from .suite.compare import Comparison
from .suite.history import HistoryStore, current_commit, default_machine, default_path, run_of_results
from .suite.report import SuiteReport, results_json

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"
"""GitHub Actions' file for a job's summary page; the markdown is appended there too."""


def add_verdict_options(parser: argparse.ArgumentParser) -> None:
    """The history and CI-file options of a headless run."""
    group = parser.add_argument_group("history and results CI reads")
    group.add_argument(
        "--history",
        metavar="PATH",
        type=Path,
        help=f"the history store every --record/--performance run appends to (default {default_path()})",
    )
    group.add_argument("--no-history", action="store_true", help="keep this run out of the history store")
    group.add_argument("--commit", metavar="TEXT", help="the commit to file this run under (default: git's HEAD here)")
    group.add_argument(
        "--machine", metavar="NAME", help=f"this machine's name in the history (default {default_machine()})"
    )
    group.add_argument("--junit", metavar="FILE", type=Path, help="write the targets and the compare as JUnit XML")
    group.add_argument(
        "--markdown",
        metavar="FILE",
        type=Path,
        help=f"write the summary and the compare as markdown (also appended to ${STEP_SUMMARY} when set)",
    )


@dataclass(slots=True)
class VerdictOutputs:
    """The outputs a run asked for, checked before it ran."""

    store: HistoryStore | None
    identity: dict[str, str]
    """``commit`` and ``machine``: added to the run's environment, so results.json names them too."""
    junit: Path | None
    markdown: Path | None
    strict: bool

    @classmethod
    def open(cls, args: argparse.Namespace, working_dir: Path) -> VerdictOutputs:
        """Check the paths and open the store (for a ``--record`` or ``--performance`` run)."""
        for option, path in (("--junit", args.junit), ("--markdown", args.markdown)):
            if path is not None and not path.parent.is_dir():
                raise ConfigError(f"{option} {path}: the directory {path.parent} does not exist")
        keeps_history = (args.record is not None or args.performance) and not args.no_history
        store = HistoryStore(args.history or default_path()) if keeps_history else None
        identity = {
            "commit": args.commit or current_commit(working_dir),
            "machine": args.machine or default_machine(),
        }
        return cls(store, identity, args.junit, args.markdown, args.strict_targets)

    def write(
        self,
        report: SuiteReport,
        comparison: Comparison | None,
        *,
        started_at: datetime,
        environment: dict[str, Any],
    ) -> Iterator[str]:
        """Append to the history and write the files; yields a line per thing done."""
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
