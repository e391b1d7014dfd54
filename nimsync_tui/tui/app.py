"""The monitor app: one screen over a live session or a replay, redrawn at most ten times a second."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from ..errors import ExitStatus
from ..monitor.history_view import history_view
from ..monitor.replay import ReplaySource
from ..monitor.session import LiveSession
from ..monitor.snapshot import Snapshot
from ..run.process import STOP_GRACE_S
from .dialogs import HelpScreen, HistoryScreen
from .screens import LiveScreen, MonitorScreen, ReplayScreen

DEFAULT_FPS = 10.0
"""Redraws a second at most (10 fps of braille over numpy costs under a tenth of a core)."""
_HANGUP_MARGIN_S = 2.0
"""After a hang-up, how long past the load's stop grace the app may take to leave."""


class MonitorApp(App[int]):
    """Live HDR latency, throughput and memory of a load (or of a replayed log) on one screen.

    The screen is a :class:`LiveScreen` or a :class:`ReplayScreen`, chosen once
    from the source; the app keeps what both share: the redraw clock, signals, help and quitting.
    Returns the exit status from :meth:`run`: 0, or 143/129 when SIGTERM/SIGHUP ended it.
    """

    TITLE = "nimsync-tui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "history", "History", show=False),  # in the help and the palette; the footer is full
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self, source: LiveSession | ReplaySource, *, fps: float = DEFAULT_FPS, history: Path | None = None
    ) -> None:
        super().__init__()
        self.source = source
        """What is shown: a live session, or a replay."""
        self.history = history
        """The history store the ``h`` key reads (``None``: the default one)."""
        self.monitor: MonitorScreen = LiveScreen(source) if isinstance(source, LiveSession) else ReplayScreen(source)
        """The screen that draws the source."""
        self._fps = fps
        self._exit_status = ExitStatus.OK
        self._quitting = False

    @property
    def snapshot(self) -> Snapshot:
        """The last snapshot drawn."""
        return self.monitor.snapshot

    @property
    def paused(self) -> bool:
        """Whether drawing is paused (live only)."""
        return self.monitor.paused

    def get_default_screen(self) -> Screen[None]:
        return self.monitor

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum, status in ((signal.SIGTERM, ExitStatus.SIGTERM), (signal.SIGHUP, ExitStatus.SIGHUP)):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._on_signal, status)
        self.set_interval(1.0 / self._fps, self.monitor.redraw)

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)
        self.monitor.close()

    def _on_signal(self, status: ExitStatus) -> None:
        self._exit_status = status
        if status == ExitStatus.SIGHUP:
            # The terminal is gone: Textual's goodbye (restoring the screen) can block
            # for ever on a tty that no longer reads. Quit as usual, but leave for sure
            # once the load has had its grace period; a load that outlived us would
            # still stop by itself when its stdin closes.
            leave = threading.Timer(STOP_GRACE_S + _HANGUP_MARGIN_S, os._exit, (int(status),))
            leave.daemon = True  # an exit that does complete is not held up by it
            leave.start()
        self.run_worker(self.action_quit(), group="quit")

    def action_help(self) -> None:
        """Show the keys and what the charts mean."""
        self.push_screen(HelpScreen())

    def action_history(self) -> None:
        """Show the scenario on screen by commit on this machine: trends and change points."""
        scenario = self.snapshot.selected.partition(".")[0]
        if scenario:
            self.push_screen(HistoryScreen(history_view(scenario, path=self.history)))

    async def on_exit_app(self) -> None:
        """Stop every load before Textual leaves, however it was asked to.

        Textual's web driver (``--serve``: a closed tab, the server's "quit",
        its signal handlers) posts ExitApp directly rather than calling
        :meth:`action_quit`; without this its workers are cancelled and a load
        process outlives the loop that should reap it.
        """
        await self.monitor.stop()

    async def action_quit(self) -> None:
        """Stop every load process, then leave."""
        if self._quitting:
            return
        self._quitting = True
        await self.monitor.stop()
        self.exit(int(self._exit_status))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from self.monitor.system_commands()
        yield SystemCommand("Help", "the keys and what the charts mean", self.action_help)
        yield SystemCommand("Quit nimsync-tui", "stop every load process and leave", self.action_quit)
