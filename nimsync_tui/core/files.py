"""Writing output files without ever leaving a half-written one behind; reading lines of bounded length."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import ConfigError, LineTooLongError

MAX_LINE_BYTES = 16 << 20
"""The longest line a reader takes: a log line of the densest histogram is a few megabytes at most."""


def bounded_lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of ``stream`` with their line ends; raises :class:`LineTooLongError` past ``max_bytes``.

    Iterating a file reads a whole line however long it is: a gigabyte with no
    line end (a sparse file, a device) would be read into memory before any
    check could look at it.
    """
    number = 0
    while line := stream.readline(max_bytes + 1):
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            raise LineTooLongError(number, max_bytes)
        yield line


def read_small_text(path: Path, max_bytes: int, what: str) -> str:
    """The UTF-8 text of ``path``, a regular file of at most ``max_bytes``; :class:`ConfigError` otherwise.

    A FIFO would block the read, ``/dev/zero`` never ends: neither is read at
    all. ``OSError`` and ``UnicodeDecodeError`` are left to the caller.
    """
    # O_NONBLOCK: opening a FIFO with no writer must not hang before the check.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise ConfigError(f"{what} {path} is not a regular file")
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ConfigError(f"{what} {path} is larger than {max_bytes >> 20} MiB: not one nimsync-tui wrote")
    return data.decode("utf-8")


def confined(root: Path, asked: Path) -> Path:
    """``asked`` as a path inside ``root`` (relative ones taken from it); :class:`ConfigError` if it leads outside.

    Symbolic links and ``..`` are followed before the check, so neither leads out.
    """
    path = (asked if asked.is_absolute() else root / asked).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ConfigError(f"{asked} is outside {root}, the only folder this session writes to: name a folder inside it")
    return path


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place.

    A crash or Ctrl-C mid-write leaves the old file (if any) untouched.
    """
    os.replace(_write_temporary(path, text), path)


class StagedFiles:
    """Files written to temporary names first, then renamed into place together.

    Every file is complete on disk before the first rename, so a failure
    while writing (a full disk, a file size limit) leaves each destination as
    it was; the renames themselves need no space. Leaving the ``with`` block
    on an error removes the temporary files.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def write(self, path: Path, text: str) -> None:
        """Write ``text`` to a temporary file beside ``path``, renamed by :meth:`commit`."""
        self._staged.append((_write_temporary(path, text), path))

    def commit(self) -> None:
        """Rename every staged file into place, in the order written."""
        while self._staged:
            tmp, path = self._staged.pop(0)
            os.replace(tmp, path)

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged.clear()


def _write_temporary(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file private (0600); give it the mode any other
        # new file of the user's would get.
        os.fchmod(fd, 0o666 & ~_umask())
        # Unbuffered: the error of a full disk is the write's own, never hidden
        # behind a second one from a buffered file's close.
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return Path(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
