"""The monitor app: one screen over a live session or a replay, redrawn at most ten times a second."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, OptionList
from textual.widgets.option_list import Option

from ..errors import ExitStatus, NimsyncError
from ..monitor.history_view import history_view
from ..monitor.replay import ReplaySource
from ..monitor.session import LiveSession
from ..monitor.snapshot import EMPTY_SNAPSHOT, Snapshot
from ..run.process import STOP_GRACE_S
from .dialogs import DirectoryDialog, HelpScreen, HistoryScreen, ParamsDialog
from .figures import memory_figure, percentile_figure, throughput_figure
from .widgets import BraillePlot, HeaderBar, LatencyTableView, StepChart

DEFAULT_FPS = 10.0
"""Redraws a second at most (10 fps of braille over numpy costs under a tenth of a core)."""
_FIRST_REPLAY_BATCH = 16
_REPLAY_BATCH = 256
_PLAY_TICK_S = 0.05
_HANGUP_MARGIN_S = 2.0
"""After a hang-up, how long past the load's stop grace the app may take to leave."""
_LIVE_ONLY = {"restart", "switch_impl", "change_params", "compare", "export", "save_baseline"}
_REPLAY_ONLY = {"step_back", "step_forward", "first", "whole", "play"}
_STATE_MARKS = {"running": "▶", "done": "✓", "stopped": "■", "failed": "✗", "idle": " ", "replay": " "}


class MonitorApp(App[int]):
    """Live HDR latency, throughput and memory of a load (or of a replayed log) on one screen.

    Returns the exit status from :meth:`run`: 0, or 143/129 when SIGTERM/SIGHUP ended it.
    """

    paused: reactive[bool] = reactive(False, bindings=True)
    """While paused nothing is redrawn; the load and the reading go on. The footer offers Resume then."""

    TITLE = "nimsync-tui"
    CSS = """
    #top { height: 11fr; }
    #bottom { height: 9fr; }
    #scenarios { width: 26; border: round $primary-background-lighten-2; text-wrap: nowrap; text-overflow: ellipsis; }
    #scenarios:focus { border: round $accent; }
    #latency { width: 1fr; }
    #table { width: auto; min-width: 22; }
    #throughput { width: 1fr; }
    #memory { width: 1fr; }
    #steps { width: 30; }
    .-narrow #scenarios { width: 22; }
    .-narrow #steps { width: 22; }
    """
    NARROW_BELOW = 100
    """Terminal columns under which the side panels shrink to leave the plots room."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "pause", "Pause"),
        Binding("space", "resume", "Resume"),
        Binding("r", "restart", "Restart"),
        Binding("i", "switch_impl", "Impl"),
        Binding("c", "change_params", "Params"),
        Binding("m", "compare", "Compare"),
        Binding("e", "export", "Export"),
        Binding("b", "save_baseline", "Baseline"),
        Binding("left", "step_back", "Back", priority=True),
        Binding("right", "step_forward", "Step", priority=True),
        Binding("space", "play", "Play"),
        Binding("home", "first", "First", priority=True),
        Binding("w", "whole", "Whole run"),
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
        self.snapshot: Snapshot = EMPTY_SNAPSHOT
        """The last snapshot drawn."""
        self._fps = fps
        self._drawn_version = -1
        self._drawn_rows: tuple[object, ...] = ()
        self._exit_status = ExitStatus.OK
        self._quitting = False

    @property
    def live(self) -> bool:
        """True over a live session, False in replay."""
        return isinstance(self.source, LiveSession)

    # -- layout -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Horizontal(id="top"):
            yield OptionList(id="scenarios")
            yield BraillePlot("latency by percentile", id="latency")
            yield LatencyTableView(id="table")
        with Horizontal(id="bottom"):
            yield BraillePlot("throughput per interval", id="throughput")
            yield BraillePlot("memory of the load process", id="memory")
            yield StepChart(id="steps")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#scenarios").border_title = "scenarios" if self.live else "tags"
        self.query_one("#table").border_title = "run so far"
        self.query_one("#steps").border_title = "throughput per step"
        loop = asyncio.get_running_loop()
        for signum, status in ((signal.SIGTERM, ExitStatus.SIGTERM), (signal.SIGHUP, ExitStatus.SIGHUP)):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._on_signal, status)
        self.set_interval(1.0 / self._fps, self.redraw)
        if isinstance(self.source, LiveSession):
            self._start_load()
        else:
            self.run_worker(self._load_replay(), name="replay", group="replay", exit_on_error=False)
            self.set_interval(_PLAY_TICK_S, self.source.tick)
        self.redraw(force=True)
        self.query_one("#scenarios").focus()

    def on_resize(self) -> None:
        self.screen.set_class(self.size.width < self.NARROW_BELOW, "-narrow")

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)
        if isinstance(self.source, LiveSession):
            self.source.close()

    # -- drawing ----------------------------------------------------------------

    def redraw(self, *, force: bool = False) -> None:
        """Draw the source's latest snapshot, if anything changed and drawing is not paused."""
        if self.paused and not force:
            return
        version = self.source.version
        if version == self._drawn_version and not force:
            return
        self._drawn_version = version
        self.show(self.source.snapshot())

    def show(self, snapshot: Snapshot) -> None:
        """Spread one snapshot to every widget, in one batch."""
        self.snapshot = snapshot
        with self.batch_update():
            self.query_one(HeaderBar).show(snapshot)
            self.query_one("#latency", BraillePlot).show(percentile_figure(snapshot))
            self.query_one(LatencyTableView).show(snapshot)
            self.query_one("#throughput", BraillePlot).show(throughput_figure(snapshot))
            self.query_one("#memory", BraillePlot).show(memory_figure(snapshot))
            self.query_one(StepChart).show(snapshot)
            self._show_scenarios(snapshot)

    def _show_scenarios(self, snapshot: Snapshot) -> None:
        if snapshot.scenarios == self._drawn_rows:
            return
        self._drawn_rows = snapshot.scenarios
        options = self.query_one("#scenarios", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(
            Option(f"{_STATE_MARKS.get(row.state, '?')} {row.name} {row.verdict}".rstrip(), id=row.name)
            for row in snapshot.scenarios
        )
        if snapshot.scenarios:
            names = [row.name for row in snapshot.scenarios]
            options.highlighted = highlighted if highlighted is not None else names.index(snapshot.selected)

    # -- the load ---------------------------------------------------------------

    def _start_load(self) -> None:
        assert isinstance(self.source, LiveSession)
        # Exclusive: starting again cancels the running load's worker first,
        # and the session lets the old process exit before the new one starts.
        self.run_worker(self.source.drive(), name="load", group="load", exclusive=True, exit_on_error=False)

    async def _load_replay(self) -> None:
        assert isinstance(self.source, ReplaySource)
        try:
            # A small first batch puts the first frame up at once; larger ones then load the rest.
            batch = _FIRST_REPLAY_BATCH
            while not self.source.load(batch):
                if batch == _FIRST_REPLAY_BATCH:
                    self.redraw(force=True)
                batch = _REPLAY_BATCH
                await asyncio.sleep(0)
        except NimsyncError as exc:
            self.notify(str(exc), title="replay stopped", severity="error", timeout=10)

    async def _stop_load(self) -> None:
        """Stop the load gracefully, then make sure no worker (and so no process) is left."""
        if not isinstance(self.source, LiveSession):
            return
        self.source.stop()
        workers = [w for w in self.workers if w.group == "load" and not w.is_finished]
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in workers)), STOP_GRACE_S + 1)
        self.workers.cancel_group(self, "load")
        for worker in workers:
            with contextlib.suppress(Exception):
                await worker.wait()

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

    # -- actions ----------------------------------------------------------------

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        # Space is Pause or Resume (live) and Play (replay): only one of them is in the footer.
        if action == "pause":
            return self.live and not self.paused
        if action == "resume":
            return self.live and self.paused
        if action in _LIVE_ONLY:
            return self.live
        if action in _REPLAY_ONLY:
            return not self.live
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        if name is None:
            return
        if isinstance(self.source, LiveSession):
            self.source.select(name)
            self._start_load()
        else:
            self.source.select(name)
        self.redraw(force=True)

    def action_pause(self) -> None:
        """Stop drawing; the load and its reading go on."""
        self.paused = True
        self.notify("drawing paused; the load and its reading go on")
        self.redraw(force=True)

    def action_resume(self) -> None:
        """Draw again, from the latest figures."""
        self.paused = False
        self.notify("drawing resumed")
        self.redraw(force=True)

    def action_restart(self) -> None:
        """Restart the scenario on screen with empty histograms."""
        self._start_load()

    def action_switch_impl(self) -> None:
        """Switch the scenario on screen to the other implementation and restart it."""
        assert isinstance(self.source, LiveSession)
        impl = self.source.switch_impl()
        self.notify(f"now running on {impl}")
        self._start_load()

    def action_compare(self) -> None:
        """Cycle the live comparison: off, ours vs trio, ours vs ours under Trio's checkpoint rule."""
        assert isinstance(self.source, LiveSession)
        mode = self.source.cycle_comparison()
        self.notify("comparison off" if mode is None else f"comparing in turns: {mode}")
        self._start_load()

    def action_change_params(self) -> None:
        """Ask for capacity, producers and consumers, then restart with them."""
        assert isinstance(self.source, LiveSession)
        session = self.source
        p = session.spec.params

        def apply(values: tuple[int, int, int] | None) -> None:
            if values is None:
                return
            capacity, producers, consumers = values
            try:
                session.change_params(capacity=capacity, producers=producers, consumers=consumers)
            except NimsyncError as exc:
                self.notify(str(exc), severity="error")
                return
            self._start_load()

        self.push_screen(ParamsDialog(p.capacity, p.producers, p.consumers), apply)

    def action_export(self) -> None:
        """Ask for a directory and write the run so far there as a recording."""
        assert isinstance(self.source, LiveSession)
        session = self.source
        default = Path("runs") / f"{session.selected}-{time.strftime('%Y%m%d-%H%M%S')}"
        self._ask_directory("Export the run so far into", default, session.export)

    def action_save_baseline(self) -> None:
        """Save the run so far as a baseline recording and compare with it from now on."""
        assert isinstance(self.source, LiveSession)
        session = self.source
        default = Path("baselines") / f"{session.selected}-{session.spec.params.impl}"
        self._ask_directory("Save the run so far as a baseline in", default, session.save_baseline)

    def _ask_directory(self, title: str, default: Path, write: Callable[[Path], Path]) -> None:
        def done(directory: Path | None) -> None:
            if directory is None:
                return
            try:
                written = write(directory)
            except (NimsyncError, OSError) as exc:
                self.notify(str(exc), title="nothing written", severity="error", timeout=8)
                return
            self.notify(f"written to {written}", title="saved")
            self.redraw(force=True)

        self.push_screen(DirectoryDialog(title, default), done)

    def action_step_back(self) -> None:
        """Show one interval less."""
        assert isinstance(self.source, ReplaySource)
        self.source.step(-1)

    def action_step_forward(self) -> None:
        """Show one interval more."""
        assert isinstance(self.source, ReplaySource)
        self.source.step(1)

    def action_first(self) -> None:
        """Show only the first interval."""
        assert isinstance(self.source, ReplaySource)
        self.source.first()

    def action_whole(self) -> None:
        """Show the whole run."""
        assert isinstance(self.source, ReplaySource)
        self.source.whole()

    def action_play(self) -> None:
        """Play the intervals at their recorded pace, or stop playing."""
        assert isinstance(self.source, ReplaySource)
        self.source.toggle_play()

    def action_help(self) -> None:
        """Show the keys and what the charts mean."""
        self.push_screen(HelpScreen())

    def action_history(self) -> None:
        """Show the scenario on screen by commit on this machine: trends and change points."""
        scenario = self.snapshot.selected.partition(".")[0]
        if scenario:
            self.push_screen(HistoryScreen(history_view(scenario, path=self.history)))

    async def action_quit(self) -> None:
        """Stop every load process, then leave."""
        if self._quitting:
            return
        self._quitting = True
        await self._stop_load()
        self.exit(int(self._exit_status))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action in ("quit", "help") or not self.check_action(binding.action, ()):
                continue
            method = getattr(self, f"action_{binding.action}")
            yield SystemCommand(binding.description, (method.__doc__ or "").strip(), method)
        if isinstance(self.source, LiveSession):
            for name in self.source.specs:
                yield SystemCommand(f"Start {name}", f"run {name} live", lambda n=name: self._start_named(n))
        yield SystemCommand("Help", "the keys and what the charts mean", self.action_help)
        yield SystemCommand("Quit nimsync-tui", "stop every load process and leave", self.action_quit)

    def _start_named(self, name: str) -> None:
        assert isinstance(self.source, LiveSession)
        self.source.select(name)
        self._start_load()
        self.redraw(force=True)
