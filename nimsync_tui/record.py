"""Headless ``--record``: run scenarios one after another and write their files.

Writes into the output directory:

- ``run.hlog``: every measured interval histogram, tagged by scenario, with the
  interval's vital signs as JSON comments (HdrHistogram log format 1.3);
- ``<scenario>.hgrm``: the percentile distribution of each scenario, in
  microseconds, as the reference ``HistogramLogProcessor`` prints it;
- ``results.json``: per-scenario summary and the environment;
- ``intervals.csv``: one row per interval, warm-up included.

Existing files are never overwritten unless asked, and every file appears
only once complete (written to a temporary name, then renamed).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType

from hdrh.histogram import HdrHistogram

from .config import RunSpec
from .errors import ConfigError, OutputExistsError, RunnerError
from .files import write_atomically
from .hgrm import format_percentile_distribution
from .histogram import LatencySummary, add, decode_histogram, new_histogram, summarize
from .hlog import HlogWriter
from .process import RunnerProcess
from .protocol import Event, IntervalRecord, RunEnded, RunStarted, event_json
from .results import ScenarioResult, intervals_csv, results_json, scenario_result

HGRM_UNIT_RATIO = 1000.0
"""``.hgrm`` files are in microseconds; histograms are recorded in nanoseconds."""


def output_names(specs: list[RunSpec]) -> list[str]:
    """The files a recording of ``specs`` writes, in the output directory."""
    return ["run.hlog", "results.json", "intervals.csv"] + [f"{s.scenario}.hgrm" for s in specs]


def prepare_output(out_dir: Path, specs: list[RunSpec], *, overwrite: bool) -> None:
    """Create ``out_dir``; refuse to go on if it holds files this run would replace."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir} exists and is not a directory")
    if not overwrite:
        taken = [n for n in output_names(specs) if (out_dir / n).exists()]
        if taken:
            raise OutputExistsError(
                f"{out_dir} already holds a recording ({', '.join(taken)}); "
                "choose another directory or pass --overwrite"
            )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {out_dir}: {exc.strerror}") from None


@dataclass
class _ScenarioLog:
    """What the recorder keeps of one scenario while it runs."""

    measured: list[IntervalRecord] = field(default_factory=list)
    histogram: HdrHistogram = field(default_factory=new_histogram)
    started: RunStarted | None = None
    ended: RunEnded | None = None


class Recorder:
    """Runs scenarios and turns their event streams into the output files."""

    def __init__(self, out_dir: Path, specs: list[RunSpec], progress: Callable[[str], None]) -> None:
        self._out_dir = out_dir
        self._specs = specs
        self._progress = progress
        self._started_at = datetime.now(timezone.utc)
        # The log is streamed to a side name as intervals arrive, so a crash
        # hours in still leaves the data, and renamed into place at the end.
        self.partial_log = out_dir / "run.hlog.partial"
        """Where the log grows until the recording finishes."""
        self._hlog_file = self.partial_log.open("w", encoding="utf-8", newline="\n")
        self._hlog = HlogWriter(self._hlog_file)
        self._hlog.write_header(time.time())
        self._histograms: dict[str, HdrHistogram] = {}
        self._interval_rows: list[tuple[IntervalRecord, LatencySummary]] = []
        self.results: list[ScenarioResult] = []
        """Results of the scenarios recorded so far."""
        self.interrupted = False
        """True once the user stopped the recording (Ctrl-C)."""

    def run(self) -> list[ScenarioResult]:
        """Record every scenario, then write the files; returns their results.

        Ctrl-C stops the running scenario cleanly (its last interval still
        counts) and skips the rest; what was measured is still written.
        """
        with self._hlog_file:
            for index, spec in enumerate(self._specs, 1):
                if self.interrupted:
                    break
                try:
                    self._record_one(spec, f"[{index}/{len(self._specs)}]")
                except RunnerError as exc:
                    raise RunnerError(f"{exc} (what was measured is in {self.partial_log})") from None
        self._write_files()
        return self.results

    def _record_one(self, spec: RunSpec, position: str) -> None:
        log = _ScenarioLog()
        with RunnerProcess(spec) as proc, self._ctrl_c_stops(proc):
            for event in proc.events():
                self._on_event(spec, log, proc, event, position)
        assert log.started is not None and log.ended is not None  # events() raised otherwise
        self._histograms[spec.scenario] = log.histogram
        self.results.append(
            scenario_result(
                log.started,
                log.measured,
                log.histogram,
                status=log.ended.status,
                duration_s=log.ended.measured_s,
                operations=log.ended.total_ops,
            )
        )

    @contextmanager
    def _ctrl_c_stops(self, proc: RunnerProcess) -> Iterator[None]:
        """While recording, Ctrl-C asks the runner to stop instead of raising.

        The runner still owes its last interval and its end, so reading goes
        on undisturbed; a second Ctrl-C raises KeyboardInterrupt as usual.
        """

        def stop(signum: int, frame: FrameType | None) -> None:
            self.interrupted = True
            signal.signal(signal.SIGINT, signal.default_int_handler)
            proc.stop()

        previous = signal.signal(signal.SIGINT, stop)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _on_event(
        self, spec: RunSpec, log: _ScenarioLog, proc: RunnerProcess, event: Event, position: str
    ) -> None:
        if isinstance(event, RunStarted):
            log.started = event
            self._hlog.write_comment(event_json(event))
        elif isinstance(event, IntervalRecord):
            interval_hist = decode_histogram(event.histogram)
            summary = summarize(interval_hist)
            self._interval_rows.append((event, summary))
            if event.phase == "measure":
                log.measured.append(event)
                add(log.histogram, interval_hist)
                runner_base = proc.base_time_s
                start = runner_base + event.start_s - self._hlog.base_time_s
                self._hlog.write_interval(event.tag, start, event.length_s, interval_hist)
                self._hlog.write_comment(event_json(event))
                self._hlog_file.flush()
            self._progress(
                f"{position} {spec.scenario:<18} {event.phase:<7} "
                f"{event.total_ops / 1e6:8.3f} M ops  {event.ops_per_s / 1e6:7.3f} M ops/s  "
                f"p99 {summary.p99 / 1e3:9.3f} µs  rss {event.rss_bytes / 2**20:6.1f} MiB"
            )
        elif isinstance(event, RunEnded):
            log.ended = event
            self._hlog.write_comment(event_json(event))

    def _write_files(self) -> None:
        out = self._out_dir
        for name, hist in self._histograms.items():
            write_atomically(
                out / f"{name}.hgrm",
                format_percentile_distribution(hist, output_unit_ratio=HGRM_UNIT_RATIO),
            )
        write_atomically(out / "intervals.csv", intervals_csv(self._interval_rows))
        write_atomically(out / "results.json", results_json(self.results, started_at=self._started_at))
        # The log goes last: its presence marks a finished recording.
        os.replace(self.partial_log, out / "run.hlog")
