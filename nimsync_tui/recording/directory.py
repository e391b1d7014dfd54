"""A directory claimed by one recording, and the log that grows in it.

What a recording promises when things go wrong:

- Existing files are never overwritten unless asked, and every file appears
  only once complete (written to a temporary name, then renamed); the final
  files are all written before the first is renamed, so a full disk leaves
  an earlier recording whole.
- The log grows as ``run.hlog.partial``, one whole interval at a time: a
  recorder killed outright leaves every completed interval there, readable;
  a failed write is cut back to the last whole interval.
"""

from __future__ import annotations

import fcntl
import io
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from ..core.files import StagedFiles
from ..core.hlog import HlogWriter
from ..errors import ConfigError, OutputExistsError
from .names import INTERVALS_NAME, LOG_NAME, PARTIAL_LOG_NAME, RESULTS_NAME, SUMMARY_NAME

__all__ = ["OutputDir"]


_FILES_SHOWN = 3
"""How many of an earlier recording's files a refusal names."""


class _Log:
    """The growing ``run.hlog.partial``: appended one whole interval at a time.

    Each :meth:`write` goes to the file with ``os.write`` at once, never left
    in a buffer, so a recorder killed outright leaves only whole intervals; a
    write that fails (a full disk) is cut back to the last whole one before
    the error goes on.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        self._size = 0

    def write(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        size = len(data)
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            os.ftruncate(self._fd, self._size)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        self._size += size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class OutputDir:
    """A directory claimed by one recording: created, locked, checked for old files.

    The lock (``flock`` on the directory itself, released when the process
    ends however it ends) keeps two recordings from writing one directory.
    A directory that cannot be claimed is left as it was found: any folder
    created for it on the way is removed again.
    """

    def __init__(self, path: Path, scenarios: Iterable[str], *, overwrite: bool) -> None:
        self.path = path
        """The directory."""
        created = _make_directories(path)
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            _remove_directories(created)
            raise ConfigError(f"cannot open {_short(path)}: {exc.strerror}") from None
        try:
            self._lock_and_check(scenarios, overwrite)
            self.log = _Log(path / PARTIAL_LOG_NAME)
            """The partial log file; every :meth:`_Log.write` reaches it whole."""
        except BaseException as exc:
            os.close(self._fd)
            _remove_directories(created)
            if isinstance(exc, OSError):
                raise ConfigError(f"cannot write in {_short(path)}: {exc.strerror}") from None
            raise

        # Log lines gather here and reach the file one whole interval at a
        # time, by commit_log() (see _Log).
        self._pending = io.StringIO()
        self.hlog = HlogWriter(self._pending)
        """The recording's log: what is written here reaches ``run.hlog.partial`` at :meth:`commit_log`."""

    def commit_log(self) -> None:
        """Append what :attr:`hlog` gathered since the last commit to the log file, as one write."""
        self.log.write(self._pending.getvalue())
        self._pending.seek(0)
        self._pending.truncate()

    def _lock_and_check(self, scenarios: Iterable[str], overwrite: bool) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputExistsError(
                f"another nimsync-tui is recording into {self.path}; wait for it or choose another directory"
            ) from None
        names = [LOG_NAME, PARTIAL_LOG_NAME, RESULTS_NAME, INTERVALS_NAME, SUMMARY_NAME]
        # Steps write one distribution each, so any .hgrm here is an earlier recording's.
        names += sorted({f"{scenario}.hgrm" for scenario in scenarios} | {p.name for p in self.path.glob("*.hgrm")})
        taken = [n for n in names if (self.path / n).exists()]
        if taken and not overwrite:
            # What to do first; a recording of many scenarios has dozens of files, so a few names and the count.
            shown = ", ".join(taken[:_FILES_SHOWN]) + (", ..." if len(taken) > _FILES_SHOWN else "")
            raise OutputExistsError(
                f"{self.path} already holds a recording: choose another directory or pass --overwrite "
                f"({len(taken)} of its files: {shown})"
            )

    def finish(self, files: dict[str, str], *, remove: set[str]) -> None:
        """Write ``files`` (name: text) and rename the log into place; then delete the ``remove`` names.

        The log goes last: its presence marks a finished recording.
        """
        self.commit_log()
        self.log.close()
        with StagedFiles() as staged:
            for name, text in files.items():
                path = self.path / name
                try:
                    staged.write(path, text)
                except OSError as exc:
                    raise OSError(exc.errno, exc.strerror, str(path)) from None
            staged.commit()
        os.replace(self.path / PARTIAL_LOG_NAME, self.path / LOG_NAME)
        for name in remove:
            (self.path / name).unlink(missing_ok=True)

    def close(self) -> None:
        """Release the directory (and close the log if still open)."""
        self.log.close()
        os.close(self._fd)

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _make_directories(path: Path) -> list[Path]:
    """Create ``path`` and its missing parents; the folders created, outermost first.

    On failure nothing created stays behind, and the error is a :class:`ConfigError`.
    """
    created: list[Path] = []
    try:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{path} exists and is not a directory")
        missing = []
        folder = path
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
    except OSError as exc:
        _remove_directories(created)
        raise ConfigError(f"cannot create {_short(path)}: {exc.strerror}") from None
    return created


def _remove_directories(created: list[Path]) -> None:
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            return  # something else put a file there meanwhile: leave it


def _short(path: Path) -> str:
    # An over-long path must still give a line a person can read.
    text = str(path)
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]} ({len(text)} characters)"
