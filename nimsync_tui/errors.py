"""The project's own exception types, and the exit status each one means.

Every error a user can cause (bad options, unreadable files, a crashed load)
is one of these, with a message that says what to do; the CLI prints it as a
single line and exits with the error's :attr:`NimsyncError.exit_status`
instead of showing a traceback. The statuses are the command-line contract,
documented in the README and ``--help``.
"""

from enum import IntEnum


class ExitStatus(IntEnum):
    """What ``nimsync-tui``'s exit status says."""

    OK = 0
    FAILED = 1
    """A load failed, or a file could not be written."""
    USAGE = 2
    """Bad options or paths: nothing was run, nothing written."""
    TARGET_MISSED = 3
    """With ``--performance``: a target or per-test check was missed."""
    REGRESSION = 4
    """Against ``--compare``: a change past its threshold that is also significant."""
    SIGHUP = 129
    SIGINT = 130
    SIGTERM = 143


class NimsyncError(Exception):
    """Base of every error nimsync-tui reports to its user."""

    exit_status: ExitStatus = ExitStatus.FAILED


class ConfigError(NimsyncError):
    """An option, path or combination of options that cannot be run."""

    exit_status = ExitStatus.USAGE


class OutputExistsError(ConfigError):
    """The output location already holds files that a run would overwrite."""


class HistogramFormatError(NimsyncError):
    """A histogram log or encoded histogram that cannot be read."""

    exit_status = ExitStatus.USAGE


class RunnerError(NimsyncError):
    """The load process failed or broke its output protocol."""


class LoadFailedError(RunnerError):
    """One scenario's load failed: it raised, its process died, or it broke the protocol."""

    def __init__(self, scenario: str, cause: str, *, raised: bool = False) -> None:
        self.scenario = scenario
        """The scenario that failed."""
        self.cause = cause
        """What happened, one line, without the scenario's name (``ValueError: ...``)."""
        super().__init__(f"{scenario} failed: {cause}" if raised else f"{scenario}: {cause}")


class LineTooLongError(HistogramFormatError):
    """A line of an input file longer than any a reader takes (no file of ours holds one)."""

    def __init__(self, line: int, max_bytes: int) -> None:
        self.line = line
        """1-based number of the line."""
        super().__init__(f"line {line} is longer than {max_bytes >> 20} MiB: not a file nimsync-tui reads")
