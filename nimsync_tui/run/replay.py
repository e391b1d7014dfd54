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

from ..core.counts import CountsHistogram, SparseCounts, merge
from ..core.hgrm import format_percentile_distribution, log_processor_preamble
from ..core.histogram import LatencySummary, summarize
from ..core.hlog import HlogEntry, HlogReader, decode_entries
from ..core.protocol import IntervalRecord, RunEnded, RunFailed, RunStarted, StreamParser
from ..core.recording import find_log
from ..errors import HistogramFormatError, RunnerError
from ..suite.results import ScenarioResult, intervals_csv, results_json, scenario_result
from .record import HGRM_UNIT_RATIO, OutputDir

__all__ = ["VALUE_UNITS", "Replay", "replay_log", "write_replay"]

VALUE_UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
"""Nanoseconds per unit of a log's values (``--value-unit``); a log does not say its unit."""

UNTAGGED = "untagged"
"""The name the untagged lines of a log go by (``untagged.hgrm``)."""

_YEAR_S = 365 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Replay:
    """Everything a recording directory holds, made from one log."""

    log_text: str
    """The log itself, written as ``run.hlog``."""
    distributions: dict[str, str]
    """``.hgrm`` text per tag name."""
    results: list[ScenarioResult]
    """One result per scenario run (our recordings) or per tag (other logs)."""
    rows: list[tuple[IntervalRecord, LatencySummary]]
    """One ``intervals.csv`` row per interval."""
    started_at: datetime
    """When the log says it started (its StartTime), else when it was replayed."""


def replay_log(path: Path, value_unit: str = "ns") -> Replay:
    """Read the log ``path`` names and work out the files of its recording.

    Raises :class:`ConfigError` for a path without a log and
    :class:`HistogramFormatError` for a log that cannot be read: empty, cut
    short, or holding a line or histogram that is not one.
    """
    ns_per_unit = VALUE_UNITS[value_unit]
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
    distributions = _distributions(reader, entries, decoded, ns_per_unit)
    if any(comment.text.startswith('{"event":"started"') for comment in reader.comments):
        results, rows = _recorded_runs(log, lines, entries, decoded, ns_per_unit)
    else:
        results, rows = _tag_runs(log, entries, decoded, ns_per_unit, value_unit)
    started_at = datetime.now(UTC) if reader.start_time_s is None else datetime.fromtimestamp(reader.start_time_s, UTC)
    return Replay(text, distributions, results, rows, started_at)


def write_replay(replay: Replay, directory: Path, *, overwrite: bool) -> None:
    """Write a recording's files into ``directory``; the log goes last, as the recorder's does."""
    with OutputDir(directory, replay.distributions, overwrite=overwrite) as out:
        for name, text in replay.distributions.items():
            out.write(f"{name}.hgrm", text)
        out.write("intervals.csv", intervals_csv(replay.rows))
        out.write("results.json", results_json(replay.results, started_at=replay.started_at))
        out.log.write(replay.log_text)
        out.finish_log()


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


def _distributions(
    reader: HlogReader, entries: list[HlogEntry], decoded: list[SparseCounts], ns_per_unit: int
) -> dict[str, str]:
    """Each tag's ``.hgrm`` as ``HistogramLogProcessor -tag T -outputValueUnitRatio`` prints it, in µs."""
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
    return {
        _file_name(tag): format_percentile_distribution(
            merge(parts[0].layout, parts), HGRM_UNIT_RATIO / ns_per_unit, header_lines=header
        )
        for tag, parts in by_tag.items()
    }


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
    return dataclasses.replace(result, latency_ns=_in_ns(result.latency_ns, ns_per_unit))


def _recorded_runs(
    log: Path, lines: list[str], entries: list[HlogEntry], decoded: list[SparseCounts], ns_per_unit: int
) -> tuple[list[ScenarioResult], list[tuple[IntervalRecord, LatencySummary]]]:
    """Our recording: the runner's events, logged as comments, give back what the recorder measured."""
    counts_of = {entry.encoded: counts for entry, counts in zip(entries, decoded, strict=True)}
    parser = StreamParser()
    results: list[ScenarioResult] = []
    rows: list[tuple[IntervalRecord, LatencySummary]] = []
    started: RunStarted | None = None
    records: list[IntervalRecord] = []
    parts: list[SparseCounts] = []

    def finish(status: str, duration_s: float, operations: int) -> None:
        if started is not None and parts:
            results.append(
                _result(
                    started, records, parts, ns_per_unit, status=status, duration_s=duration_s, operations=operations
                )
            )

    def finish_unended() -> None:
        # A partial log, or a load killed mid-run: report what the scenario measured.
        finish("interrupted", sum(r.length_s for r in records), records[-1].total_ops if records else 0)

    for number, line in enumerate(lines, 1):
        try:
            event = parser.feed(line)
        except RunnerError as error:
            raise HistogramFormatError(f"{log}, line {number}: {error}") from None
        if isinstance(event, RunStarted):
            finish_unended()
            started, records, parts = event, [], []
        elif isinstance(event, IntervalRecord) and started is not None:
            counts = counts_of.get(event.histogram)
            if counts is None:  # the parser and the reader read the line differently
                raise HistogramFormatError(f"{log}, line {number}: interval event without its histogram line")
            record = dataclasses.replace(event, histogram="")
            records.append(record)
            parts.append(counts)
            rows.append((record, _in_ns(summarize(counts.dense()), ns_per_unit)))
        elif isinstance(event, RunEnded):
            finish(event.status, event.measured_s, event.total_ops)
            started = None
        elif isinstance(event, RunFailed):
            finish("failed", sum(r.length_s for r in records), records[-1].total_ops if records else 0)
            started = None
    finish_unended()
    return results, rows


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
