"""Headless ``--replay PATH --record DIR``: the files of a recording, made from any interval log.

PATH is a recording directory, a partial log of an interrupted run, or any
``.hlog`` (ours, or another HdrHistogram tool's: untagged, any precision, any
encoding :mod:`..core.encoding` reads). The per-tag ``.hgrm`` is what Java's
``HistogramLogProcessor -tag T`` prints for the log, values in microseconds;
``results.json`` and ``intervals.csv`` are the recorder's, rebuilt from the
runner's events where the log holds them (our recordings) and from the
histograms alone where it does not. Everything is read and checked before the
output directory is touched, so a bad log leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hdrh.histogram import HdrHistogram

from ..core.counts import CountsHistogram, SparseCounts, add_parts
from ..core.hgrm import format_percentile_distribution, log_processor_preamble
from ..core.histogram import LatencySummary, summarize_sparse
from ..core.hlog import HlogEntry, HlogReader, decode_entries
from ..core.processor import LogWindow, corrected_for_coordinated_omission, refuse_corrected
from ..core.protocol import IntervalRecord, Phase, RunEnded, RunStarted, Status
from ..core.units import VALUE_UNITS_NS
from ..errors import ConfigError, HistogramFormatError
from ..recording.directory import OutputDir
from ..recording.events import LoggedInterval, logged_events
from ..recording.files import write_recording_files
from ..recording.logfile import LogFile
from ..recording.names import HGRM_UNIT_RATIO, UNTAGGED, find_log, tag_name
from ..suite.environment import fingerprint
from ..suite.report import RowMeasurement, SuiteReport, judge, judge_single_runs
from ..suite.results import ScenarioResult, scenario_result
from ..suite.targets import DEFAULT_TARGETS
from .collect import RunRows

__all__ = ["WHOLE_LOG", "Replay", "replay_log", "write_replay"]

WHOLE_LOG = LogWindow()
"""Every interval from the log's start, uncorrected: what the processor reads without options."""
_BATCH = 256
"""Intervals decoded and merged at a time: memory follows the tags and this, never the log's length."""


@dataclass(slots=True)
class _Tag:
    """One tag's intervals, merged as they stream past; only the small per-interval rows are kept."""

    name: str
    kept: CountsHistogram | None = None
    """The intervals ``HistogramLogProcessor`` reads: from 0 s after the log's start."""
    every: CountsHistogram | None = None
    """Every interval, for the result; ``None`` while it is :attr:`kept` (no interval was left out)."""
    rows: list[tuple[IntervalRecord, LatencySummary]] = field(default_factory=list)
    """Per interval, its record and summary (another tool's log only: ours has them from the runner)."""
    total: int = 0
    """Values counted so far."""

    def add(self, parts: list[SparseCounts], kept: list[bool]) -> None:
        """Merge one batch of this tag's intervals."""
        if self.every is None and not all(kept):
            # The first interval left out: from here on the two sums differ.
            self.every = _copy(self.kept) if self.kept is not None else CountsHistogram(parts[0].layout)
        chosen = [part for part, keep in zip(parts, kept, strict=True) if keep]
        if chosen:
            if self.kept is None:
                self.kept = CountsHistogram(chosen[0].layout)
            add_parts(self.kept, chosen)
        if self.every is not None:
            add_parts(self.every, parts)

    @property
    def merged(self) -> CountsHistogram:
        """Every interval of the tag, merged."""
        merged = self.every if self.every is not None else self.kept
        assert merged is not None  # a tag exists because an interval carried it
        return merged


def _copy(histogram: CountsHistogram) -> CountsHistogram:
    return CountsHistogram(histogram.layout, histogram.counts.copy())


@dataclass(frozen=True, slots=True)
class Replay:
    """Everything a recording directory holds, made from one log."""

    log: LogFile
    """The log itself, copied as ``run.hlog``."""
    histograms: dict[str, CountsHistogram | HdrHistogram]
    """Per tag name, its intervals merged as ``HistogramLogProcessor`` merges them."""
    hgrm_header: list[str]
    """The lines ``HistogramLogProcessor`` puts before each distribution."""
    hgrm_unit_ratio: float
    """Value units per µs: what the ``.hgrm`` values are divided by."""
    report: SuiteReport
    """The rows judged: our recordings' repetitions regrouped as the recorder grouped them, or one row per tag."""
    rows: list[tuple[IntervalRecord, LatencySummary]]
    """One ``intervals.csv`` row per interval."""
    started_at: datetime
    """When the log says it started (its StartTime), else when it was replayed."""

    @property
    def results(self) -> list[ScenarioResult]:
        """One result per row, over its repetitions."""
        return [row.result for row in self.report.rows]

    def distribution(self, name: str, *, csv: bool = False) -> str:
        """The ``<name>.hgrm`` text: what ``HistogramLogProcessor -tag <name>`` (with ``-csv``) prints, in µs."""
        return format_percentile_distribution(
            self.histograms[name], self.hgrm_unit_ratio, header_lines=self.hgrm_header, csv=csv
        )


def replay_log(path: Path, value_unit: str = "ns", window: LogWindow = WHOLE_LOG) -> Replay:
    """Read the log ``path`` names and work out the files of its recording.

    ``window`` chooses a time range and a coordinated-omission correction as Java's
    processor does; a recording read through a window is one row per tag, as another tool's log is.

    The log is streamed: its intervals are decoded and merged in batches, so
    memory grows with its tags, not its length. Raises :class:`ConfigError`
    for a path without a log and :class:`HistogramFormatError` for a log that
    cannot be read: empty, cut short, or holding a line or histogram that is not one.
    """
    # A log does not say its unit; every unit of --value-unit is a whole number of ns.
    ns_per_unit = int(VALUE_UNITS_NS[value_unit])
    log = LogFile(find_log(path))
    reader = log.reader()
    try:
        tags, header, recording = _scan(reader, window)
    except HistogramFormatError as error:
        # A recorder killed mid-write leaves its last line without a line end.
        cut = log.unterminated_line
        if cut is not None and f"line {cut}:" in str(error):
            raise HistogramFormatError(f"{error} (the log ends in the middle of this line: cut short?)") from None
        raise
    if not tags:
        raise HistogramFormatError(f"{log.path} holds no interval histograms (an empty or header-only log)")
    if not window.whole:
        _apply(window, tags, str(log.path))
        recording = False
    histograms: dict[str, CountsHistogram | HdrHistogram] = {
        tag.name: tag.kept for tag in tags.values() if tag.kept is not None
    }
    if recording:
        if ns_per_unit != 1:
            raise ConfigError(f"{log.path} is a nimsync-tui recording, in ns; --value-unit is for other tools' logs")
        measured, rows = _recorded_runs(log)
        report = judge(measured, DEFAULT_TARGETS)
        # A stepped scenario's summary row has no lines of its own: the recorder's merge is its .hgrm.
        histograms.update({m.name: m.histogram for m in measured if m.name not in histograms})
    else:
        results, rows = _tag_runs(log.path, tags, ns_per_unit, value_unit)
        report = judge_single_runs(results, DEFAULT_TARGETS)
    started_at = datetime.now(UTC) if reader.start_time_s is None else datetime.fromtimestamp(reader.start_time_s, UTC)
    return Replay(log, histograms, header, HGRM_UNIT_RATIO / ns_per_unit, report, rows, started_at)


def write_replay(replay: Replay, directory: Path, *, overwrite: bool, csv: bool = False) -> None:
    """Write a recording's files into ``directory`` with the recorder's own writer; the log goes last.

    ``csv``: the ``.hgrm`` files in the processor's ``-csv`` form.
    """
    with OutputDir(directory, replay.histograms, overwrite=overwrite) as out:
        for chunk in replay.log.chunks():
            out.log.write(chunk)
        write_recording_files(
            out,
            dict(replay.histograms),
            replay.rows,
            replay.report,
            started_at=replay.started_at,
            environment=fingerprint(),
            overwrite=overwrite,
            hgrm_unit_ratio=replay.hgrm_unit_ratio,
            hgrm_header=replay.hgrm_header,
            hgrm_csv=csv,
        )


def _apply(window: LogWindow, tags: dict[str | None, _Tag], source: str) -> None:
    """Leave out what the window leaves out, and correct for coordinated omission if it asks."""
    if window.correct_co:
        refuse_corrected([tag.name for tag in tags.values()], source)
    for key, tag in list(tags.items()):
        if tag.kept is None:
            del tags[key]  # no interval of the tag in the range
            continue
        tag.every = None  # the results describe the window only
        if window.correct_co:
            tag.kept = corrected_for_coordinated_omission(tag.kept, window.correct_co)
            tag.total = tag.kept.total_count


def _scan(reader: HlogReader, window: LogWindow) -> tuple[dict[str | None, _Tag], list[str], bool]:
    """One pass over the log: each tag's intervals merged batch by batch, the header, whether it is ours.

    Each tag is merged as ``HistogramLogProcessor -tag T`` merges it. Per-interval
    rows are kept only while the log has shown none of the runner's events (ours
    has them as comments, and they come first).
    """
    tags: dict[str | None, _Tag] = {}
    recording = False
    batch: list[HlogEntry] = []

    def merge_batch() -> None:
        decoded = decode_entries(batch)
        by_tag: dict[str | None, tuple[list[SparseCounts], list[bool]]] = {}
        nonlocal recording
        # Read through a window, a recording is one row per tag: the rows are the window's intervals.
        recording = recording and window.whole
        for entry, counts in zip(batch, decoded, strict=True):
            tag = tags.get(entry.tag)
            if tag is None:
                tag = tags[entry.tag] = _Tag(tag_name(entry.tag))
                if None in tags and UNTAGGED in tags:
                    raise HistogramFormatError(
                        f"the log has untagged lines and lines tagged {UNTAGGED!r}: both would be {UNTAGGED}.hgrm"
                    )
            parts, kept = by_tag.setdefault(entry.tag, ([], []))
            parts.append(counts)
            # The processor reads from 0 s (or -start) after the start: earlier intervals are left out.
            keep = window.keeps(reader.elapsed_s(entry))
            kept.append(keep)
            if not recording and (keep or window.whole):
                summary = summarize_sparse(counts)
                tag.total += summary.count
                tag.rows.append((entry.record(tag.name, ops=summary.count, total_ops=tag.total), summary))
        for key, (parts, kept) in by_tag.items():
            tags[key].add(parts, kept)
        batch.clear()

    for entry in reader:
        batch.append(entry)
        # The runner's events are only looked at, never kept: a long recording holds one per interval.
        recording = recording or _has_started(reader)
        if len(batch) == _BATCH:
            merge_batch()
    recording = recording or _has_started(reader)
    if batch:
        merge_batch()
    start = reader.origin_s if reader.origin_s is not None else 0.0
    preamble = log_processor_preamble(start, window.start_s, window.end_s)
    header = preamble if start != 0.0 else preamble[:1]
    return tags, header, recording


def _has_started(reader: HlogReader) -> bool:
    started = any(comment.text.startswith('{"event":"started"') for comment in reader.comments)
    reader.comments.clear()
    return started


def _result_in_ns(result: ScenarioResult, ns_per_unit: int) -> ScenarioResult:
    """``result`` with its latency figures (summary and ``*_ns`` metrics) turned from log units into ns."""
    if ns_per_unit == 1:
        return result

    def scaled(value: float | None) -> float | None:
        return None if value is None else value * ns_per_unit

    metrics = {k: scaled(v) if k.startswith("latency_") and k.endswith("_ns") else v for k, v in result.metrics.items()}
    return dataclasses.replace(result, latency_ns=result.latency_ns.scaled(ns_per_unit), metrics=metrics)


def _recorded_runs(
    log: LogFile,
) -> tuple[list[RowMeasurement], list[tuple[IntervalRecord, LatencySummary]]]:
    """Our recording: the runner's events, logged as comments, go through the recorder's own collector.

    Returns each row's repetitions (one per runner run, grouped by row as the
    recorder grouped them) and the interval rows.
    """
    runs = RunRows()

    def finish(ended: RunEnded | None) -> None:
        collector = runs.collector
        if collector is None:
            return
        run = runs.run_intervals
        if ended is None and run:
            # A partial log, or a load killed mid-run: what it measured still counts.
            measured_s = sum(r.length_s for r in run if r.phase == Phase.MEASURE)
            collector.feed(RunEnded(Status.INTERRUPTED, Phase.MEASURE, run[-1].total_ops, measured_s))
        for row in collector.rows():
            runs.count(row)
        runs.end()

    for event in logged_events(log.reader(), strict=True):
        if isinstance(event, RunStarted):
            finish(None)
            runs.begin()
        collector = runs.collector
        if collector is None:
            continue
        if isinstance(event, LoggedInterval):
            if event.record is not None:
                # The row keeps no histogram: the collector adds it into its tag's.
                runs.add_interval(dataclasses.replace(event.record, histogram=""), event.entry.histogram())
            continue
        collector.feed(event)
        if isinstance(event, RunEnded):
            finish(event)
    finish(None)
    return list(runs.measured.values()), runs.intervals


def _tag_runs(
    log: Path, tags: dict[str | None, _Tag], ns_per_unit: int, value_unit: str
) -> tuple[list[ScenarioResult], list[tuple[IntervalRecord, LatencySummary]]]:
    """Another tool's log: one result per tag, made from the histograms alone (no memory or CPU figures)."""
    results: list[ScenarioResult] = []
    rows: list[tuple[IntervalRecord, LatencySummary]] = []
    for tag in tags.values():
        records = [record for record, _ in tag.rows]
        rows += [(record, summary.scaled(ns_per_unit)) for record, summary in tag.rows]
        started = RunStarted(
            scenario=tag.name,
            measures=f"recorded value ({value_unit})",
            operation="recorded value",
            params={"log": str(log), "value_unit": value_unit},
            interval_s=statistics.median(r.length_s for r in records),
            pid=0,
        )
        duration = sum(r.length_s for r in records)
        result = scenario_result(
            started, records, tag.merged, status=Status.REPLAYED, duration_s=duration, operations=tag.total
        )
        results.append(_result_in_ns(result, ns_per_unit))
    return results, rows
