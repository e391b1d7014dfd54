"""Headless ``--record``: run scenarios one after another and write their files.

Writes into the output directory:

- ``run.hlog``: every measured interval histogram, tagged by scenario, with the
  interval's vital signs as JSON comments (HdrHistogram log format 1.3);
- ``<scenario>.hgrm``: the percentile distribution of each scenario, in
  microseconds, as the reference ``HistogramLogProcessor`` prints it;
- ``results.json``: per-scenario summary, repetitions, analysis, targets, and the environment;
- ``intervals.csv``: one row per interval, warm-up included.

Each scenario runs ``repeat`` times, each repetition in a fresh load process;
its files hold all repetitions (the log's intervals, the merged ``.hgrm``).
Without an output directory the same run writes nothing: only the report is kept.

What a recording promises when things go wrong:

- Existing files are never overwritten unless asked, and every file appears
  only once complete (written to a temporary name, then renamed); the final
  files are all written before the first is renamed, so a full disk leaves
  an earlier recording whole.
- The log grows as ``run.hlog.partial``, one whole interval at a time: a
  recorder killed outright leaves every completed interval there, readable;
  a failed write is cut back to the last whole interval.
- A repetition whose load fails, dies or overruns its timeout is reported on
  one line, kept in the files as ``failed`` or ``timed_out`` with what it
  measured until then (its row takes that status), and the next run starts.
- SIGINT, SIGTERM and SIGHUP stop the running scenario gently and skip the
  rest; the files are still written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import io
import os
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from hdrh.histogram import HdrHistogram

from nimsync_tui.scenarios import SCENARIOS

from ..core.files import StagedFiles
from ..core.hgrm import format_percentile_distribution
from ..core.histogram import decode_histogram, new_histogram
from ..core.hlog import HlogWriter
from ..core.protocol import IntervalRecord, RunEnded, RunStarted, StepEnded, event_json
from ..core.recording import LOG_NAME, PARTIAL_LOG_NAME
from ..errors import ConfigError, HistogramFormatError, LoadFailedError, OutputExistsError
from ..suite.environment import fingerprint
from ..suite.report import RowMeasurement, SuiteReport, add_repetition, results_json
from ..suite.report import judge as judge_rows
from ..suite.results import (
    IntervalLatency,
    Latency,
    ScenarioResult,
    intervals_csv,
    latency_of,
    scenario_result,
)
from .collect import Row, ScenarioCollector
from .config import MAX_SECONDS, RunSpec
from .process import RunnerProcess
from .stopping import STOP_SIGNALS, raise_stop_signal, stop_signals

HGRM_UNIT_RATIO = 1000.0
"""``.hgrm`` files are in microseconds; histograms are recorded in nanoseconds."""

DEFAULT_TIMEOUT_S = 30.0
"""The suite's limit per scenario (per step of a stepped one; the first includes the warm-up);
with ``--duration`` it is added to the duration."""


def scenario_timeout(timeout_s: float | None, duration_s: float | None) -> float:
    """The time a scenario may run: ``timeout_s`` if given, else the default past ``duration_s``.

    Raises :class:`ConfigError` for a timeout that is not positive, or that
    would stop every scenario before its ``duration_s`` is up.
    """
    if timeout_s is None:
        return DEFAULT_TIMEOUT_S + (duration_s or 0.0)
    if not timeout_s > 0:
        raise ConfigError(f"--timeout must be a positive number of seconds, got {timeout_s}")
    if timeout_s > MAX_SECONDS:
        raise ConfigError(f"--timeout must be at most {MAX_SECONDS:g} s (a week), got {timeout_s:g}")
    if duration_s is not None and not timeout_s > duration_s:
        raise ConfigError(f"--timeout {timeout_s:g} s would stop every scenario before its --duration {duration_s:g} s")
    return timeout_s


class _Log:
    """The growing ``run.hlog.partial``: appended one whole interval at a time.

    Each :meth:`write` goes to the file with ``os.write`` at once, never left
    in a buffer, so a recorder killed outright leaves only whole intervals; a
    write that fails (a full disk) is cut back to the last whole one before
    the error goes on.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # A new file, never one a link there points to: an old one (allowed by --overwrite) goes first.
        path.unlink(missing_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        self._size = 0

    def write(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        size = len(data)
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            # The write's error is the one to report, whatever the cut back to the last whole interval says.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        self._size += size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class OutputDir:
    """A directory claimed by one recording: created, locked, checked for old files.

    The lock (``flock`` on the directory itself, released when the process
    ends however it ends) keeps two recordings from writing one directory.
    A directory that cannot be claimed is left as it was found: any folder
    created for it on the way is removed again.
    """

    def __init__(self, path: Path, scenarios: Iterable[str], *, overwrite: bool) -> None:
        self.path = path
        """The directory."""
        created = _make_directories(path)
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            _remove_directories(created)
            raise ConfigError(f"cannot open {_short(path)}: {exc.strerror}") from None
        try:
            self._lock_and_check(scenarios, overwrite)
            self.log = _Log(path / PARTIAL_LOG_NAME)
            """The partial log file; every :meth:`_Log.write` reaches it whole."""
        except BaseException as exc:
            os.close(self._fd)
            _remove_directories(created)
            if isinstance(exc, OSError):
                raise ConfigError(f"cannot write in {_short(path)}: {exc.strerror}") from None
            raise

        # Log lines gather here and reach the file one whole interval at a
        # time, by commit_log() (see _Log).
        self._pending = io.StringIO()
        self.hlog = HlogWriter(self._pending)
        """The recording's log: what is written here reaches ``run.hlog.partial`` at :meth:`commit_log`."""

    def commit_log(self) -> None:
        """Append what :attr:`hlog` gathered since the last commit to the log file, as one write."""
        self.log.write(self._pending.getvalue())
        self._pending.seek(0)
        self._pending.truncate()

    def _lock_and_check(self, scenarios: Iterable[str], overwrite: bool) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputExistsError(
                f"another nimsync-tui is recording into {self.path}; wait for it or choose another directory"
            ) from None
        names = [LOG_NAME, PARTIAL_LOG_NAME, "results.json", "intervals.csv"]
        # Steps write one distribution each, so any .hgrm here is an earlier recording's.
        names += sorted({f"{scenario}.hgrm" for scenario in scenarios} | {p.name for p in self.path.glob("*.hgrm")})
        taken = [n for n in names if (self.path / n).is_symlink() or (self.path / n).exists()]
        if taken and not overwrite:
            raise OutputExistsError(
                f"{self.path} already holds a recording ({', '.join(taken)}); "
                "choose another directory or pass --overwrite"
            )

    def finish(self, files: dict[str, str], *, remove: set[str]) -> None:
        """Write ``files`` (name: text) and rename the log into place; then delete the ``remove`` names.

        The log goes last: its presence marks a finished recording.
        """
        self.commit_log()
        self.log.close()
        with StagedFiles() as staged:
            for name, text in files.items():
                path = self.path / name
                try:
                    staged.write(path, text)
                except OSError as exc:
                    raise OSError(exc.errno, exc.strerror, str(path)) from None
            staged.commit()
        os.replace(self.path / PARTIAL_LOG_NAME, self.path / LOG_NAME)
        for name in remove:
            (self.path / name).unlink(missing_ok=True)

    def close(self) -> None:
        """Release the directory (and close the log if still open)."""
        self.log.close()
        os.close(self._fd)

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _make_directories(path: Path) -> list[Path]:
    """Create ``path`` and its missing parents; the folders created, outermost first.

    On failure nothing created stays behind, and the error is a :class:`ConfigError`.
    """
    created: list[Path] = []
    try:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{path} exists and is not a directory")
        missing = []
        folder = path
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
    except OSError as exc:
        _remove_directories(created)
        raise ConfigError(f"cannot create {_short(path)}: {exc.strerror}") from None
    return created


def _remove_directories(created: list[Path]) -> None:
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            return  # something else put a file there meanwhile: leave it


def _short(path: Path) -> str:
    # An over-long path must still give a line a person can read.
    text = str(path)
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]} ({len(text)} characters)"


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
        progress: Callable[[str], None],
        *,
        notice: Callable[[str], None],
        overwrite: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        repeat: int = 1,
        judge: Judge | None = None,
    ) -> None:
        self._out = out
        self._specs = specs
        self._progress = progress
        self._notice = notice
        self._overwrite = overwrite
        self._timeout_s = timeout_s
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
        self._measured: dict[str, RowMeasurement] = {}
        self._rows: list[tuple[IntervalRecord, Latency]] = []
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
        runs = [(index, spec, rep) for index, spec in enumerate(self._specs, 1) for rep in range(1, self._repeat + 1)]
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
            self.report = self._judge(list(self._measured.values()))
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
        collector = ScenarioCollector()
        first_row = len(self._rows)
        measured: list[IntervalRecord] = []
        failure: LoadFailedError | None = None
        with RunnerProcess(spec, timeout_s=self._timeout_s) as proc:
            self._running = proc
            if self.stopped_by is not None:  # the signal came while the process started
                proc.stop()
            try:
                for event in proc.events():
                    collector.feed(event)
                    if isinstance(event, IntervalRecord):
                        record, histogram = self._on_interval(event, proc.base_time_s)
                        collector.add_interval(record, histogram)
                        if record.phase == "measure":
                            measured.append(record)
                        self._progress(
                            f"{position} {record.tag:<28} {record.phase:<7} "
                            f"{record.total_ops / 1e6:8.3f} M ops  {record.ops_per_s / 1e6:7.3f} M ops/s  "
                            f"p99 {_micros(self._rows[-1][1].p99)}  rss {record.rss_bytes / 2**20:6.1f} MiB"
                        )
                    else:
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
            if collector.ended.phase != "measure":
                self._progress(f"{position} {spec.scenario:<28} stopped during warm-up: nothing measured")
                return
            rows = collector.rows()
        else:
            rows = _failed_rows(spec, proc.pid, collector, measured, status=status, error=error)
        assert collector.started is not None  # _failed_rows fed one otherwise
        for row in rows:
            self._count_repetition(collector.started, row.result, row.histogram, self._rows[first_row:], position)

    def _count_repetition(
        self,
        started: RunStarted,
        result: ScenarioResult,
        histogram: HdrHistogram,
        rows: list[tuple[IntervalRecord, Latency]],
        position: str,
    ) -> None:
        """Count one run's result row as a repetition of that row, and report it."""
        add_repetition(self._measured, started, result, histogram, rows)
        outcome = "done" if result.status == "completed" else result.status.replace("_", " ")
        self._progress(
            f"{position} {result.name:<28} {outcome:<7} {result.operations:,} {result.operation}s in "
            f"{result.duration_s:.3f} s = {result.throughput_ops_s:,.0f} ops/s"
        )

    def _outcome(
        self, spec: RunSpec, proc: RunnerProcess, ended: RunEnded | None, failure: LoadFailedError | None
    ) -> tuple[str, str | None]:
        """The scenario's status and, unless all went well, why; says so on one line."""
        if proc.timed_out:
            error = f"timed out after {self._timeout_s:g} s"
            if failure is not None:
                error += " (it did not stop when asked and was killed)"
            self._notice(f"{spec.scenario} {error}")
            return "timed_out", error
        if failure is not None:
            self._notice(str(failure))
            return "failed", failure.cause
        assert ended is not None  # events() raised otherwise
        return ended.status, None

    def _on_interval(self, event: IntervalRecord, runner_base_s: float) -> tuple[IntervalRecord, HdrHistogram]:
        """Log a measured interval; returns the record as kept and its decoded histogram."""
        interval_hist = decode_histogram(event.histogram)
        # One timeline for the whole recording: the runner counts from its
        # own base time, the log from ours.
        record = dataclasses.replace(
            event,
            start_s=round(runner_base_s + event.start_s - self._hlog.base_time_s, 6),
            histogram="",  # merged by the collector; keeping every payload would grow without bound
        )
        self._rows.append((record, latency_of(interval_hist)))
        if record.phase == "measure":
            log_interval(self._hlog, record, interval_hist)
            self._commit_log()
        return record, interval_hist

    def _write_files(self, out: OutputDir, report: SuiteReport) -> None:
        write_recording_files(
            out,
            # A row that measured nothing (its load failed first) has no distribution to write.
            {name: row.histogram for name, row in self._measured.items() if row.histogram.get_total_count()},
            self._rows,
            report,
            started_at=self._started_at,
            environment=self.environment,
            overwrite=self._overwrite,
            not_run=self.not_run,
        )


def log_interval(hlog: HlogWriter, record: IntervalRecord, hist: HdrHistogram) -> None:
    """One measured interval as a recording's log holds it: the histogram line, then its JSON comment."""
    hlog.write_interval(record.tag, record.start_s, record.length_s, hist)
    hlog.write_comment(event_json(record))


def write_recording_files(
    out: OutputDir,
    histograms: Mapping[str, HdrHistogram],
    rows: Sequence[tuple[IntervalRecord, IntervalLatency]],
    report: SuiteReport,
    *,
    started_at: datetime,
    environment: dict[str, Any],
    overwrite: bool,
    not_run: Sequence[str] = (),
    hgrm_unit_ratio: float = HGRM_UNIT_RATIO,
    hgrm_header: Sequence[str] = (),
) -> None:
    """Write a recording's ``.hgrm``, ``intervals.csv`` and ``results.json``, then move its log into place.

    Shared by ``--record``, the app's export and ``--replay``, so all write the same files.
    ``not_run`` names the scenarios a stopped recording never started.
    """
    files = {
        f"{name}.hgrm": format_percentile_distribution(
            hist, output_unit_ratio=hgrm_unit_ratio, header_lines=hgrm_header
        )
        for name, hist in histograms.items()
    }
    files["intervals.csv"] = intervals_csv(rows)
    files["results.json"] = results_json(report, started_at=started_at, environment=environment, not_run=not_run)
    # With --overwrite, distributions of scenarios (or steps) this recording lacks are stale.
    stale = {p.name for p in out.path.glob("*.hgrm")} - files.keys() if overwrite else set()
    out.finish(files, remove=stale)


def _failed_rows(
    spec: RunSpec,
    pid: int,
    collector: ScenarioCollector,
    measured: list[IntervalRecord],
    *,
    status: str,
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
                phase="measure" if measured else "warmup",
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
        if row.result.status == "completed"
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
    )


def _micros(value_ns: int | None) -> str:
    """A latency for the progress line; an interval without samples has none."""
    return "      n/a   " if value_ns is None else f"{value_ns / 1e3:9.3f} µs"
