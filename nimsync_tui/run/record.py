"""Headless ``--record``: run scenarios one after another and turn their events into a recording.

The files (see :mod:`nimsync_tui.recording`) are:

- ``run.hlog``: every measured interval histogram, tagged by scenario, with the
  interval's vital signs as JSON comments (HdrHistogram log format 1.3);
- ``<scenario>.hgrm``: the percentile distribution of each scenario, in
  microseconds, as the reference ``HistogramLogProcessor`` prints it;
- ``results.json``: per-scenario summary, repetitions, analysis, targets, and the environment;
- ``intervals.csv``: one row per interval, warm-up included;
- ``summary.txt``: one line per row, its headline figures and verdicts.

Each scenario runs ``repeat`` times, each repetition in a fresh load process;
its files hold all repetitions (the log's intervals, the merged ``.hgrm``).
Without an output directory the same run writes nothing: only the report is kept.

When things go wrong (the files' own promises are in :mod:`nimsync_tui.recording.directory`):

- A repetition whose load fails, dies or overruns its timeout is reported on
  one line, kept in the files as ``failed`` or ``timed_out`` with what it
  measured until then (its row takes that status), and the next run starts.
- SIGINT, SIGTERM and SIGHUP stop the running scenario gently and skip the
  rest; the files are still written.
"""

from __future__ import annotations

import dataclasses
import io
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from types import FrameType
from typing import Protocol

from nimsync_tui.scenarios import SCENARIOS

from ..core.histogram import LatencySummary, decode_histogram, new_histogram
from ..core.hlog import HlogWriter
from ..core.protocol import IntervalRecord, Phase, RunEnded, RunStarted, Status, StepEnded, event_json
from ..errors import ConfigError, HistogramFormatError, LoadFailedError
from ..recording.directory import OutputDir
from ..recording.files import log_interval, write_recording_files
from ..suite.environment import fingerprint
from ..suite.report import RowMeasurement, SuiteReport
from ..suite.report import judge as judge_rows
from ..suite.results import ScenarioResult, scenario_result
from .collect import Row, RunRows, ScenarioCollector
from .config import MAX_SECONDS, RunSpec, interleaved
from .process import RunnerProcess
from .stopping import STOP_SIGNALS, raise_stop_signal, stop_signals

DEFAULT_STALL_S = 30.0
"""Without ``--timeout``: how long a load may go without completing an operation before it is stopped."""


@dataclasses.dataclass(frozen=True)
class TimeLimit:
    """When a scenario's load is stopped and kept as ``timed_out``.

    ``--timeout`` bounds each step's time whatever it does (``total_s``).
    Without it, only a load that stops making progress is stopped
    (``stall_s`` with no operation completed): a slow implementation's
    bounded count is still measured to its end, however long it takes,
    while a hung or deadlocked one is stopped as soon as by a timeout.
    """

    total_s: float | None = None
    stall_s: float | None = None

    def describe(self, stalled: bool) -> str:
        """Why a load was stopped, for the notice and the row's error."""
        if stalled:
            return f"made no progress for {self.stall_s:g} s (no operation completed; --timeout sets a time limit)"
        return f"timed out after {self.total_s:g} s"


def scenario_limit(timeout_s: float | None, duration_s: float | None) -> TimeLimit:
    """The limit on a scenario's run: ``timeout_s`` per step if given, else the stall limit.

    Raises :class:`ConfigError` for a timeout that is not positive, or that
    would stop every scenario before its ``duration_s`` is up.
    """
    if timeout_s is None:
        return TimeLimit(stall_s=DEFAULT_STALL_S)
    if not timeout_s > 0:
        raise ConfigError(f"--timeout must be a positive number of seconds, got {timeout_s}")
    if timeout_s > MAX_SECONDS:
        raise ConfigError(f"--timeout must be at most {MAX_SECONDS:g} s (a week), got {timeout_s:g}")
    if duration_s is not None and not timeout_s > duration_s:
        raise ConfigError(f"--timeout {timeout_s:g} s would stop every scenario before its --duration {duration_s:g} s")
    return TimeLimit(total_s=timeout_s)


class RecordingProgress(Protocol):
    """Who hears how a recording goes; ``position`` says which scenario and repetition (``[2/5] rep 1/3``)."""

    def interval(self, position: str, record: IntervalRecord, latency: LatencySummary) -> None:
        """An interval arrived (and, if measured, is in the log)."""

    def repetition(self, position: str, result: ScenarioResult) -> None:
        """A run ended with this result row, counted as a repetition of its row."""

    def nothing_measured(self, position: str, scenario: str) -> None:
        """A run was stopped during its warm-up."""

    def notice(self, line: str) -> None:
        """Something went wrong (a load failed or timed out), said in one line."""


class _Discard(io.StringIO):
    """The log of a run that writes nothing (and keeps nothing)."""

    def write(self, s: str) -> int:
        return len(s)


Judge = Callable[[list[RowMeasurement]], SuiteReport]
"""Turns the measured rows into the run's report (targets bound in by the caller)."""


class Recorder:
    """Runs scenarios and turns their event streams into the output files."""

    def __init__(
        self,
        out: OutputDir | None,
        specs: list[RunSpec],
        progress: RecordingProgress,
        *,
        overwrite: bool = False,
        limit: TimeLimit = TimeLimit(stall_s=DEFAULT_STALL_S),
        repeat: int = 1,
        judge: Judge | None = None,
    ) -> None:
        self._out = out
        self._specs = specs
        self._progress = progress
        self._overwrite = overwrite
        self._limit = limit
        self._repeat = repeat
        self._judge = judge if judge is not None else partial(judge_rows, targets=())
        self._started_at = datetime.now(UTC)
        self.environment = fingerprint()
        """The machine and its load when the run started."""
        # The log is streamed as intervals arrive, so a crash hours in still
        # leaves the data, and renamed into place at the end.
        self._hlog = out.hlog if out is not None else HlogWriter(_Discard())
        self._hlog.write_header(time.time())
        self._commit_log()
        self._rows = RunRows()
        self._running: RunnerProcess | None = None
        self.results: list[ScenarioResult] = []
        """Results of the scenarios run, each over its repetitions, failed and timed-out ones included."""
        self.report: SuiteReport | None = None
        """The judged run, once :meth:`run` returned."""
        self.stopped_by: int | None = None
        """The signal (SIGINT, SIGTERM, SIGHUP) that stopped the recording, if one did."""
        self.not_run: list[str] = []
        """Scenarios never started because the recording was stopped first."""

    def run(self) -> list[ScenarioResult]:
        """Record every scenario, then write the files; returns their results.

        A stop signal stops the running scenario cleanly (its last interval
        still counts) and skips the rest; what was measured is still written.
        A scenario that fails or times out is kept as such, and the next runs.
        """
        runs = interleaved(self._specs, self._repeat)
        with stop_signals(self._stop_gently):
            for index, spec, rep in runs:
                if self.stopped_by is not None:
                    # A scenario with a repetition already run is measured, if not fully.
                    self.not_run = [s.scenario for s in self._specs[index - 1 if rep == 1 else index :]]
                    break
                position = f"[{index}/{len(self._specs)}]"
                if self._repeat > 1:
                    position += f" rep {rep}/{self._repeat}"
                self._record_one(spec, position)
            self.report = self._judge(list(self._rows.measured.values()))
            self.results = [row.result for row in self.report.rows]
            if self._out is not None:
                self._write_files(self._out, self.report)
        return self.results

    def _commit_log(self) -> None:
        if self._out is not None:
            self._out.commit_log()

    def _stop_gently(self, signum: int, _frame: FrameType | None) -> None:
        # The runner still owes its last interval and its end, so reading
        # goes on undisturbed; a second stop signal raises StopSignal.
        self.stopped_by = signum
        for other in STOP_SIGNALS:
            if signal.getsignal(other) == self._stop_gently:
                signal.signal(other, raise_stop_signal)
        if self._running is not None:
            self._running.stop()

    def _record_one(self, spec: RunSpec, position: str) -> None:
        collector = self._rows.begin()
        failure: LoadFailedError | None = None
        with RunnerProcess(spec, timeout_s=self._limit.total_s, stall_s=self._limit.stall_s) as proc:
            self._running = proc
            if self.stopped_by is not None:  # the signal came while the process started
                proc.stop()
            try:
                for event in proc.events():
                    if isinstance(event, IntervalRecord):
                        if event.ops:
                            proc.progressed()
                        record, latency = self._on_interval(event, proc.base_time_s)
                        self._progress.interval(position, record, latency)
                    else:
                        collector.feed(event)
                        if isinstance(event, RunStarted):
                            proc.progressed()  # the stall limit counts from the load's start, not the import
                        if isinstance(event, StepEnded):
                            proc.restart_timeout()  # the timeout bounds each step
                        self._hlog.write_comment(event_json(event))
                        self._commit_log()
            except LoadFailedError as exc:
                failure = exc
            except HistogramFormatError as exc:  # a broken payload is the load's failure, not bad input
                failure = LoadFailedError(spec.scenario, f"load process wrote an undecodable histogram: {exc}")
            finally:
                self._running = None
        status, error = self._outcome(spec, proc, collector.ended, failure)
        if error is None:
            assert collector.ended is not None  # events() raised otherwise
            if collector.ended.phase != Phase.MEASURE:
                self._progress.nothing_measured(position, spec.scenario)
                self._rows.end()
                return
            rows = collector.rows()
        else:
            measured = [r for r in self._rows.run_intervals if r.phase == Phase.MEASURE]
            rows = _failed_rows(spec, proc.pid, collector, measured, status=status, error=error)
        for row in rows:
            self._rows.count(row)
            self._progress.repetition(position, row.result)
        self._rows.end()

    def _outcome(
        self, spec: RunSpec, proc: RunnerProcess, ended: RunEnded | None, failure: LoadFailedError | None
    ) -> tuple[Status, str | None]:
        """The scenario's status and, unless all went well, why; says so on one line."""
        if proc.timed_out:
            error = self._limit.describe(proc.stalled)
            if failure is not None:
                error += " (it did not stop when asked and was killed)"
            self._progress.notice(f"{spec.scenario} {error}")
            return Status.TIMED_OUT, error
        if failure is not None:
            self._progress.notice(str(failure))
            return Status.FAILED, failure.cause
        assert ended is not None  # events() raised otherwise
        return ended.status, None

    def _on_interval(self, event: IntervalRecord, runner_base_s: float) -> tuple[IntervalRecord, LatencySummary]:
        """Log a measured interval; returns the record as kept and its latency."""
        interval_hist = decode_histogram(event.histogram)
        # One timeline for the whole recording: the runner counts from its
        # own base time, the log from ours.
        record = dataclasses.replace(
            event,
            start_s=round(runner_base_s + event.start_s - self._hlog.base_time_s, 6),
            histogram="",  # merged by the collector; keeping every payload would grow without bound
        )
        latency = self._rows.add_interval(record, interval_hist)
        if record.phase == Phase.MEASURE:
            log_interval(self._hlog, record, interval_hist)
            self._commit_log()
        return record, latency

    def _write_files(self, out: OutputDir, report: SuiteReport) -> None:
        write_recording_files(
            out,
            # A row that measured nothing (its load failed first) has no distribution to write.
            {name: row.histogram for name, row in self._rows.measured.items() if row.histogram.get_total_count()},
            self._rows.intervals,
            report,
            started_at=self._started_at,
            environment=self.environment,
            overwrite=self._overwrite,
            not_run=self.not_run,
        )


def _failed_rows(
    spec: RunSpec,
    pid: int,
    collector: ScenarioCollector,
    measured: list[IntervalRecord],
    *,
    status: Status,
    error: str,
) -> list[Row]:
    """The rows of a scenario that failed or timed out: what it measured until then, marked so.

    Steps that ended before the failure keep their own rows and status; the
    rest (the step cut short, the scenario's summary) get ``status`` and ``error``.
    """
    if collector.started is None:
        collector.feed(_started_from(spec, pid))
    if collector.ended is None:  # the load died: end the stream for it
        collector.feed(
            RunEnded(
                status=status,
                phase=Phase.MEASURE if measured else Phase.WARMUP,
                total_ops=sum(r.ops for r in measured),
                measured_s=sum(r.length_s for r in measured),
            )
        )
    rows = collector.rows()
    if not rows:  # nothing measured: the row still says what happened
        assert collector.started is not None
        empty = new_histogram()
        rows = [Row(scenario_result(collector.started, [], empty, status=status, duration_s=0.0, operations=0), empty)]
    return [
        row
        if row.result.status == Status.COMPLETED
        else dataclasses.replace(row, result=dataclasses.replace(row.result, status=status, error=error))
        for row in rows
    ]


def _started_from(spec: RunSpec, pid: int) -> RunStarted:
    """What the runner would have said on starting, for a load that died before it could."""
    scenario = SCENARIOS[spec.scenario]
    return RunStarted(
        scenario=spec.scenario,
        measures=scenario.measures_with(spec.params),
        operation=scenario.operation,
        params=dataclasses.asdict(spec.params),
        interval_s=spec.interval_s,
        pid=pid,
        title=scenario.title,
        category=scenario.category,
        tag=spec.tag or "",
    )
