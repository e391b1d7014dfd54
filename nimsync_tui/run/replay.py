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
import hashlib
import statistics
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hdrh.histogram import HdrHistogram

from ..core.counts import CountsHistogram, SparseCounts, add_parts
from ..core.files import bounded_lines
from ..core.hgrm import format_percentile_distribution, log_processor_preamble
from ..core.histogram import LatencySummary, decode_histogram, summarize, summarize_sparse
from ..core.hlog import HlogEntry, HlogReader, decode_entries
from ..core.protocol import IntervalRecord, RunEnded, RunStarted, StreamParser
from ..core.recording import find_log
from ..core.units import VALUE_UNITS_NS
from ..errors import ConfigError, HistogramFormatError, LineTooLongError, RunnerError
from ..suite.environment import fingerprint
from ..suite.report import RowMeasurement, SuiteReport, add_repetition, judge, judge_single_runs
from ..suite.results import ScenarioResult, scenario_result
from ..suite.targets import DEFAULT_TARGETS
from .collect import ScenarioCollector
from .record import HGRM_UNIT_RATIO, OutputDir, write_recording_files

__all__ = ["LogFile", "Replay", "replay_log", "write_replay"]

UNTAGGED = "untagged"
"""The name the untagged lines of a log go by (``untagged.hgrm``)."""

_YEAR_S = 365 * 24 * 3600.0
_BATCH = 256
"""Intervals decoded and merged at a time: memory follows the tags and this, never the log's length."""


class LogFile:
    """A log file read line by line as it was when first read: its size and digest say so.

    Nothing of it is kept in memory. Every later read (a second pass, the copy
    into the recording) reads that many bytes again and checks the digest, so a
    log still being written, or replaced meanwhile, is an error, not a mix.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        """The log."""
        self.size: int | None = None
        """Bytes read by the first pass (``None`` until it ended)."""
        self.unterminated_line: int | None = None
        """The number of the last line when no line end follows it (a recorder killed mid-write)."""
        self._digest: bytes | None = None

    def chunks(self) -> Iterator[str]:
        """The log's text, line by line with line ends, as :meth:`str.splitlines` would split it."""
        digest = hashlib.blake2b()
        size = 0
        limit = self.size
        try:
            with self.path.open("rb") as stream:
                for raw in bounded_lines(stream):
                    if limit is not None and size + len(raw) > limit:
                        raw = raw[: limit - size]  # noqa: PLW2901 (what grew since the first pass is not the log)
                    size += len(raw)
                    digest.update(raw)
                    yield raw.decode("utf-8")
                    if limit is not None and size >= limit:
                        break
        except (OSError, UnicodeDecodeError, LineTooLongError) as error:
            raise HistogramFormatError(f"cannot read histogram log {self.path}: {error}") from None
        if self._digest is None:
            self.size, self._digest = size, digest.digest()
        elif (size, digest.digest()) != (self.size, self._digest):
            raise HistogramFormatError(f"{self.path} changed while it was replayed; replay it again")

    def lines(self) -> Iterator[str]:
        """The log's lines without line ends, numbered as :meth:`str.splitlines` numbers them."""
        number = 0
        for chunk in self.chunks():
            # A line end byte is never inside a UTF-8 character: line by line splits as the whole text would.
            for line in chunk.splitlines():
                number += 1
                yield line
            if not chunk.endswith(("\n", "\r")):
                self.unterminated_line = number


@dataclass(slots=True)
class _Tag:
    """One tag's intervals, merged (sparse) as they stream past; only the small per-interval rows are kept."""

    name: str
    kept: SparseCounts | None = None
    """The intervals ``HistogramLogProcessor`` reads: from 0 s after the log's start."""
    every: SparseCounts | None = None
    """Every interval, for the result; ``None`` while it is :attr:`kept` (no interval was left out)."""
    rows: list[tuple[IntervalRecord, LatencySummary]] = field(default_factory=list)
    """Per interval, its record and summary (another tool's log only: ours has them from the runner)."""
    total: int = 0
    """Values counted so far."""

    def add(self, parts: list[SparseCounts], kept: list[bool]) -> None:
        """Merge one batch of this tag's intervals."""
        if self.every is None and not all(kept):
            # The first interval left out: from here on the two sums differ.
            self.every = self.kept if self.kept is not None else SparseCounts.empty(parts[0].layout)
        chosen = [part for part, keep in zip(parts, kept, strict=True) if keep]
        if chosen:
            self.kept = add_parts(self.kept or SparseCounts.empty(chosen[0].layout), chosen)
        if self.every is not None:
            self.every = add_parts(self.every, parts)

    @property
    def merged(self) -> SparseCounts:
        """Every interval of the tag, merged."""
        merged = self.every if self.every is not None else self.kept
        assert merged is not None  # a tag exists because an interval carried it
        return merged


class _Histograms(Mapping[str, "CountsHistogram | HdrHistogram"]):
    """Per tag its merged histogram, made dense only when asked for: one at a time, never all at once."""

    def __init__(self, held: dict[str, SparseCounts | HdrHistogram]) -> None:
        self._held = held

    def __getitem__(self, name: str) -> CountsHistogram | HdrHistogram:
        held = self._held[name]
        return held.dense() if isinstance(held, SparseCounts) else held

    def __iter__(self) -> Iterator[str]:
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)


@dataclass(frozen=True, slots=True)
class Replay:
    """Everything a recording directory holds, made from one log."""

    log: LogFile
    """The log itself, copied as ``run.hlog``."""
    histograms: Mapping[str, CountsHistogram | HdrHistogram]
    """Per tag name, its intervals merged as ``HistogramLogProcessor`` merges them (made dense when read)."""
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

    The log is streamed: its intervals are decoded and merged in batches, so
    memory grows with its tags, not its length. Raises :class:`ConfigError`
    for a path without a log and :class:`HistogramFormatError` for a log that
    cannot be read: empty, cut short, or holding a line or histogram that is not one.
    """
    # A log does not say its unit; every unit of --value-unit is a whole number of ns.
    ns_per_unit = int(VALUE_UNITS_NS[value_unit])
    log = LogFile(find_log(path))
    reader = HlogReader(log.lines(), str(log.path))
    try:
        tags, header, recording = _scan(reader)
    except HistogramFormatError as error:
        # A recorder killed mid-write leaves its last line without a line end.
        cut = log.unterminated_line
        if cut is not None and f"line {cut}:" in str(error):
            raise HistogramFormatError(f"{error} (the log ends in the middle of this line: cut short?)") from None
        raise
    if not tags:
        raise HistogramFormatError(f"{log.path} holds no interval histograms (an empty or header-only log)")
    histograms: dict[str, SparseCounts | HdrHistogram] = {
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
    return Replay(log, _Histograms(histograms), header, HGRM_UNIT_RATIO / ns_per_unit, report, rows, started_at)


def write_replay(replay: Replay, directory: Path, *, overwrite: bool) -> None:
    """Write a recording's files into ``directory`` with the recorder's own writer; the log goes last."""
    with OutputDir(directory, replay.histograms, overwrite=overwrite) as out:
        for chunk in replay.log.chunks():
            out.log.write(chunk)
        write_recording_files(
            out,
            replay.histograms,
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


def _scan(reader: HlogReader) -> tuple[dict[str | None, _Tag], list[str], bool]:
    """One pass over the log: each tag's intervals merged batch by batch, the header, whether it is ours.

    Each tag is merged as ``HistogramLogProcessor -tag T`` merges it. Per-interval
    rows are kept only while the log has shown none of the runner's events (ours
    has them as comments, and they come first).
    """
    tags: dict[str | None, _Tag] = {}
    recording = False
    # The reference reader's clock, fixed by the first interval: without a StartTime line the
    # first interval's start is the start; without a BaseTime line, timestamps more than a
    # year before the start are relative.
    start = base = 0.0
    batch: list[HlogEntry] = []

    def merge_batch() -> None:
        decoded = decode_entries(batch)
        by_tag: dict[str | None, tuple[list[SparseCounts], list[bool]]] = {}
        for entry, counts in zip(batch, decoded, strict=True):
            tag = tags.get(entry.tag)
            if tag is None:
                tag = tags[entry.tag] = _Tag(_file_name(entry.tag))
                if None in tags and UNTAGGED in tags:
                    raise HistogramFormatError(
                        f"the log has untagged lines and lines tagged {UNTAGGED!r}: both would be {UNTAGGED}.hgrm"
                    )
            parts, kept = by_tag.setdefault(entry.tag, ([], []))
            parts.append(counts)
            # The processor reads from 0 s after the start: earlier intervals are left out.
            kept.append(entry.start_s + base - start >= 0.0)
            if not recording:
                summary = summarize_sparse(counts)
                tag.total += summary.count
                tag.rows.append((entry.record(tag.name, ops=summary.count, total_ops=tag.total), summary))
        for key, (parts, kept) in by_tag.items():
            tags[key].add(parts, kept)
        batch.clear()

    for entry in reader:
        if not batch and not tags:
            start = reader.start_time_s if reader.start_time_s is not None else entry.start_s
            base = reader.base_time_s if reader.base_time_s is not None else 0.0
            if reader.base_time_s is None and entry.start_s < start - _YEAR_S:
                base = start
        batch.append(entry)
        # The runner's events are only looked at, never kept: a long recording holds one per interval.
        recording = recording or _has_started(reader)
        if len(batch) == _BATCH:
            merge_batch()
    recording = recording or _has_started(reader)
    if batch:
        merge_batch()
    preamble = log_processor_preamble(start)
    header = preamble if start != 0.0 else preamble[:1]
    return tags, header, recording


def _has_started(reader: HlogReader) -> bool:
    started = any(comment.text.startswith('{"event":"started"') for comment in reader.comments)
    reader.comments.clear()
    return started


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
    log: LogFile,
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

    for number, line in enumerate(log.lines(), 1):
        try:
            event = parser.feed(line)
        except RunnerError as error:
            raise HistogramFormatError(f"{log.path}, line {number}: {error}") from None
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
                raise HistogramFormatError(f"{log.path}, line {number - 1}: {error}") from None
            # The row keeps no histogram: the collector has added it into its tag's.
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
    log: Path, tags: dict[str | None, _Tag], ns_per_unit: int, value_unit: str
) -> tuple[list[ScenarioResult], list[tuple[IntervalRecord, LatencySummary]]]:
    """Another tool's log: one result per tag, made from the histograms alone (no memory or CPU figures)."""
    results: list[ScenarioResult] = []
    rows: list[tuple[IntervalRecord, LatencySummary]] = []
    for tag in tags.values():
        records = [record for record, _ in tag.rows]
        rows += [(record, _in_ns(summary, ns_per_unit)) for record, summary in tag.rows]
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
            started, records, tag.merged.dense(), status="replayed", duration_s=duration, operations=tag.total
        )
        results.append(_result_in_ns(result, ns_per_unit))
    return results, rows
