"""SIGINT, SIGTERM and SIGHUP all mean one thing: stop, and keep what was measured.

Ctrl-C (SIGINT), ``timeout``/CI/systemd/docker (SIGTERM) and a closed
terminal (SIGHUP) are three ways of asking the same thing, so they are
handled alike. Where a run can stop gently (the recorder asks its load
process to stop and still writes its files), a handler does that; anywhere
else a stop signal raises :exc:`StopSignal`, as Python raises
KeyboardInterrupt for SIGINT, and the command ends with ``128 + signal``.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from ..errors import ExitStatus

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""The signals that stop a run."""

Handler = Callable[[int, FrameType | None], None]


class StopSignal(BaseException):
    """A stop signal arrived where nothing could be finished gently.

    A ``BaseException``, like KeyboardInterrupt, so that no ``except
    Exception`` on the way swallows it.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        """The signal's number."""
        super().__init__(signal.Signals(signum).name)

    @property
    def name(self) -> str:
        """The signal's name, ``SIGTERM``."""
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> ExitStatus:
        """``128 + signal``, as a shell reports a process ended by it."""
        return exit_status_of(self.signum)


def raise_stop_signal(signum: int, _frame: FrameType | None) -> None:
    """The handler that raises :exc:`StopSignal`."""
    raise StopSignal(signum)


@contextmanager
def stop_signals(handler: Handler) -> Iterator[None]:
    """Within the block, every stop signal calls ``handler``; the previous handlers come back after.

    A signal that was ignored when the process started stays ignored:
    ``nohup`` (SIGHUP ignored) is the user asking to survive a closed terminal.
    """
    previous = {
        signum: signal.signal(signum, handler) for signum in STOP_SIGNALS if signal.getsignal(signum) != signal.SIG_IGN
    }
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def exit_status_of(signum: int) -> ExitStatus:
    """The exit status that says the run was stopped by ``signum``."""
    return ExitStatus(128 + signum)
