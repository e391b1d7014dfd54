"""The runner's events in a recording's log: each interval line joined with the JSON comment after it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..core.hlog import HlogEntry, HlogReader
from ..core.protocol import Event, IntervalRecord, decode_event
from ..errors import HistogramFormatError, RunnerError

__all__ = ["LoggedInterval", "logged_events"]


@dataclass(frozen=True, slots=True)
class LoggedInterval:
    """One interval line of a log, and the runner's record of it when the comment after the line holds one."""

    entry: HlogEntry
    """The line."""
    record: IntervalRecord | None
    """The runner's record, its histogram the line's; ``None`` for another tool's line."""


def logged_events(reader: HlogReader, *, strict: bool) -> Iterator[LoggedInterval | Event]:
    """Every interval line (as a :class:`LoggedInterval`) and every other event of the log, in order.

    Comments that are not JSON objects are skipped. ``strict``: a comment that
    is no event of the protocol, or an interval record without its line, raises
    :class:`HistogramFormatError` naming the line; otherwise it is skipped (an
    event of another version: the histogram line still counts). A line that
    cannot be read ends the iteration with that error, after every interval
    read before it.
    """
    pending: HlogEntry | None = None
    try:
        for item in reader.items():
            if isinstance(item, HlogEntry):
                if pending is not None:
                    yield LoggedInterval(pending, None)
                pending = item
                continue
            if not item.text.startswith("{"):
                continue
            try:
                event = decode_event(item.text, histogram=pending.encoded if pending is not None else "")
                if isinstance(event, IntervalRecord) and (pending is None or pending.tag != event.tag):
                    raise RunnerError("runner wrote an interval record without its histogram line")
            except RunnerError as error:
                if strict:
                    raise HistogramFormatError(f"{reader.source}, line {item.line}: {error}") from None
                continue
            if isinstance(event, IntervalRecord):
                assert pending is not None  # checked above
                yield LoggedInterval(pending, event)
                pending = None
            else:
                yield event
    except HistogramFormatError:
        if pending is not None:
            yield LoggedInterval(pending, None)
        raise
    if pending is not None:
        yield LoggedInterval(pending, None)
