"""A headless run from start to exit status: record (or not), judge, compare, write, and rank the outcome.

The command line parses and dispatches (:mod:`nimsync_tui.cli`); what a
headless ``--record``, ``--performance``, ``--compare`` or ``--replay`` then
does is here, and each returns an :class:`Outcome`.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TextIO

from ..core.files import write_atomically
from ..core.histogram import LatencySummary
from ..core.processor import LogWindow
from ..core.protocol import IntervalRecord, Status
from ..errors import ConfigError, ExitStatus
from ..recording.directory import OutputDir
from ..recording.names import PARTIAL_LOG_NAME
from ..suite.baseline import BaselineFigures, load_baseline
from ..suite.benchmark_config import BenchmarkConfig
from ..suite.compare import Comparison, compare, format_comparison
from ..suite.report import SuiteReport, judge
from ..suite.results import ScenarioResult
from ..suite.side_by_side import side_by_side
from ..suite.stats_document import stats_json
from ..suite.summary import print_summary
from .config import RunSpec
from .record import Recorder, scenario_limit
from .replay import WHOLE_LOG, replay_log, write_replay
from .resources import busy_machine
from .stopping import StopSignal, exit_status_of, raise_stop_signal, stop_signals
from .verdict_outputs import VerdictOutputs, VerdictRequest


@dataclass(frozen=True, slots=True)
class HeadlessRequest:
    """What the command line asked of a headless run."""

    record: Path | None = None
    """``--record``: the recording directory."""
    overwrite: bool = False
    """``--overwrite``: replace an earlier recording's files."""
    duration_s: float | None = None
    """``--duration``."""
    compare: Path | None = None
    """``--compare``: the baseline figures to compare with."""
    baseline: Path | None = None
    """``--baseline``: where to save this run's figures."""
    output: Path | None = None
    """``--output``: where to write the statistical analysis."""
    performance: bool = False
    """``--performance``: a missed target is exit status 3."""
    verbose: bool = False
    """``--verbose``: every progress line stays."""
    stats: bool = False
    """``--stats``: the analysis in the summary."""
    only_changes: bool = False
    """``--only-changes``: the compare lists only changed and undecided rows."""
    verdicts: VerdictRequest = field(default_factory=VerdictRequest)
    """What to keep of the verdicts: the history store, ``--junit``, ``--markdown``, ``--strict-targets``."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a headless run ended."""

    status: ExitStatus
    """The exit status (see :func:`exit_status` for the ranking)."""
    report: SuiteReport | None = None
    """The judged rows, when the run got that far."""


def run_headless(request: HeadlessRequest, specs: list[RunSpec], config: BenchmarkConfig) -> Outcome:
    """Run, print the summary; write a recording, baseline or statistics only where asked."""
    # Everything that can be refused is refused before anything runs or is created.
    if request.duration_s is not None and math.isinf(request.duration_s) and len(specs) > 1:
        raise ConfigError(
            f"--duration inf runs one scenario until stopped, and {len(specs)} match; choose one with --pattern"
        )
    limit = scenario_limit(config.timeout_s, request.duration_s)
    baseline = load_baseline(request.compare) if request.compare is not None else None
    for option, path in (("--baseline", request.baseline), ("--output", request.output)):
        if path is not None and not path.parent.is_dir():
            raise ConfigError(f"{option} {path}: the directory {path.parent} does not exist")
    # The last refusal: it opens (or creates) the history store.
    judged = request.record is not None or request.performance
    verdicts = VerdictOutputs.open(request.verdicts, judged=judged, working_dir=Path.cwd())
    # A file size limit (ulimit -f) must give a write error we can report,
    # not the signal's default of ending the process with a core dump.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    progress = ProgressLine(sys.stderr, verbose=request.verbose)
    started_at = datetime.now(UTC)
    run: Recorder | None = None
    try:
        # SIGTERM and SIGHUP stop a headless run as Ctrl-C does; once the
        # recording runs, the recorder handles all three more gently still.
        with stop_signals(raise_stop_signal), contextlib.ExitStack() as stack:
            out = None
            if request.record is not None:
                out = stack.enter_context(
                    OutputDir(request.record, [s.row for s in specs], overwrite=request.overwrite)
                )
            run = Recorder(
                out,
                specs,
                progress,
                overwrite=request.overwrite,
                limit=limit,
                repeat=config.measurement_iterations,
                judge=partial(judge, targets=config.targets),
            )
            run.environment.update(verdicts.identity)  # results.json names the commit and machine too
            _warn_if_busy(progress)
            run.run()
    except OSError as exc:  # the disk filled up or a file vanished mid-run
        progress.notice(f"cannot write {exc.filename or request.record}: {exc.strerror}")
        return Outcome(exit_status(request, run.stopped_by if run is not None else None, failed=True))
    except StopSignal as stop:  # a second stop signal, or one before the recording ran: no time to finish
        partial_log = None if request.record is None else request.record / PARTIAL_LOG_NAME
        where = (
            f"what was measured is in {partial_log}"
            if partial_log is not None and partial_log.exists()
            else "nothing was recorded"
        )
        progress.notice(f"stopped by {stop.name} before the recording was finished; {where}")
        return Outcome(stop.exit_status)
    progress.done()
    assert run.report is not None  # run() returned
    report = run.report
    now = BaselineFigures.of(
        report,
        environment=run.environment,
        run={
            "repeat": config.measurement_iterations,
            "interval_s": specs[0].interval_s,
            "duration_s": request.duration_s,
        },
        recorded_at=started_at,
    )
    comparison = compare(baseline, now, config.thresholds) if baseline is not None else None
    # The files are written. A terminal closed under us (SIGHUP) or a reader
    # that left (a closed pipe) can still make the summary fail: the status
    # must say what happened to the run, not to the summary.
    with contextlib.suppress(OSError):
        strict = request.verdicts.strict_targets
        print_summary(report, sys.stdout, stats=request.stats or request.output is not None, strict=strict)
        for line in side_by_side(report.rows):
            print(line)
        if run.not_run:
            print(f"not run: {', '.join(run.not_run)}")
        if baseline is not None and comparison is not None:
            if comparison.warning:
                progress.notice(f"warning: {comparison.warning}")
            for line in format_comparison(
                comparison, str(request.compare), baseline.recorded_at, only_changes=request.only_changes
            ):
                print(line)
        sys.stdout.flush()
    write_failed = False
    try:
        _write_outputs(request, now, report, comparison, stopped=run.stopped_by is not None, progress=progress)
    except OSError as exc:
        progress.notice(f"cannot write {exc.filename}: {exc.strerror}")
        write_failed = True
    if run.stopped_by is None:  # a stopped run's rows are not the run's figures: no history, no CI files
        try:
            for line in verdicts.write(report, comparison, started_at=started_at, environment=run.environment):
                _say(line)
        except OSError as exc:
            progress.notice(f"cannot write {exc.filename}: {exc.strerror}")
            write_failed = True
    if run.stopped_by is not None:
        where = f"what was measured is in {request.record}" if request.record is not None else "nothing was written"
        progress.notice(f"stopped by {StopSignal(run.stopped_by).name}; {where}")
    return Outcome(exit_status(request, run.stopped_by, report, comparison, failed=write_failed), report)


def _warn_if_busy(progress: ProgressLine) -> None:
    """Once the run is sure to start (nothing left to refuse): figures from a busy machine are noisy."""
    if (busy := busy_machine()) is not None:
        progress.notice(f"warning: {busy}")


def _say(line: str) -> None:
    """A line on stdout that may find no reader (see :func:`run_headless`): the outcome stands regardless."""
    with contextlib.suppress(OSError):
        print(line, flush=True)


def _write_outputs(
    request: HeadlessRequest,
    now: BaselineFigures,
    report: SuiteReport,
    comparison: Comparison | None,
    *,
    stopped: bool,
    progress: ProgressLine,
) -> None:
    if request.baseline is not None:
        if stopped:
            # A baseline missing the scenarios after the stop would make later compares quietly partial.
            progress.notice(f"stopped early, so no baseline was saved to {request.baseline}")
        else:
            now.save(request.baseline)
            _say(f"baseline saved to {request.baseline}")
    if request.output is not None:
        write_atomically(request.output, stats_json(now, report, comparison))
        _say(f"statistics written to {request.output}")
    if request.record is not None:
        _say(f"recorded in {request.record}")


def exit_status(
    request: HeadlessRequest,
    stopped_by: int | None,
    report: SuiteReport | None = None,
    comparison: Comparison | None = None,
    *,
    failed: bool = False,
) -> ExitStatus:
    """A stop outranks a failure, and a failure a judgement: each says the one after it is incomplete.

    ``failed``: a file could not be written; ``report`` is ``None`` when the run never got to one.
    """
    if stopped_by is not None:
        return exit_status_of(stopped_by)
    if failed or report is None or any(row.result.status in (Status.FAILED, Status.TIMED_OUT) for row in report.rows):
        return ExitStatus.FAILED
    if comparison is not None and comparison.regressions:
        return ExitStatus.REGRESSION
    strict = request.verdicts.strict_targets
    if request.performance and (report.missed_strictly() if strict else report.missed):
        return ExitStatus.TARGET_MISSED
    return ExitStatus.OK


def replay_headless(
    log: Path,
    value_unit: str,
    record: Path | None,
    *,
    overwrite: bool,
    window: LogWindow = WHOLE_LOG,
    csv: bool = False,
) -> Outcome:
    """``--replay LOG`` headless: print the log's summary; with ``record``, write its recording files there.

    ``window`` and ``csv`` are Java's processor's options (a range, a correction, its CSV form).
    """
    replay = replay_log(log, value_unit, window)
    if record is not None:
        try:
            write_replay(replay, record, overwrite=overwrite, csv=csv)
        except OSError as exc:
            print(f"nimsync-tui: cannot write {exc.filename or record}: {exc.strerror}", file=sys.stderr)
            return Outcome(ExitStatus.FAILED, replay.report)
    print_summary(replay.report, sys.stdout)
    if record is not None:
        print(f"recorded in {record}")
    return Outcome(ExitStatus.OK, replay.report)


_ERASE_LINE = "\r\x1b[K"
"""Back to the start of the terminal's line and clear it."""


class ProgressLine:
    """A recording's progress as one status line on stderr: rewritten in place on a terminal,
    appended otherwise (or with ``verbose``); what goes wrong as lines that stay.

    Once a write fails (the terminal was closed, the reader of the pipe left)
    nothing more is written: the recording goes on and ends as it would have.
    """

    def __init__(self, stream: TextIO, *, verbose: bool = False) -> None:
        self._stream: TextIO | None = stream
        self._tty = stream.isatty() and not verbose

    def __call__(self, line: str) -> None:
        self._write(_ERASE_LINE + line if self._tty else f"{line}\n")

    def interval(self, position: str, record: IntervalRecord, latency: LatencySummary) -> None:
        """An interval arrived."""
        self(
            f"{position} {record.tag:<28} {record.phase:<7} "
            f"{record.total_ops / 1e6:8.3f} M ops  {record.ops_per_s / 1e6:7.3f} M ops/s  "
            f"p99 {_micros(latency.p99)}  rss {record.rss_bytes / 2**20:6.1f} MiB"
        )

    def repetition(self, position: str, result: ScenarioResult) -> None:
        """A run's result row was counted."""
        outcome = "done" if result.status == Status.COMPLETED else result.status.replace("_", " ")
        self(
            f"{position} {result.name:<28} {outcome:<7} {result.operations:,} {result.operation}s in "
            f"{result.duration_s:.3f} s = {result.throughput_ops_s:,.0f} ops/s"
        )

    def nothing_measured(self, position: str, scenario: str) -> None:
        """A run was stopped during its warm-up."""
        self(f"{position} {scenario:<28} stopped during warm-up: nothing measured")

    def notice(self, line: str) -> None:
        """A line that stays: what went wrong, addressed to the user."""
        self._write((_ERASE_LINE if self._tty else "") + f"nimsync-tui: {line}\n")

    def done(self) -> None:
        """End the in-place line so what follows starts on a fresh one."""
        if self._tty:
            self._write("\n")

    def _write(self, text: str) -> None:
        if self._stream is None:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except OSError:
            self._stream = None


def _micros(value_ns: int | None) -> str:
    """A latency for the progress line; an interval without samples has none."""
    return "      n/a   " if value_ns is None else f"{value_ns / 1e3:9.3f} µs"
