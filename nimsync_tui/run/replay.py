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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hdrh.histogram import HdrHistogram

from ..core.counts import CountsHistogram, SparseCounts, merge
from ..core.hgrm import format_percentile_distribution, log_processor_preamble
from ..core.histogram import LatencySummary, decode_histogram, summarize
from ..core.hlog import HlogEntry, HlogReader, decode_entries
from ..core.protocol import IntervalRecord, RunEnded, RunStarted, StreamParser
from ..core.recording import find_log
from ..errors import ConfigError, HistogramFormatError, RunnerError
from ..monitor.curves import VALUE_UNITS_NS
from ..suite.environment import fingerprint
from ..suite.report import RowMeasurement, SuiteReport, add_repetition, judge, judge_single_runs
from ..suite.results import ScenarioResult, scenario_result
from ..suite.targets import DEFAULT_TARGETS
from .collect import ScenarioCollector
from .record import HGRM_UNIT_RATIO, OutputDir, write_recording_files

__all__ = ["Replay", "replay_log", "write_replay"]

UNTAGGED = "untagged"
"""The name the untagged lines of a log go by (``untagged.hgrm``)."""

_YEAR_S = 365 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Replay:
    """Everything a recording directory holds, made from one log."""

    log_text: str
    """The log itself, written as ``run.hlog``."""
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

    def distribution(self, name: str) -> str:
        """The ``<name>.hgrm`` text: what ``HistogramLogProcessor -tag <name>`` prints, in µs."""
        return format_percentile_distribution(
            self.histograms[name], self.hgrm_unit_ratio, header_lines=self.hgrm_header
        )


def replay_log(path: Path, value_unit: str = "ns") -> Replay:
    """Read the log ``path`` names and work out the files of its recording.

    Raises :class:`ConfigError` for a path without a log and
    :class:`HistogramFormatError` for a log that cannot be read: empty, cut
    short, or holding a line or histogram that is not one.
    """
    # A log does not say its unit; every unit of --value-unit is a whole number of ns.
    ns_per_unit = int(VALUE_UNITS_NS[value_unit])
    log = find_log(path)
    try:
        text = log.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HistogramFormatError(f"cannot read histogram log {log}: {error}") from None
    lines = text.splitlines()
    reader = HlogReader(lines, str(log))
    try:
        entries = list(reader)
        decoded = decode_entries(entries)
    except HistogramFormatError as error:
        # A recorder killed mid-write leaves its last line without a line end.
        if lines and not text.endswith("\n") and f"line {len(lines)}:" in str(error):
            raise HistogramFormatError(f"{error} (the log ends in the middle of this line: cut short?)") from None
        raise
    if not entries:
        raise HistogramFormatError(f"{log} holds no interval histograms (an empty or header-only log)")
    _check_names(entries)
    histograms, header = _merged_by_tag(reader, entries, decoded)
    if any(comment.text.startswith('{"event":"started"') for comment in reader.comments):
        if ns_per_unit != 1:
            raise ConfigError(f"{log} is a nimsync-tui recording, in ns; --value-unit is for other tools' logs")
        measured, rows = _recorded_runs(log, lines)
        report = judge(measured, DEFAULT_TARGETS)
        # A stepped scenario's summary row has no lines of its own: the recorder's merge is its .hgrm.
        histograms.update({m.name: m.histogram for m in measured if m.name not in histograms})
    else:
        results, rows = _tag_runs(log, entries, decoded, ns_per_unit, value_unit)
        report = judge_single_runs(results, DEFAULT_TARGETS)
    started_at = datetime.now(UTC) if reader.start_time_s is None else datetime.fromtimestamp(reader.start_time_s, UTC)
    return Replay(text, histograms, header, HGRM_UNIT_RATIO / ns_per_unit, report, rows, started_at)


def write_replay(replay: Replay, directory: Path, *, overwrite: bool) -> None:
    """Write a recording's files into ``directory`` with the recorder's own writer; the log goes last."""
    with OutputDir(directory, replay.histograms, overwrite=overwrite) as out:
        out.log.write(replay.log_text)
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
        )


def _file_name(tag: str | None) -> str:
    if tag is None:
        return UNTAGGED
    if "/" in tag or tag in (".", "..") or "\0" in tag:
        raise HistogramFormatError(f"histogram tag {tag!r} cannot name a .hgrm file")
    return tag


def _check_names(entries: list[HlogEntry]) -> None:
    """Every tag names its own file; the untagged lines' name must not be a tag too."""
    tags = {entry.tag for entry in entries}
    for tag in tags:
        _file_name(tag)
    if None in tags and UNTAGGED in tags:
        raise HistogramFormatError(
            f"the log has untagged lines and lines tagged {UNTAGGED!r}: both would be {UNTAGGED}.hgrm"
        )


def _merged_by_tag(
    reader: HlogReader, entries: list[HlogEntry], decoded: list[SparseCounts]
) -> tuple[dict[str, CountsHistogram | HdrHistogram], list[str]]:
    """Each tag's intervals merged as ``HistogramLogProcessor -tag T`` merges them, and its header lines."""
    # The reference reader's clock: without a StartTime line the first interval's start is the
    # start; without a BaseTime line, timestamps more than a year before the start are relative.
    first = entries[0].start_s
    start = reader.start_time_s if reader.start_time_s is not None else first
    base = reader.base_time_s
    if base is None:
        base = start if first < start - _YEAR_S else 0.0
    by_tag: dict[str | None, list[SparseCounts]] = {}
    for entry, counts in zip(entries, decoded, strict=True):
        # The processor reads from 0 s after the start: earlier intervals are left out.
        if entry.start_s + base - start >= 0.0:
            by_tag.setdefault(entry.tag, []).append(counts)
    preamble = log_processor_preamble(start)
    header = preamble if start != 0.0 else preamble[:1]
    return {_file_name(tag): merge(parts[0].layout, parts) for tag, parts in by_tag.items()}, header


def _in_ns(summary: LatencySummary, ns_per_unit: int) -> LatencySummary:
    if ns_per_unit == 1:
        return summary
    return dataclasses.replace(
        summary,
        min=summary.min * ns_per_unit,
        max=summary.max * ns_per_unit,
        mean=summary.mean * ns_per_unit,
        stddev=summary.stddev * ns_per_unit,
        p50=summary.p50 * ns_per_unit,
        p90=summary.p90 * ns_per_unit,
        p99=summary.p99 * ns_per_unit,
        p999=summary.p999 * ns_per_unit,
    )


def _result(
    started: RunStarted,
    records: list[IntervalRecord],
    parts: Sequence[SparseCounts],
    ns_per_unit: int,
    *,
    status: str,
    duration_s: float,
    operations: int,
) -> ScenarioResult:
    merged: CountsHistogram = merge(parts[0].layout, parts)
    result = scenario_result(started, records, merged, status=status, duration_s=duration_s, operations=operations)
    return _result_in_ns(result, ns_per_unit)


def _result_in_ns(result: ScenarioResult, ns_per_unit: int) -> ScenarioResult:
    """``result`` with its latency figures (summary and ``*_ns`` metrics) turned from log units into ns."""
    if ns_per_unit == 1:
        return result

    def scaled(value: float | None) -> float | None:
        return None if value is None else value * ns_per_unit

    def scaled_int(value: int | None) -> int | None:
        return None if value is None else value * ns_per_unit

    lat = result.latency_ns
    latency = dataclasses.replace(
        lat,
        min=scaled_int(lat.min),
        max=scaled_int(lat.max),
        mean=scaled(lat.mean),
        stddev=scaled(lat.stddev),
        p50=scaled_int(lat.p50),
        p90=scaled_int(lat.p90),
        p95=scaled_int(lat.p95),
        p99=scaled_int(lat.p99),
        p999=scaled_int(lat.p999),
    )
    metrics = {k: scaled(v) if k.startswith("latency_") and k.endswith("_ns") else v for k, v in result.metrics.items()}
    return dataclasses.replace(result, latency_ns=latency, metrics=metrics)


def _recorded_runs(
    log: Path, lines: list[str]
) -> tuple[list[RowMeasurement], list[tuple[IntervalRecord, LatencySummary]]]:
    """Our recording: the runner's events, logged as comments, go through the recorder's own collector.

    Returns each row's repetitions (one per runner run, grouped by row as the
    recorder grouped them) and the interval rows.
    """
    parser = StreamParser()
    measured: dict[str, RowMeasurement] = {}
    rows: list[tuple[IntervalRecord, LatencySummary]] = []
    first_row = 0
    started: RunStarted | None = None
    collector: ScenarioCollector | None = None
    last: IntervalRecord | None = None
    measured_s = 0.0

    def finish(ended: RunEnded | None) -> None:
        if collector is None:
            return
        if ended is None and last is not None:
            # A partial log, or a load killed mid-run: what it measured still counts.
            collector.feed(RunEnded("interrupted", "measure", last.total_ops, measured_s))
        assert started is not None  # a collector exists only after a start
        for row in collector.rows():
            add_repetition(measured, started, row.result, row.histogram, rows[first_row:])

    for number, line in enumerate(lines, 1):
        try:
            event = parser.feed(line)
        except RunnerError as error:
            raise HistogramFormatError(f"{log}, line {number}: {error}") from None
        if isinstance(event, RunStarted):
            finish(None)
            collector, last, measured_s = ScenarioCollector(), None, 0.0
            started, first_row = event, len(rows)
        if event is None or collector is None:
            continue
        collector.feed(event)
        if isinstance(event, IntervalRecord):
            try:
                histogram = decode_histogram(event.histogram)
            except HistogramFormatError as error:
                raise HistogramFormatError(f"{log}, line {number - 1}: {error}") from None
            last = dataclasses.replace(event, histogram="")
            measured_s += last.length_s if last.phase == "measure" else 0.0
            collector.add_interval(last, histogram)
            rows.append((last, summarize(histogram)))
        elif isinstance(event, RunEnded):
            finish(event)
            collector = None
    finish(None)
    return list(measured.values()), rows


def _tag_runs(
    log: Path, entries: list[HlogEntry], decoded: list[SparseCounts], ns_per_unit: int, value_unit: str
) -> tuple[list[ScenarioResult], list[tuple[IntervalRecord, LatencySummary]]]:
    """Another tool's log: one result per tag, made from the histograms alone (no memory or CPU figures)."""
    by_tag: dict[str | None, list[tuple[HlogEntry, SparseCounts]]] = {}
    for entry, counts in zip(entries, decoded, strict=True):
        by_tag.setdefault(entry.tag, []).append((entry, counts))
    results: list[ScenarioResult] = []
    rows: list[tuple[IntervalRecord, LatencySummary]] = []
    for tag, intervals in by_tag.items():
        name = _file_name(tag)
        records: list[IntervalRecord] = []
        total = 0
        for entry, counts in intervals:
            dense = counts.dense()
            total += dense.total_count
            record = IntervalRecord(
                tag=name,
                phase="measure",
                start_s=entry.start_s,
                length_s=entry.length_s,
                ops=dense.total_count,
                total_ops=total,
                overflow=0,
                rss_bytes=0,
                peak_rss_bytes=0,
                cpu_percent=0.0,
                allocated_blocks=0,
                gc_collections=(),
            )
            records.append(record)
            rows.append((record, _in_ns(summarize(dense), ns_per_unit)))
        started = RunStarted(
            scenario=name,
            measures=f"recorded value ({value_unit})",
            operation="recorded value",
            params={"log": str(log), "value_unit": value_unit},
            interval_s=statistics.median(e.length_s for e, _ in intervals),
            pid=0,
        )
        duration = sum(e.length_s for e, _ in intervals)
        parts = [counts for _, counts in intervals]
        results.append(
            _result(started, records, parts, ns_per_unit, status="replayed", duration_s=duration, operations=total)
        )
    return results, rows
