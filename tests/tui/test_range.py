"""A range of a run chosen (keys, or a mouse drag on the timeline), in replay and live: the spectrum, the table
and the throughput describe it alone; live, it stays put while the load goes on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest
from textual.pilot import Pilot

from nimsync_tui.core.histogram import decode_histogram
from nimsync_tui.core.protocol import CORRECTED_SUFFIX, Event, IntervalRecord, Phase, StreamParser
from nimsync_tui.monitor.baseline import BaselineCurve
from nimsync_tui.monitor.replay import ReplaySource
from nimsync_tui.monitor.session import LiveSession
from nimsync_tui.run.config import RunSpec
from nimsync_tui.tui import MonitorApp
from nimsync_tui.tui.dialogs import OverlayDialog
from nimsync_tui.tui.figures import TARGET_COLOUR, over_time_figure, percentile_figure
from nimsync_tui.tui.widgets import _GUTTER, BraillePlot

from .conftest import STREAM, ScriptedSource, live_specs
from .test_app import header, until

pytestmark = pytest.mark.asyncio


def _interval_counts() -> list[int]:
    lines = [line for line in STREAM.read_text().splitlines() if line.startswith("Tag=")]
    return [decode_histogram(line.rsplit(",", 1)[1]).total_count for line in lines]


async def test_the_first_half_of_a_run_counts_the_values_of_its_intervals_only() -> None:
    counts = _interval_counts()
    half = len(counts) // 2
    app = MonitorApp(ReplaySource(STREAM))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot.loaded and app.snapshot.position == (1, len(counts)), "the log")
        await pilot.press(*["right"] * (half - 1))
        await until(pilot, lambda: app.snapshot.position[0] == half, "the first half chosen")
        run = app.snapshot.runs[0]
        assert run.table.count == sum(counts[:half]) and run.intervals == half
        assert f"interval {half}/{len(counts)}" in header(app)
        await until(pilot, lambda: app.screen.query_one("#table").border_title == f"intervals 1-{half}", "its title")
        # The timeline still draws the whole run, the range between two lines.
        assert app.snapshot.whole is not None and app.snapshot.whole.over_time.count.tolist() == counts
        assert len(over_time_figure(app.snapshot).vlines) == 2
        start, end = app.snapshot.range_s or (0.0, 0.0)
        assert start == pytest.approx(0.0, abs=1e-3) and end == pytest.approx(app.snapshot.runs[0].over_time.t_s[-1])

        # [ : the arrows now move the start; the range is intervals 3..half.
        await pilot.press("left_square_bracket", "right", "right")
        await until(pilot, lambda: app.snapshot.first == 2, "the start moved")
        assert app.snapshot.runs[0].table.count == sum(counts[2:half])
        assert f"intervals 3-{half}/{len(counts)}" in header(app)
        # ] : the end moves again.
        await pilot.press("right_square_bracket", "right")
        await until(pilot, lambda: app.snapshot.position[0] == half + 1, "the end moved")
        assert app.snapshot.runs[0].table.count == sum(counts[2 : half + 1])

        await pilot.press("w")  # one key back to the whole run
        await until(pilot, lambda: app.snapshot.position[0] == len(counts), "the whole run")
        assert app.snapshot.first == 0 and app.snapshot.range_s is None
        assert app.snapshot.runs[0].table.count == sum(counts)


async def test_t_draws_other_tags_over_the_spectrum_with_a_legend() -> None:
    fixture = STREAM.parents[2] / "fixtures" / "java-reference.hlog"
    replay = ReplaySource(fixture, value_unit="us")
    app = MonitorApp(replay)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot.loaded and len(app.snapshot.scenarios) == 2, "the log")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, OverlayDialog), "the list of tags")
        await pilot.press("space")  # tick spsc-throughput, the only other tag
        await pilot.click("#ok")
        await until(pilot, lambda: bool(app.snapshot.overlays), "the overlay")
        ((name, curve),) = app.snapshot.overlays
        assert name == "spsc-throughput" and not curve.empty
        legend = [text for text, _ in percentile_figure(app.snapshot).legend]
        assert legend[:2] == ["run so far", "spsc-throughput"]
        assert legend[2:] == ["─ mean < 10µs ✗", "─ p99 < 100µs ✗"]  # pingpong-latency's targets, missed
        # The overlay is the tag's whole run, whatever range of the tag on screen: as that tag's own whole run.
        await pilot.press("down", "enter", "w")
        await until(pilot, lambda: app.snapshot.selected == "spsc-throughput" and app.snapshot.range_s is None,
                    "spsc-throughput's whole run")  # fmt: skip
        assert app.snapshot.runs[0].total.values_ns.tolist() == curve.values_ns.tolist()
        assert app.snapshot.overlays == ()  # a tag is not drawn over itself


def _column(plot: BraillePlot, seconds: float) -> int:
    """The x offset in ``plot`` (border and padding included) at which its figure draws ``seconds``."""
    lo, hi = plot._figure.x_span or (0.0, 1.0)
    plot_w = plot.content_size.width - _GUTTER
    return plot.gutter.left + _GUTTER + round((seconds - lo) / (hi - lo) * (plot_w - 1))


async def _drag(pilot: Pilot[int], plot: BraillePlot, from_s: float, to_s: float) -> None:
    row = plot.gutter.top + 3  # a row of the plot, below the legend
    await pilot.mouse_down(plot, offset=(_column(plot, from_s), row))
    await pilot.hover(plot, offset=(_column(plot, to_s), row))
    await pilot.mouse_up(plot, offset=(_column(plot, to_s), row))


async def test_dragging_across_the_timeline_chooses_the_intervals_under_it() -> None:
    counts = _interval_counts()
    half = len(counts) // 2
    app = MonitorApp(ReplaySource(STREAM))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot.loaded and app.snapshot.whole is not None, "the log")
        plot = app.screen.query_one("#over-time", BraillePlot)
        await until(pilot, lambda: plot._figure.x_span is not None, "the timeline drawn")
        ends = app.snapshot.whole.over_time.t_s if app.snapshot.whole else None
        assert ends is not None and ends.size == len(counts)
        # From the left edge to the middle of the half-th interval: the first half.
        middle = float(ends[half - 1] - (ends[half - 1] - ends[half - 2]) / 2)
        await _drag(pilot, plot, 0.0, middle)
        await until(pilot, lambda: app.snapshot.position[0] == half and app.snapshot.first == 0, "the first half")
        assert app.snapshot.runs[0].table.count == sum(counts[:half])
        # Dragged the other way, from the end back: the second half.
        await _drag(pilot, plot, float(ends[-1]), middle)
        await until(pilot, lambda: app.snapshot.first == half - 1, "the second half")
        assert app.snapshot.position[0] == len(counts) and app.snapshot.range_s is not None
        assert app.snapshot.runs[0].table.count == sum(counts[half - 1 :])
        # A click is no drag: the range stays.
        await pilot.click(plot, offset=(_column(plot, 0.0), plot.gutter.top + 3))
        await pilot.pause(0.2)
        assert app.snapshot.first == half - 1


def _measured_counts() -> list[int]:
    """Each measured interval's count in :data:`STREAM`, as a live run measures it."""
    parser = StreamParser()
    events = (parser.feed(line) for line in STREAM.read_text().splitlines())
    return [
        decode_histogram(e.histogram).total_count
        for e in events
        if isinstance(e, IntervalRecord) and e.phase == Phase.MEASURE and not e.tag.endswith(CORRECTED_SUFFIX)
    ]


class _Gated(ScriptedSource):
    """Plays :data:`STREAM` up to its ``hold``-th measured interval, then the rest once ``go`` is set."""

    def __init__(self, spec: RunSpec, hold: int, go: asyncio.Event) -> None:
        super().__init__(spec)
        self._hold, self._go = hold, go

    async def events(self) -> AsyncGenerator[Event, None]:
        measured = 0
        async for event in super().events():
            if isinstance(event, IntervalRecord) and event.phase == Phase.MEASURE:
                if measured == self._hold:
                    await self._go.wait()
                measured += 1
            yield event


async def test_a_range_chosen_live_stays_put_while_new_intervals_arrive() -> None:
    counts = _measured_counts()
    half = len(counts) // 2
    go = asyncio.Event()
    session = LiveSession(live_specs(), source_factory=lambda spec: _Gated(spec, half, go))
    app = MonitorApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].intervals == half, "half the run")
        # ← from the run so far ends the range one interval back, → brings it to the last one measured.
        await pilot.press("left")
        await until(pilot, lambda: app.snapshot.range_s is not None, "a range")
        assert app.snapshot.position == (half - 1, half) and app.snapshot.runs[0].table.count == sum(counts[: half - 1])
        await pilot.press("right")
        await until(pilot, lambda: app.snapshot.position[0] == half, "the range's end moved on")
        assert app.snapshot.runs[0].table.count == sum(counts[:half])
        assert app.screen.query_one("#table").border_title == f"intervals 1-{half}"

        go.set()  # the load goes on: the rest of its intervals arrive
        await until(pilot, lambda: app.snapshot.position == (half, len(counts)), "the rest of the run")
        run = app.snapshot.runs[0]
        assert run.table.count == sum(counts[:half]) and run.intervals == half  # the range stayed put
        assert app.snapshot.whole is not None and app.snapshot.whole.table.count == sum(counts)
        assert f"range intervals 1-{half}/{len(counts)}" in header(app)
        assert len(over_time_figure(app.snapshot).vlines) == 2  # marked on the whole run's timeline

        # [ then → : the start moves; home: the first interval only; w: the whole run, growing again.
        await pilot.press("left_square_bracket", "right")
        await until(pilot, lambda: app.snapshot.first == 1, "the start moved")
        assert app.snapshot.runs[0].table.count == sum(counts[1:half])
        await pilot.press("home")
        await until(pilot, lambda: app.snapshot.position[0] == 1 and app.snapshot.first == 0, "the first interval")
        assert app.snapshot.runs[0].table.count == counts[0]
        await pilot.press("w")
        await until(pilot, lambda: app.snapshot.range_s is None, "the whole run")
        assert app.snapshot.runs[0].table.count == sum(counts)
        assert app.screen.query_one("#table").border_title == "run so far"


async def test_dragging_live_chooses_a_range_of_the_run_so_far(make_session) -> None:
    counts = _measured_counts()
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].intervals == len(counts), "the run")
        plot = app.screen.query_one("#over-time", BraillePlot)
        await until(pilot, lambda: plot._figure.x_span is not None, "the timeline drawn")
        bounds = session.runs[0].bounds()
        start, end = bounds[2], bounds[5]
        await _drag(pilot, plot, (start[0] + start[1]) / 2, (end[0] + end[1]) / 2)
        await until(pilot, lambda: app.snapshot.range_s is not None, "a range")
        assert (app.snapshot.first, app.snapshot.position[0]) == (2, 6)
        assert app.snapshot.runs[0].table.count == sum(counts[2:6])


async def test_replay_draws_the_targets_of_the_tag_judged_on_the_range_shown() -> None:
    """As headless --replay judges a log: the suite's targets, here on the spectrum and the latency over time."""
    fixture = STREAM.parents[2] / "fixtures" / "java-reference.hlog"
    app = MonitorApp(ReplaySource(fixture, value_unit="us"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot.loaded and bool(app.snapshot.targets), "the log and its targets")
        targets = {(t.metric, t.value, t.passed) for t in app.snapshot.targets}
        assert targets == {("latency_mean_ns", 10_000.0, False), ("latency_p99_ns", 100_000.0, False)}
        for figure in (percentile_figure(app.snapshot), over_time_figure(app.snapshot)):
            assert [colour for _, colour in figure.hlines] == [TARGET_COLOUR, TARGET_COLOUR]
        await pilot.press("down", "enter")  # spsc-throughput: its throughput target, no latency line
        await until(pilot, lambda: app.snapshot.selected == "spsc-throughput", "the other tag")
        assert [t.metric for t in app.snapshot.targets] == ["throughput_ops_s"]
        assert over_time_figure(app.snapshot).hlines == ()


async def test_t_live_chooses_the_baselines_drawn_over_the_spectrum() -> None:
    java = BaselineCurve.load(STREAM.parents[2] / "fixtures" / "java-reference.hlog", 1000.0)
    ours = BaselineCurve.load(STREAM)
    session = LiveSession(live_specs(), baseline=java, more_baselines=[ours], source_factory=ScriptedSource)
    app = MonitorApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.snapshot.runs) and not app.snapshot.runs[0].total.empty, "a curve")
        legend = [text for text, _ in percentile_figure(app.snapshot).legend]
        assert "baseline java-reference.hlog" in legend and "baseline spsc-stream.hlog" in legend
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, OverlayDialog), "the list of baselines")
        await pilot.press("space")  # untick the first, java-reference.hlog
        await pilot.click("#ok")
        await until(pilot, lambda: app.snapshot.baseline_label == "spsc-stream.hlog", "one baseline left")
        legend = [text for text, _ in percentile_figure(app.snapshot).legend]
        assert "baseline spsc-stream.hlog" in legend and not any("java" in text for text in legend)
        assert app.snapshot.overlays == ()
