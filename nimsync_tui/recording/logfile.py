"""A log file read as a stream, and read again only as it was the first time."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from ..core.files import bounded_lines
from ..core.hlog import HlogReader
from ..errors import HistogramFormatError, LineTooLongError

__all__ = ["LogFile"]


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

    def reader(self) -> HlogReader:
        """A reader over the log's lines, naming the file in its messages."""
        return HlogReader(self.lines(), str(self.path))
