"""The project's own exception types.

Every error a user can cause (bad options, unreadable files, a crashed load)
is one of these, with a message that says what to do; the CLI prints it as a
single line and exits non-zero instead of showing a traceback.
"""


class NimsyncError(Exception):
    """Base of every error nimsync-tui reports to its user."""


class ConfigError(NimsyncError):
    """An option or combination of options that cannot be run."""


class OutputExistsError(NimsyncError):
    """The output location already holds files that a run would overwrite."""


class HistogramFormatError(NimsyncError):
    """A histogram log or encoded histogram that cannot be read."""


class RunnerError(NimsyncError):
    """The load process failed or broke its output protocol."""
