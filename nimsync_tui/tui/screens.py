"""The monitor's two screens: live (a load running) and replay (a log read back).

Each says once which keys it has; the app picks one screen for its source and
never asks the source's type again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, OptionList
from textual.widgets.option_list import Option

from ..errors import NimsyncError
from ..monitor.replay import ReplaySource
from ..monitor.session import LiveSession, Variant
from ..monitor.snapshot import EMPTY_SNAPSHOT, Snapshot
from ..run.process import STOP_GRACE_S
from .dialogs import DirectoryDialog, OverlayDialog, ParamsDialog
from .figures import count_figure, memory_figure, over_time_figure, percentile_figure, throughput_figure
from .labels import marks_legend, row_text
from .widgets import BraillePlot, HeaderBar, LatencyTableView, StepChart, TimelinePlot

REPORT_NAME = "report.html"
"""The HTML report an export writes into its recording (its PNG/SVG charts beside it)."""
NARROW_BELOW = 100
"""Terminal columns under which the side panels shrink and the footer keeps only its main keys."""
_FIRST_REPLAY_BATCH = 16
_REPLAY_BATCH = 256
_PLAY_TICK_S = 0.05
_LIST_CHROME = 2
"""Cells of the scenario list's content width that are not text: the room of a scrollbar."""


class MonitorScreen(Screen[None]):
    """The charts, the table and the scenario list, redrawn from the source's latest snapshot."""

    DEFAULT_CSS = """
    MonitorScreen #top { height: 11fr; }
    MonitorScreen #bottom { height: 9fr; }
    MonitorScreen #scenarios { width: 26; border: round $primary-background-lighten-2; text-wrap: nowrap; }
    MonitorScreen #scenarios:focus { border: round $accent; }
    MonitorScreen #latency { width: 1fr; }
    MonitorScreen #table { width: auto; min-width: 22; }
    MonitorScreen #over-time { width: 1fr; }
    MonitorScreen #throughput { width: 1fr; }
    MonitorScreen #memory { width: 1fr; }
    MonitorScreen #steps { width: 30; }
    MonitorScreen.-narrow #scenarios { width: 22; }
    MonitorScreen.-narrow #steps { width: 22; }
    """
    SECONDARY: ClassVar[frozenset[str]] = frozenset()
    """Actions left out of the footer on a narrow terminal (still on their keys, in the help and the palette)."""

    paused: reactive[bool] = reactive(False, bindings=True)
    """While paused nothing is redrawn; the load and the reading go on."""

    def __init__(self, source: LiveSession | ReplaySource) -> None:
        super().__init__()
        self.source = source
        self.snapshot: Snapshot = EMPTY_SNAPSHOT
        """The last snapshot drawn."""
        self._drawn_version = -1
        self._drawn_rows: tuple[object, ...] = ()
        self._list_width = 0

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Horizontal(id="top"):
            yield OptionList(id="scenarios")
            yield BraillePlot("latency by percentile", id="latency")
            yield LatencyTableView(id="table")
        with Horizontal(id="bottom"):
            yield TimelinePlot("latency over time", id="over-time")
            yield TimelinePlot("throughput per interval", id="throughput")
            yield BraillePlot("memory of the load process", id="memory")
            yield StepChart(id="steps")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#steps").border_title = "throughput per step"
        self.query_one("#scenarios").focus()

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_BELOW
        self.set_class(narrow, "-narrow")
        footer = self.query_one(Footer)
        footer.compact = narrow
        footer.show_command_palette = not narrow
        self.refresh_bindings()
        self.redraw(force=True)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The keys the footer offers: on a narrow terminal, without the secondary ones (their keys still work)."""
        bindings = super().active_bindings
        if not self.has_class("-narrow"):
            return bindings
        return {
            key: active._replace(binding=dataclasses.replace(active.binding, show=False))
            if active.binding.action in self.SECONDARY
            else active
            for key, active in bindings.items()
        }

    # -- drawing ----------------------------------------------------------------

    def redraw(self, *, force: bool = False) -> None:
        """Draw the source's latest snapshot, if anything changed and drawing is not paused."""
        if not self.app.is_running:
            # Shutting down: the app's redraw clock may still tick while Textual
            # removes this screen's widgets.
            return
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
        with self.app.batch_update():
            self.query_one(HeaderBar).show(snapshot, paused=self.paused)
            self.query_one("#latency", BraillePlot).show(percentile_figure(snapshot))
            table = self.query_one(LatencyTableView)
            table.show(snapshot)
            table.border_title = _table_title(snapshot)
            self.query_one("#over-time", BraillePlot).show(over_time_figure(snapshot))
            self._show_rates(snapshot)
            self.query_one(StepChart).show(snapshot)
            self._show_scenarios(snapshot)

    def _show_rates(self, snapshot: Snapshot) -> None:
        """Throughput and memory when the run has them; a log without them gets its count per interval."""
        run = snapshot.runs[0] if snapshot.runs else None
        throughput = self.query_one("#throughput", BraillePlot)
        memory = self.query_one("#memory", BraillePlot)
        foreign = snapshot.mode == "replay" and run is not None and run.throughput.empty
        if foreign:
            throughput.border_title = "values per interval"
            throughput.show(count_figure(snapshot))
        else:
            throughput.border_title = "throughput per interval"
            throughput.show(throughput_figure(snapshot))
        memory.display = not (snapshot.mode == "replay" and (run is None or run.rss.empty))
        memory.show(memory_figure(snapshot))

    def _show_scenarios(self, snapshot: Snapshot) -> None:
        options = self.query_one("#scenarios", OptionList)
        width = max(options.size.width - _LIST_CHROME, 8)
        if snapshot.scenarios == self._drawn_rows and width == self._list_width:
            return
        self._drawn_rows, self._list_width = snapshot.scenarios, width
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(
            Option(row_text(row.state, row.name, row.verdict, width), id=row.name) for row in snapshot.scenarios
        )
        options.border_subtitle = marks_legend([row.state for row in snapshot.scenarios])
        if snapshot.scenarios:
            names = [row.name for row in snapshot.scenarios]
            options.highlighted = highlighted if highlighted is not None else names.index(snapshot.selected)

    # -- a range of the run (both modes) ------------------------------------------

    def on_timeline_plot_range_chosen(self, event: TimelinePlot.RangeChosen) -> None:
        """A drag across the timeline: the intervals under it are the range."""
        self.source.select_time(event.start_s, event.end_s)
        self.redraw(force=True)

    def action_step_back(self) -> None:
        """Move the range's moving end (its end, or its start after [) one interval back."""
        self.source.step(-1)
        self.redraw(force=True)

    def action_step_forward(self) -> None:
        """Move the range's moving end one interval forward."""
        self.source.step(1)
        self.redraw(force=True)

    def action_move_start(self) -> None:
        """From now on ← and → move where the range starts."""
        self.source.move_start()
        self.notify("← → now move the range's start; ] moves its end, w shows the whole run")

    def action_move_end(self) -> None:
        """From now on ← and → move where the range ends."""
        self.source.move_end()
        self.notify("← → now move the range's end")

    def action_first(self) -> None:
        """Show only the first interval."""
        self.source.first()
        self.redraw(force=True)

    def action_whole(self) -> None:
        """Show the whole run."""
        self.source.whole()
        self.redraw(force=True)

    def write_report(self, log: Path, path: Path, value_unit: str = "ns") -> None:
        """Write the HTML report of ``log`` (a recording or any log) to ``path``, its PNG/SVG charts beside it,
        in a thread: plotly and matplotlib take seconds, the screen stays live meanwhile."""
        self.notify(f"writing the report to {path} ...")
        work = partial(self._write_report, log, path, value_unit)
        self.app.run_worker(work, thread=True, group="report", exit_on_error=False)

    def _write_report(self, log: Path, path: Path, value_unit: str) -> None:
        from ..reports.html import write_report  # noqa: PLC0415 - the optional extra, only for a report
        from ..reports.images import write_images  # noqa: PLC0415
        from ..reports.views import log_views  # noqa: PLC0415

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            views = log_views(log, value_unit)
            write_report(views, path)
            images = write_images(views, path.with_suffix(""))
        except (NimsyncError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), title="no report", severity="error", timeout=8)
            return
        self.app.call_from_thread(self.notify, f"report in {path}, {len(images)} chart images beside it", title="saved")

    async def stop(self) -> None:
        """Stop whatever the screen runs, before the app leaves."""

    def close(self) -> None:
        """Let go of what the source holds (the app is gone)."""

    def system_commands(self) -> Iterator[SystemCommand]:
        """The palette's commands for this screen's keys that apply now."""
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if not self.check_action(binding.action, ()):
                continue
            method = getattr(self, f"action_{binding.action}")
            yield SystemCommand(binding.description, (method.__doc__ or "").strip(), method)


def _table_title(snapshot: Snapshot) -> str:
    """What the table describes: the range chosen, else the whole run (live: so far)."""
    if snapshot.range_s is not None:
        return f"intervals {snapshot.first + 1}-{snapshot.position[0]}"
    return "whole run" if snapshot.mode == "replay" else "run so far"


class LiveScreen(MonitorScreen):
    """A load running: pause, restart, change what runs, compare, export, save a baseline."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "pause", "Pause"),
        Binding("space", "resume", "Resume"),
        Binding("r", "restart", "Restart"),
        Binding("i", "switch_impl", "Impl"),
        Binding("c", "change_params", "Params"),
        Binding("m", "compare", "Compare"),
        Binding("M", "compare_which", "Compare which", show=False),  # in the help and the palette
        Binding("e", "export", "Export"),
        Binding("b", "save_baseline", "Baseline"),
        # A range of the run so far: in the help and the palette; the footer has no room for them.
        Binding("left", "step_back", "Range end back", show=False, priority=True),
        Binding("right", "step_forward", "Range end on", show=False, priority=True),
        Binding("left_square_bracket", "move_start", "Move start", show=False),
        Binding("right_square_bracket", "move_end", "Move end", show=False),
        Binding("home", "first", "First", show=False, priority=True),
        Binding("w", "whole", "Whole run", show=False),
        Binding("t", "overlay", "Baselines", show=False),
    ]
    SECONDARY = frozenset({"switch_impl", "change_params", "save_baseline"})

    def __init__(self, source: LiveSession) -> None:
        super().__init__(source)
        self.session = source

    def on_mount(self) -> None:
        self.query_one("#scenarios").border_title = "scenarios"
        self.start_load()
        self.redraw(force=True)

    def start_load(self) -> None:
        """(Re)start the selected scenario's load with empty histograms."""
        # Exclusive: starting again cancels the running load's worker first,
        # and the session lets the old process exit before the new one starts.
        self.app.run_worker(self.session.drive(), name="load", group="load", exclusive=True, exit_on_error=False)

    async def stop(self) -> None:
        """Stop the load gracefully, then make sure no worker (and so no process) is left."""
        self.session.stop()
        workers = [w for w in self.app.workers if w.group == "load" and not w.is_finished]
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in workers)), STOP_GRACE_S + 1)
        self.app.workers.cancel_group(self.app, "load")
        for worker in workers:
            with contextlib.suppress(Exception):
                await worker.wait()

    def close(self) -> None:
        self.session.close()

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        # Space is Pause or Resume: only one of them is in the footer.
        if action == "pause":
            return not self.paused
        if action == "resume":
            return self.paused
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self._start_named(event.option.id)

    def _start_named(self, name: str) -> None:
        self.session.select(name)
        self.start_load()
        self.redraw(force=True)

    def system_commands(self) -> Iterator[SystemCommand]:
        yield from super().system_commands()
        for name in self.session.specs:
            yield SystemCommand(f"Start {name}", f"run {name} live", lambda n=name: self._start_named(n))

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
        self.notify(f"{self.session.selected} restarted with empty histograms")
        self.start_load()

    def action_switch_impl(self) -> None:
        """Switch the scenario on screen to the next implementation and restart it; the ones run before stay
        drawn beside it (their spectra, with a legend, and a table column each)."""
        impl = self.session.switch_impl()
        self.notify(f"now running on {impl}: restarted with empty histograms; those run before stay beside it")
        self.start_load()

    def action_compare(self) -> None:
        """Cycle the live comparison: off, every implementation given, ours vs trio, ours under Trio's rule."""
        mode = self.session.cycle_comparison()
        what = "comparison off" if mode is None else f"comparing in turns: {self.session.describe_comparison()}"
        self.notify(f"{what}; restarted with empty histograms")
        self.start_load()

    def action_compare_which(self) -> None:
        """Choose two or more implementations to compare in turns (the highest ticked is the reference)."""
        session = self.session
        choices = list(session.choices())
        now = tuple(Variant.label_of(spec) for spec in session.plan()) if session.compare_with else ()

        def chosen(labels: list[str] | None) -> None:
            if labels is None:
                return
            try:
                mode = session.compare([label for label in choices if label in labels])
            except NimsyncError as exc:
                self.notify(str(exc), severity="error")
                return
            what = "comparison off" if mode is None else f"comparing in turns: {session.describe_comparison()}"
            self.notify(f"{what}; restarted with empty histograms")
            self.start_load()

        title = "Compare in turns (two or more; none: off)"
        self.app.push_screen(OverlayDialog(title, choices, now, button="Compare"), chosen)

    def action_change_params(self) -> None:
        """Ask for capacity, producers and consumers, then restart with them."""
        session = self.session
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
            self.start_load()

        self.app.push_screen(ParamsDialog(p.capacity, p.producers, p.consumers), apply)

    def action_overlay(self) -> None:
        """Choose the --compare baselines drawn over the spectrum, each with its legend entry."""
        labels = [b.label for b in self.session.baselines]
        if not labels:
            self.notify("no baseline to draw: give --compare DIR_OR_HLOG (again for more), or save one with b")
            return

        def chosen(names: list[str] | None) -> None:
            if names is not None:
                self.session.show_baselines(names)
                self.redraw(force=True)

        shown = tuple(label for label in labels if label not in self.session.hidden)
        self.app.push_screen(OverlayDialog("Baselines drawn over the spectrum", labels, shown), chosen)

    def action_export(self) -> None:
        """Ask for a directory and write the run so far there as a recording, and its HTML report in it."""
        session = self.session
        default = Path("runs") / f"{session.selected}-{time.strftime('%Y%m%d-%H%M%S')}"

        def export(directory: Path) -> Path:
            written = session.export(directory)
            # The report of the recording just written: what --replay DIR --report would write.
            self.write_report(written, written / REPORT_NAME)
            return written

        self._ask_directory("Export the run so far into", default, export)

    def action_save_baseline(self) -> None:
        """Save the run so far as a baseline recording and compare with it from now on."""
        session = self.session
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

        self.app.push_screen(DirectoryDialog(title, default), done)


class ReplayScreen(MonitorScreen):
    """A log read back: step through its intervals, choose a range of them, play them at their pace."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step_back", "Back", priority=True),
        Binding("right", "step_forward", "Step", priority=True),
        # In the help and the palette, not the footer: it has no room for every key.
        Binding("left_square_bracket", "move_start", "Move start", show=False),
        Binding("right_square_bracket", "move_end", "Move end", show=False),
        Binding("home", "first", "First", priority=True, show=False),
        Binding("space", "play", "Play"),
        Binding("space", "stop_playing", "Stop"),
        Binding("w", "whole", "Whole run"),
        Binding("t", "overlay", "Overlay"),
        Binding("e", "report", "Report"),
    ]
    SECONDARY = frozenset({"overlay"})

    def __init__(self, source: ReplaySource) -> None:
        super().__init__(source)
        self.replay = source
        self._playing = False

    def on_mount(self) -> None:
        self.query_one("#scenarios").border_title = "tags"
        self.app.run_worker(self._load(), name="replay", group="replay", exit_on_error=False)
        self.set_interval(_PLAY_TICK_S, self.replay.tick)
        self.redraw(force=True)

    async def _load(self) -> None:
        try:
            # A small first batch puts the first frame up at once; larger ones then load the rest.
            batch = _FIRST_REPLAY_BATCH
            while not self.replay.load(batch):
                if batch == _FIRST_REPLAY_BATCH:
                    self.redraw(force=True)
                batch = _REPLAY_BATCH
                await asyncio.sleep(0)
        except NimsyncError as exc:
            self.notify(str(exc), title="replay stopped", severity="error", timeout=10)

    def show(self, snapshot: Snapshot) -> None:
        super().show(snapshot)
        if snapshot.playing != self._playing:
            self._playing = snapshot.playing
            self.refresh_bindings()  # Space is Play, or Stop while playing

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action == "play":
            return not self._playing
        if action == "stop_playing":
            return self._playing
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.replay.select(event.option.id)
            self.redraw(force=True)

    def action_overlay(self) -> None:
        """Choose the tags whose spectra are drawn over this one's, with a legend."""
        others = [name for name in self.replay.tags if name != self.replay.selected]
        if not others:
            self.notify("the log has one tag: nothing to draw over it")
            return

        def chosen(names: list[str] | None) -> None:
            if names is not None:
                self.replay.overlay(names)
                self.redraw(force=True)

        title = f"Draw over {self.replay.selected} (each tag's whole run)"
        self.app.push_screen(OverlayDialog(title, others, self.replay.overlaid), chosen)

    def action_report(self) -> None:
        """Ask for a file and write the log's HTML report there (PNG/SVG charts beside it)."""
        default = Path("reports") / f"{self.replay.path.stem}.html"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.write_report(self.replay.path, path, self.replay.value_unit)

        self.app.push_screen(DirectoryDialog("Write the log's HTML report to", default), chosen)

    def action_play(self) -> None:
        """Play the intervals at their recorded pace."""
        self.replay.toggle_play()

    def action_stop_playing(self) -> None:
        """Stop playing: the intervals shown stay."""
        self.replay.toggle_play()
