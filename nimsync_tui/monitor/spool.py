"""A live run's export material, kept on disk as it arrives instead of in memory."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from hdrh.histogram import HdrHistogram

from ..core.histogram import LatencySummary
from ..core.hlog import HlogWriter
from ..core.protocol import IntervalRecord, Phase, StreamParser, decode_event, event_json
from ..recording.files import log_interval


class IntervalSpool:
    """Every interval of a run as an export writes it, in two anonymous temporary files.

    A session may watch a load for hours, four intervals a second, each with
    a ~1.5 kB encoded histogram: held in memory that grows without bound.
    Here the measured intervals go out as the lines of ``run.hlog`` (histogram
    line and JSON comment, without the header an export writes) and every
    interval, warm-up included, as one JSON line (its record and latency
    summary) for ``intervals.csv`` and ``results.json``. The files have no
    name on disk and vanish when closed or when the process ends.
    """

    def __init__(self) -> None:
        self._log = _temporary()
        self._rows = _temporary()
        self._hlog = HlogWriter(self._log)  # no header: an export writes its own above these lines

    def add(self, record: IntervalRecord, hist: HdrHistogram, latency: LatencySummary) -> None:
        """One interval (``record`` on the export's timeline) and its decoded histogram and summary."""
        # A tab never occurs in JSON text (it is escaped): it splits the line back in two.
        self._rows.write(f"{event_json(record)}\t{json.dumps(dataclasses.asdict(latency))}\n")
        if record.phase == Phase.MEASURE:
            log_interval(self._hlog, record, hist)

    def copy_log(self, write: Callable[[str], object]) -> None:
        """Hand the measured intervals' log lines to ``write``, in pieces of at most 64 KiB."""
        with _rewound(self._log) as log:
            while piece := log.read(1 << 16):
                write(piece)

    def measured(self) -> Iterator[IntervalRecord]:
        """The measured intervals back from the log lines, each record with its encoded histogram, in order."""
        parser = StreamParser()
        with _rewound(self._log) as log:
            for line in log:
                event = parser.feed(line)
                if isinstance(event, IntervalRecord):
                    yield event

    def rows(self) -> Iterator[tuple[IntervalRecord, LatencySummary]]:
        """Every interval's record (without its histogram) and latency summary, in order."""
        with _rewound(self._rows) as rows:
            for line in rows:
                event, latency = line.split("\t")
                record = decode_event(event)
                assert isinstance(record, IntervalRecord)  # add() wrote it
                yield record, LatencySummary(**json.loads(latency))

    def close(self) -> None:
        """Delete the spooled intervals."""
        self._log.close()
        self._rows.close()


def _temporary() -> TextIO:
    return tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", prefix="nimsync-tui-spool-")


@contextmanager
def _rewound(file: TextIO) -> Iterator[TextIO]:
    """Read a spool file from its start; writing goes on at its end afterwards."""
    file.flush()
    file.seek(0)
    try:
        yield file
    finally:
        file.seek(0, os.SEEK_END)
