"""The names in a recording directory, and the one path rule that ``--replay`` and ``--compare`` share."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError, HistogramFormatError

LOG_NAME = "run.hlog"
"""The finished log of a recording directory."""
PARTIAL_LOG_NAME = "run.hlog.partial"
"""Where the log grows while recording; kept when a recording never finished."""
RESULTS_NAME = "results.json"
"""The per-scenario summary, repetitions, analysis, targets and environment."""
INTERVALS_NAME = "intervals.csv"
"""One row per interval, warm-up included."""
SUMMARY_NAME = "summary.txt"
"""One line per row: its headline figures and verdicts."""
UNTAGGED = "untagged"
"""The name the untagged lines of a log go by: on screen and as ``untagged.hgrm``."""
HGRM_UNIT_RATIO = 1000.0
"""``.hgrm`` files are in microseconds; histograms are recorded in nanoseconds."""


def find_log(path: Path) -> Path:
    """The interval log that ``path`` names: a log file, or a recording directory's log.

    A directory's finished ``run.hlog`` is preferred; an interrupted recording's
    ``run.hlog.partial`` is the fallback. Raises :class:`ConfigError` when there is neither.
    """
    if path.is_dir():
        for name in (LOG_NAME, PARTIAL_LOG_NAME):
            if (path / name).is_file():
                return path / name
        raise ConfigError(f"{path} holds no recording (no {LOG_NAME} or {PARTIAL_LOG_NAME})")
    if path.is_file():
        return path
    try:
        path.stat()
    except OSError as exc:  # a symlink loop, a dangling link, no permission: say which
        raise ConfigError(f"{path}: {exc.strerror.lower() if exc.strerror else exc}") from None
    raise ConfigError(f"{path} is not a file or directory (a FIFO, socket or device holds no log)")


def tag_name(tag: str | None) -> str:
    """The name a log's tag goes by (a file name: ``<name>.hgrm``); :data:`UNTAGGED` for an untagged line.

    Raises :class:`HistogramFormatError` for a tag no file can be named after.
    """
    if tag is None:
        return UNTAGGED
    if "/" in tag or tag in (".", "..") or "\0" in tag:
        raise HistogramFormatError(f"histogram tag {tag!r} cannot name a .hgrm file")
    return tag
