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

Existing files are never overwritten unless asked, and every file appears
only once complete (written to a temporary name, then renamed).
"""

from __future__ import annotations

import dataclasses
import fcntl
import io
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, TextIO

from hdrh.histogram import HdrHistogram

from ..core.files import write_atomically
from ..core.hgrm import format_percentile_distribution
from ..core.histogram import decode_histogram
from ..core.hlog import HlogWriter
from ..core.protocol import IntervalRecord, RunStarted, event_json
from ..core.recording import LOG_NAME, PARTIAL_LOG_NAME
from ..errors import ConfigError, OutputExistsError, RunnerError
from ..suite.environment import fingerprint
from ..suite.report import RowMeasurement, SuiteReport, add_repetition, results_json
from ..suite.report import judge as judge_rows
from ..suite.results import (
    IntervalLatency,
    Latency,
    ScenarioResult,
    intervals_csv,
    latency_of,
)
from .collect import ScenarioCollector
from .config import RunSpec
from .process import RunnerProcess

HGRM_UNIT_RATIO = 1000.0
"""``.hgrm`` files are in microseconds; histograms are recorded in nanoseconds."""


class OutputDir:
    """A directory claimed by one recording: created, locked, checked for old files.

    The lock (``flock`` on the directory itself, released when the process
    ends however it ends) keeps two recordings from writing one directory.
    """

    def __init__(self, path: Path, scenarios: Iterable[str], *, overwrite: bool) -> None:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{path} exists and is not a directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise ConfigError(f"cannot create {path}: {exc.strerror}") from None
        self.path = path
        """The directory."""
        try:
            self._lock_and_check(scenarios, overwrite)
            log = (path / PARTIAL_LOG_NAME).open("w", encoding="utf-8", newline="\n")
        except OSError as exc:
            os.close(self._fd)
            raise ConfigError(f"cannot write in {path}: {exc.strerror}") from None
        except BaseException:
            os.close(self._fd)
            raise
        self.log: TextIO = log
        """The partial log, open for writing."""

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
        taken = [n for n in names if (self.path / n).exists()]
        if taken and not overwrite:
            raise OutputExistsError(
                f"{self.path} already holds a recording ({', '.join(taken)}); "
                "choose another directory or pass --overwrite"
            )

    def write(self, name: str, text: str) -> None:
        """Write the file ``name`` atomically."""
        write_atomically(self.path / name, text)

    def finish_log(self) -> None:
        """Rename the complete log into place."""
        self.log.close()
        os.replace(self.path / PARTIAL_LOG_NAME, self.path / LOG_NAME)

    def remove_stale_distributions(self, recorded: set[str]) -> None:
        """Remove ``.hgrm`` files of scenarios (or steps) an overwritten recording had and this one has not."""
        for stale in self.path.glob("*.hgrm"):
            if stale.name.removesuffix(".hgrm") not in recorded:
                stale.unlink(missing_ok=True)

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
        overwrite: bool = False,
        repeat: int = 1,
        judge: Judge | None = None,
    ) -> None:
        self._out = out
        self._specs = specs
        self._progress = progress
        self._overwrite = overwrite
        self._repeat = repeat
        self._judge = judge if judge is not None else partial(judge_rows, targets=())
        self._started_at = datetime.now(UTC)
        self.environment = fingerprint()
        """The machine and its load when the run started."""
        # The log is streamed as intervals arrive, so a crash hours in still
        # leaves the data, and renamed into place at the end.
        self._hlog = HlogWriter(out.log if out is not None else _Discard())
        self._hlog.write_header(time.time())
        self._measured: dict[str, RowMeasurement] = {}
        self._rows: list[tuple[IntervalRecord, Latency]] = []
        self._running: RunnerProcess | None = None
        self.results: list[ScenarioResult] = []
        """Results of the scenarios measured, each over its repetitions."""
        self.report: SuiteReport | None = None
        """The judged run, once :meth:`run` returned."""
        self.interrupted = False
        """True once the user stopped the recording (Ctrl-C)."""

    def run(self) -> list[ScenarioResult]:
        """Record every scenario, then write the files; returns their results.

        Ctrl-C stops the running scenario cleanly (its last interval still
        counts) and skips the rest; what was measured is still written.
        """
        runs = [(index, spec, rep) for index, spec in enumerate(self._specs, 1) for rep in range(1, self._repeat + 1)]
        with self._ctrl_c_stops():
            for index, spec, rep in runs:
                if self.interrupted:
                    break
                position = f"[{index}/{len(self._specs)}]"
                if self._repeat > 1:
                    position += f" rep {rep}/{self._repeat}"
                try:
                    self._record_one(spec, position)
                except RunnerError as exc:
                    if self._out is None:
                        raise
                    partial = self._out.path / PARTIAL_LOG_NAME
                    raise RunnerError(f"{exc} (what was measured is in {partial})") from None
            measured = list(self._measured.values())
            self.report = self._judge(measured)
            self.results = [row.result for row in self.report.rows]
            if self._out is not None:
                self._write_files(self._out, self.report)
        return self.results

    @contextmanager
    def _ctrl_c_stops(self) -> Iterator[None]:
        """While recording, Ctrl-C asks the running load to stop instead of raising.

        The runner still owes its last interval and its end, so reading goes
        on undisturbed; a second Ctrl-C raises KeyboardInterrupt as usual.
        """

        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.interrupted = True
            signal.signal(signal.SIGINT, signal.default_int_handler)
            if self._running is not None:
                self._running.stop()

        previous = signal.signal(signal.SIGINT, stop)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _record_one(self, spec: RunSpec, position: str) -> None:
        collector = ScenarioCollector()
        first_row = len(self._rows)
        with RunnerProcess(spec) as proc:
            self._running = proc
            if self.interrupted:  # Ctrl-C came while the process started
                proc.stop()
            for event in proc.events():
                collector.feed(event)
                if isinstance(event, IntervalRecord):
                    record, histogram = self._on_interval(event, proc.base_time_s)
                    collector.add_interval(record, histogram)
                    self._progress(
                        f"{position} {record.tag:<28} {record.phase:<7} "
                        f"{record.total_ops / 1e6:8.3f} M ops  {record.ops_per_s / 1e6:7.3f} M ops/s  "
                        f"p99 {_micros(self._rows[-1][1].p99)}  rss {record.rss_bytes / 2**20:6.1f} MiB"
                    )
                else:
                    self._hlog.write_comment(event_json(event))
        self._running = None
        assert collector.started is not None and collector.ended is not None  # events() raised otherwise
        if collector.ended.phase != "measure":
            self._progress(f"{position} {spec.scenario:<28} stopped during warm-up: nothing measured")
            return
        for row in collector.rows():
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
        self._progress(
            f"{position} {result.name:<28} done    {result.operations:,} {result.operation}s in "
            f"{result.duration_s:.3f} s = {result.throughput_ops_s:,.0f} ops/s"
        )

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
            if self._out is not None:
                self._out.log.flush()
        return record, interval_hist

    def _write_files(self, out: OutputDir, report: SuiteReport) -> None:
        write_recording_files(
            out,
            {name: row.histogram for name, row in self._measured.items()},
            self._rows,
            report,
            started_at=self._started_at,
            environment=self.environment,
            overwrite=self._overwrite,
        )


def log_interval(hlog: HlogWriter, record: IntervalRecord, hist: HdrHistogram) -> None:
    """One measured interval as a recording's log holds it: the histogram line, then its JSON comment."""
    hlog.write_interval(record.tag, record.start_s, record.length_s, hist)
    hlog.write_comment(event_json(record))


def write_recording_files(
    out: OutputDir,
    histograms: dict[str, HdrHistogram],
    rows: Sequence[tuple[IntervalRecord, IntervalLatency]],
    report: SuiteReport,
    *,
    started_at: datetime,
    environment: dict[str, Any],
    overwrite: bool,
    hgrm_unit_ratio: float = HGRM_UNIT_RATIO,
    hgrm_header: Sequence[str] = (),
) -> None:
    """Write a recording's ``.hgrm``, ``intervals.csv`` and ``results.json``, then move its log into place.

    Shared by ``--record``, the app's export and ``--replay``, so all write the same files.
    """
    for name, hist in histograms.items():
        text = format_percentile_distribution(hist, output_unit_ratio=hgrm_unit_ratio, header_lines=hgrm_header)
        out.write(f"{name}.hgrm", text)
    if overwrite:
        out.remove_stale_distributions(set(histograms))
    out.write("intervals.csv", intervals_csv(rows))
    out.write("results.json", results_json(report, started_at=started_at, environment=environment))
    # The log goes last: its presence marks a finished recording.
    out.finish_log()


def _micros(value_ns: int | None) -> str:
    """A latency for the progress line; an interval without samples has none."""
    return "      n/a   " if value_ns is None else f"{value_ns / 1e3:9.3f} µs"
