"""The screen as a new user found it (issue 13, part 5): each defect, driven through the app or its figures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from textual.widgets import OptionList
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from nimsync_tui.monitor.replay import ReplaySource
from nimsync_tui.monitor.snapshot import RunView, Series, Snapshot, frozen_array
from nimsync_tui.suite.targets import Target
from nimsync_tui.tui import MonitorApp
from nimsync_tui.tui.figures import memory_figure, throughput_figure
from nimsync_tui.tui.labels import fit_name
from nimsync_tui.tui.widgets import LatencyTableView, plot_lines

from .conftest import STREAM
from .test_app import footer_keys, header, measured, until

SPSC_TARGET = Target("spsc-throughput", "throughput_ops_s", ">", 100_000, "SPSC Throughput")
PINGPONG_TARGET = Target("pingpong-latency", "latency_p99_ns", "<", 1e9, "P99")


def _footer_fits(app: MonitorApp) -> bool:
    """Every key inside the screen, and left of the palette's key (docked right, it covers what runs under it)."""
    keys = [key for key in app.screen.query(FooterKey) if not key.has_class("-command-palette")]
    palette = [key.region.x for key in app.screen.query(FooterKey) if key.has_class("-command-palette")]
    end = min([app.size.width, *palette])
    return bool(keys) and all(key.region.right <= end for key in keys)


def _rows(app: MonitorApp) -> list[str]:
    return [str(option.prompt) for option in app.query_one("#scenarios", OptionList).options]


def _toasts(app: MonitorApp) -> str:
    return " ".join(str(toast.render()) for toast in app.screen.query(Toast))


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_live_footer_is_whole_with_help_and_quit(make_session, size: tuple[int, int]) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: "Quit" in footer_keys(app), "the footer")
        await pilot.pause(0.2)
        assert {"Help", "Quit", "Pause", "Restart", "Compare", "Export"} <= set(footer_keys(app))
        assert _footer_fits(app)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_replay_footer_is_whole_with_help_and_quit(size: tuple[int, int]) -> None:
    app = MonitorApp(ReplaySource(STREAM))
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: "Quit" in footer_keys(app), "the footer")
        await pilot.pause(0.2)
        assert {"Help", "Quit", "Back", "Step", "Play", "Whole run"} <= set(footer_keys(app))
        assert _footer_fits(app)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_list_keeps_each_verdict_whole_and_the_step_pane_only_for_steps(
    make_session, size: tuple[int, int]
) -> None:
    session, _ = make_session(targets=(SPSC_TARGET, PINGPONG_TARGET))
    app = MonitorApp(session)
    async with app.run_test(size=size) as pilot:
        await measured(pilot, app)
        await until(pilot, lambda: any(row.endswith(" PASS") for row in _rows(app)), "a verdict")
        width = app.query_one("#scenarios").size.width - 2  # a scrollbar's room
        assert all(len(row) <= width for row in _rows(app))
        assert _rows(app)[0].startswith("▶ spsc-thr") and _rows(app)[0].endswith(" PASS")
        # spsc-throughput is not stepped: its pane gives the plots the room.
        assert not app.screen.query_one("#steps").display
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: _rows(app)[2].startswith("▶ pingpong") and _rows(app)[2].endswith(" PASS"),
                    "pingpong-latency judged")  # fmt: skip
        assert all(len(row) <= width for row in _rows(app))


def test_a_tag_keeps_the_part_that_tells_it_apart() -> None:
    names = [f"memory-leak.round-{n}" for n in range(1, 11)]
    shown = [fit_name(name, 14) for name in names]
    assert len(set(shown)) == len(names) and all(len(s) <= 14 for s in shown)
    assert shown[9] == "memo….round-10"
    assert fit_name("pingpong-latency", 12) == "pingpong-la…"


@pytest.mark.asyncio
async def test_the_table_of_nimsync_against_nimsync_under_trios_rule_does_not_wrap(make_session) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await measured(pilot, app)
        await pilot.press("m")  # against trio: columns nimsync, trio
        await until(pilot, lambda: "nimsync vs trio" in header(app), "nimsync vs trio")
        await pilot.pause(0.3)
        await pilot.press("m")  # against nimsync/1: as many columns, one a wider heading
        await until(pilot, lambda: "nimsync vs nimsync/1" in header(app), "nimsync vs nimsync/1")
        await pilot.pause(0.3)
        table = app.query_one(LatencyTableView)
        lines = str(table.render()).splitlines()
        assert lines[0].split() == ["nimsync", "nimsync/1"]
        # Every line on one row of the widget: a wrapped table is taller than its lines.
        assert table.content_size.width >= max(len(line) for line in lines)
        assert table.content_size.height <= len(lines) + 1  # the last line's newline


@pytest.mark.asyncio
async def test_replay_says_what_is_unmeasured_and_which_implementation_ran() -> None:
    app = MonitorApp(ReplaySource(STREAM))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot.loaded and bool(app.snapshot.runs), "the log loaded")
        assert app.snapshot.position[0] == 1  # it opens at the first interval
        legend = " ".join(text for text, _ in throughput_figure(app.snapshot).legend)
        assert "0/s" not in legend and "unmeasured" in legend
        top, second = header(app).splitlines()
        assert "spsc-throughput  nimsync" in top
        assert "capacity 1024  1x1" in second


def _throughput_snapshot(values: list[float], target: float) -> Snapshot:
    t = frozen_array(np.arange(1, len(values) + 1) * 0.25)
    series = Series(t, frozen_array(values), float(np.mean(values)), float(np.std(values)))
    return Snapshot(runs=(RunView(label="nimsync", throughput=series),), target_ops_s=target)


def test_a_target_far_below_the_curve_is_labelled_not_read_as_zero() -> None:
    lines = plot_lines(throughput_figure(_throughput_snapshot([3.0e6, 3.1e6, 2.9e6, 3.05e6], 100_000)), 40, 12)
    gutters = ["".join(seg.text for seg in line)[:8] for line in lines[1:-1]]
    target_rows = [g for g in gutters if "100k" in g]
    assert target_rows == ["   100k┤"]
    assert not any(g.strip() == "0┤" for g in gutters)


def test_the_memory_axis_never_repeats_a_label() -> None:
    mib = 2**20
    rss = [46.30 * mib, 46.32 * mib, 46.35 * mib, 46.31 * mib]
    t = frozen_array([1.0, 2.0, 3.0, 4.0])
    run = RunView(label="nimsync", rss=Series(t, frozen_array(rss)), heap=Series(t, frozen_array([1, 1, 1, 1])))
    labels = [text for _, text in memory_figure(Snapshot(runs=(run,))).y_ticks]
    assert len(labels) >= 2 and len(set(labels)) == len(labels)


@pytest.mark.asyncio
async def test_paused_the_header_says_so(make_session) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await measured(pilot, app)
        assert "live" in header(app)
        await pilot.press("space")
        await until(pilot, lambda: "drawing paused" in header(app), "paused in the header")
        await pilot.press("space")
        await until(pilot, lambda: "live" in header(app), "live again")


@pytest.mark.asyncio
async def test_while_playing_the_footer_offers_stop_not_play() -> None:
    app = MonitorApp(ReplaySource(STREAM))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot.loaded and "Play" in footer_keys(app), "the log loaded")
        await pilot.press("space")
        await until(pilot, lambda: "Stop" in footer_keys(app), "Stop in the footer")
        assert "Play" not in footer_keys(app)


@pytest.mark.asyncio
async def test_the_lists_marks_are_explained_and_restarts_are_said(make_session) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await measured(pilot, app)
        options = app.query_one("#scenarios", OptionList)
        await until(pilot, lambda: str(options.border_subtitle) == "▶ running", "the running mark explained")
        await pilot.press("down", "enter")  # spsc-throughput stops, mpmc-throughput runs
        await until(pilot, lambda: str(options.border_subtitle) == "▶ running ■ stopped", "the stopped mark")
        await pilot.press("m")
        await until(pilot, lambda: "restarted" in _toasts(app), "m says it restarted the run")


def test_an_unmeasured_mean_is_never_drawn_as_zero() -> None:
    snapshot = _throughput_snapshot([3.0e6], 0)
    run = dataclasses.replace(
        snapshot.runs[0], throughput=dataclasses.replace(snapshot.runs[0].throughput, mean=0.0, samples=0)
    )
    legend = " ".join(text for text, _ in throughput_figure(dataclasses.replace(snapshot, runs=(run,))).legend)
    assert "mean unmeasured" in legend and "0/s" not in legend
