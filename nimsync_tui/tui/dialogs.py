"""Modal dialogs: a directory to write into, the load's parameters, and the help."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown, SelectionList, Static

from ..monitor.history_view import HistoryView

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; height: auto; border: thick $primary; background: $surface; padding: 1 2; }}
{name} Input {{ margin-bottom: 1; }}
"""


class DirectoryDialog(ModalScreen[Path | None]):
    """Asks for a directory; returns it, or ``None`` when cancelled."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="DirectoryDialog")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: Path) -> None:
        super().__init__()
        self._title = title
        self._default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title)
            yield Input(str(self._default), id="directory")
            yield Button("Write", variant="primary", id="ok")

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self._done()

    def _done(self) -> None:
        value = self.query_one("#directory", Input).value.strip()
        self.dismiss(Path(value).expanduser() if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ParamsDialog(ModalScreen[tuple[int, int, int] | None]):
    """Asks for capacity, producers and consumers; returns them, or ``None`` when cancelled."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="ParamsDialog")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, capacity: int, producers: int, consumers: int) -> None:
        super().__init__()
        self._values = (capacity, producers, consumers)

    def compose(self) -> ComposeResult:
        with Vertical():
            for name, value in zip(("capacity", "producers", "consumers"), self._values, strict=True):
                yield Label(name)
                yield Input(str(value), id=name, type="integer")
            yield Label("", id="problem")
            yield Button("Restart with these", variant="primary", id="ok")

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self._done()

    def _done(self) -> None:
        try:
            capacity, producers, consumers = (
                int(self.query_one(f"#{n}", Input).value) for n in ("capacity", "producers", "consumers")
            )
        except ValueError:
            self.query_one("#problem", Label).update("each must be a whole number")
            return
        self.dismiss((capacity, producers, consumers))

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP = """\
# nimsync-tui

The load runs in its own process; this screen only draws what it reports,
at most ten times a second.

| key | live | replay |
|---|---|---|
| `↑` `↓` `enter` | choose and start a scenario | choose a tag |
| `space` | pause drawing (the load and reading go on) / resume | play at the recorded pace / stop |
| `r` | restart (histograms reset) | |
| `i` | next implementation (`--impl`'s, else every built-in): restarts; those run before stay drawn beside it | |
| `c` | change capacity, producers, consumers: restarts | |
| `m` | compare in turns: off, every implementation given, ours vs trio, ours under Trio's rule: restarts | |
| `M` | choose two or more implementations to compare in turns (the highest ticked is the reference): restarts | |
| `e` | export the run as a recording, its HTML report in it | write the log's HTML report |
| `b` | save the run as a baseline and compare with it | |
| `←` `→` | a range of the run so far: move its end (its start after `[`) | same, one interval |
| `[` `]` | from now on `←` `→` move the range's start / its end | same |
| `home` `w` | first interval only, whole run (growing again) | first interval only, whole run |
| drag | drag the mouse across the latency over time: that range | same |
| `t` | the `--compare` baselines to draw (space ticks, then Draw) | tags to draw over this one's spectrum |
| `h` | the scenario's history on this machine: by commit, trend, change points | same |
| `ctrl+p` | command palette: every action | |
| `q` `ctrl+c` | quit: every load process stopped | quit |

The percentile plot is HdrHistogram's: x is 1/(1-p) on a log scale, y the latency on a log scale.
"Latency over time" draws each interval's p50, p90, p99, p99.9 and max (log scale), as HistogramLogAnalyzer
does; the spectrum, the table and the throughput describe the range chosen, and two lines mark it
on the timeline (live, the range stays put while the load goes on). A log without throughput figures
shows its values per interval instead.
Targets are lines in the colour of their verdict: green met, red missed, grey not measured yet.

The list's marks: ▶ running, ✓ done, ■ stopped (by you, or by starting another scenario), ✗ failed;
PASS/FAIL is the suite's targets on the figures measured so far.
"""


class OverlayDialog(ModalScreen[list[str] | None]):
    """Lists the curves that can be drawn over the one on screen; returns those ticked, or ``None``."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="OverlayDialog") + "OverlayDialog SelectionList { max-height: 16; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, names: list[str], chosen: tuple[str, ...], *, button: str = "Draw") -> None:
        super().__init__()
        self._title = title
        self._names = names
        self._chosen = chosen
        self._button = button

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title)
            yield SelectionList[str](*((name, name, name in self._chosen) for name in self._names), id="curves")
            yield Button(self._button, variant="primary", id="ok")

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self.dismiss(list(self.query_one("#curves", SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys and what the charts mean."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Markdown { width: 90%; height: auto; max-height: 90%; border: thick $primary; background: $surface; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)


class HistoryScreen(ModalScreen[None]):
    """One scenario's history on this machine: its figures by commit, trend and change points."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen > Static { width: auto; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,h,q", "close", "Close")]

    def __init__(self, view: HistoryView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        v = self.view
        commits = f"{len(v.commits)} commit(s): {', '.join(v.commits)}" if v.commits else "no commits"
        title = f"{v.scenario} on {v.machine}, {commits}"
        yield Static(Text("\n".join((title, "", *v.lines))), id="history")

    def action_close(self) -> None:
        self.dismiss(None)
