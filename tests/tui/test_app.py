"""The app driven by Pilot over a scripted load: every key, export, replay stepping, and a dying runner."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader
from textual.pilot import Pilot
from textual.widgets import Input, OptionList
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from nimsync_tui.core.histogram import decode_histogram, new_histogram
from nimsync_tui.core.protocol import IntervalRecord, StreamParser
from nimsync_tui.monitor.replay import ReplaySource
from nimsync_tui.monitor.session import LiveSession
from nimsync_tui.suite.history import HistoryStore, RunFigures, default_machine
from nimsync_tui.suite.targets import Target
from nimsync_tui.tui import MonitorApp
from nimsync_tui.tui.dialogs import DirectoryDialog, HelpScreen, HistoryScreen, ParamsDialog
from nimsync_tui.tui.figures import (
    PASS_COLOUR,
    TARGET_COLOUR,
    over_time_figure,
    percentile_figure,
    throughput_figure,
)
from nimsync_tui.tui.widgets import BraillePlot

from .conftest import MEASURED_IN_STREAM, RATE_STREAM, STREAM, live_specs

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)


async def until(pilot: Pilot[int], check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait (generously: the machine is shared) until ``check()`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def error_shown(pilot: Pilot[int], app: MonitorApp) -> str:
    """The text (title, then message) of the error notification on screen (``run_test(notifications=True)``)."""
    errors = lambda: [str(toast.render()) for toast in app.screen.query(Toast) if toast.has_class("-error")]  # noqa: E731
    await until(pilot, lambda: bool(errors()), "an error notification")
    (shown,) = errors()
    return shown


def header(app: MonitorApp) -> str:
    return str(app.query_one("#header").render())


async def measured(pilot: Pilot[int], app: MonitorApp) -> None:
    await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].intervals == MEASURED_IN_STREAM,
                "the scripted intervals on screen")  # fmt: skip


async def test_live_numbers_reach_the_screen(make_session) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        assert "phase measuring" in header(app)
        table = str(app.query_one("#table").render())
        assert "p99.99" in table and "µs" in table
        assert app.snapshot.runs[0].throughput.mean > 1e5


async def test_space_pauses_drawing_but_not_reading(make_session) -> None:
    session, factory = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        await pilot.press("space")
        assert app.paused
        factory.sources[0].stop()  # the load ends while drawing is paused
        await until(pilot, lambda: session.runs[0].phase == "stopped", "the session to read the end")
        await pilot.pause(0.3)
        assert app.snapshot.runs[0].phase == "measure"
        await pilot.press("space")
        assert not app.paused
        await until(pilot, lambda: app.snapshot.runs[0].phase == "stopped", "the end drawn")


async def test_restart_starts_a_new_load_with_empty_histograms(make_session) -> None:
    session, factory = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        first = session.runs[0]
        await pilot.press("r")
        await until(pilot, lambda: len(factory.specs) == 2, "a second load")
        assert factory.sources[0].stopped.is_set() or first.phase == "stopped"
        assert session.runs[0] is not first


async def test_i_switches_the_implementation(make_session) -> None:
    session, factory = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await until(pilot, lambda: len(factory.specs) == 2, "the load on the other implementation")
        assert factory.specs[-1].params.impl == "trio"
        await until(pilot, lambda: "trio.open_memory_channel" in header(app), "the header to name Trio's channel")
        await measured(pilot, app)


async def test_c_changes_capacity_producers_consumers(make_session) -> None:
    session, factory = make_session()
    session.select("mpmc-throughput")
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert isinstance(app.screen, ParamsDialog)
        for name, value in (("capacity", "64"), ("producers", "2"), ("consumers", "3")):
            app.screen.query_one(f"#{name}", Input).value = value
        await pilot.press("enter")
        await until(pilot, lambda: factory.specs[-1].params.capacity == 64, "a load with the new parameters")
        params = factory.specs[-1].params
        assert (params.capacity, params.producers, params.consumers) == (64, 2, 3)


async def test_c_refuses_what_the_scenario_cannot_run(make_session) -> None:
    session, factory = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("c")
        app.screen.query_one("#producers", Input).value = "4"  # spsc has one producer
        await pilot.press("enter")
        refusal = await error_shown(pilot, app)
        assert "producers" in refusal and "spsc-throughput" in refusal, refusal
        assert session.spec.params.producers == 1
        assert all(s.params.producers == 1 for s in factory.specs)


async def test_m_compares_in_turns_and_shows_both(make_session) -> None:
    session, factory = make_session(endings=["end", "end", "end"], intervals_per_turn=2)
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await until(pilot, lambda: len(app.snapshot.runs) == 2 and app.snapshot.runs[1].intervals > 0,
                    "both implementations measured")  # fmt: skip
        impls = [s.params.impl for s in factory.specs[1:3]]
        assert impls == ["nimsync", "trio"]
        assert all(s.duration_s == pytest.approx(0.5) for s in factory.specs[1:3])
        assert " vs " in header(app)
        await pilot.press("m")
        assert session.compare_with == "trio-rule"


async def test_a_redraw_tick_during_shutdown_draws_nothing(make_session) -> None:
    """The app's redraw clock can tick while Textual removes the screen's widgets (seen in CI)."""
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot.runs[0].intervals > 0, "a measured interval")
    with app._context():  # as inside the app's own timer task
        assert not app.monitor.query("HeaderBar")  # the widgets are gone, as in that tick
        app.monitor.redraw(force=True)


def listed(rows: list[str], start: str, verdict: str) -> bool:
    """Whether a row shows ``start`` (its name perhaps shortened to fit the list) and ends in ``verdict``."""
    return any(row.startswith(start[:10]) and row.endswith(verdict) for row in rows)


def footer_keys(app: MonitorApp) -> list[str]:
    return [key.description for key in app.screen.query(FooterKey)]


async def test_the_footers_pause_becomes_resume_while_paused(make_session) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "Pause" in footer_keys(app), "the footer")
        assert "Resume" not in footer_keys(app) and "Play" not in footer_keys(app)
        await pilot.press("space")
        await until(pilot, lambda: "Resume" in footer_keys(app), "Resume in the footer")
        assert app.paused and "Pause" not in footer_keys(app)
        await pilot.press("space")
        await until(pilot, lambda: "Pause" in footer_keys(app), "Pause back in the footer")
        assert not app.paused and "Resume" not in footer_keys(app)


async def test_e_exports_a_recording_the_reference_reader_opens(make_session, tmp_path: Path) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    target = tmp_path / "export"
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        await pilot.press("e")
        assert isinstance(app.screen, DirectoryDialog)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, (target / "run.hlog").exists, "the export")
        # Its HTML report goes into it too (a thread: the screen stays live), charts beside it.
        await until(pilot, lambda: len(list(target.glob("*.svg"))) == 2, "the report", timeout=120)
    charts = [f"report.spsc-throughput.{kind}.{fmt}" for kind in ("spectrum", "timeline") for fmt in ("png", "svg")]
    assert sorted(p.name for p in target.iterdir()) == sorted([
        "intervals.csv", "results.json", "run.hlog", "spsc-throughput.hgrm", "summary.txt", "report.html", *charts,
    ])  # fmt: skip
    assert "spsc-throughput: latency over time" in (target / "report.html").read_text()
    reader = HistogramLogReader(str(target / "run.hlog"), new_histogram())
    count = 0
    while (hist := reader.get_next_interval_histogram()) is not None:
        count += hist.get_total_count()
    assert count == app.snapshot.runs[0].table.count
    result = json.loads((target / "results.json").read_text())["scenarios"][0]
    assert result["name"] == "spsc-throughput" and result["status"] == "running"


async def test_export_refuses_a_directory_holding_a_recording(make_session, tmp_path: Path) -> None:
    session, _ = make_session()
    (tmp_path / "run.hlog").write_text("mine\n")
    app = MonitorApp(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await measured(pilot, app)
        await pilot.press("e")
        app.screen.query_one(Input).value = str(tmp_path)
        await pilot.press("enter")
        refusal = await error_shown(pilot, app)
    assert refusal.startswith("nothing written\n") and str(tmp_path) in refusal, refusal
    assert (tmp_path / "run.hlog").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.hlog"]


async def test_b_saves_a_baseline_and_draws_it(make_session, tmp_path: Path) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        await pilot.press("b")
        app.screen.query_one(Input).value = str(tmp_path / "base")
        await pilot.press("enter")
        await until(pilot, lambda: not app.snapshot.baseline.empty, "the baseline curve")
        assert app.snapshot.baseline_label == "base"


async def test_question_mark_opens_help_and_escape_closes_it(make_session) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_h_shows_the_scenarios_history_with_its_change_point(make_session, tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    with HistoryStore(store) as history:
        for i, rate in enumerate([900_000.0, 910_000.0, 890_000.0, 60_000.0]):
            rows = [("spsc-throughput", {"impl": "nimsync"}, {"throughput_ops_s": rate})]
            history.add(RunFigures(f"2026-12-0{i + 1}T10:00:00+00:00", f"c{i + 1}", default_machine(), {"i": i}, rows))
    session, _ = make_session()
    app = MonitorApp(session, history=store)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot.selected == "spsc-throughput", "the first scenario on screen")
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        shown = str(app.screen.query_one("#history").render())
        assert "spsc-throughput on " in shown and "4 commit(s): c1, c2, c3, c4" in shown
        assert "at c4: x0.0667 REGRESSION" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HistoryScreen)


async def test_enter_on_the_list_starts_the_highlighted_scenario(make_session) -> None:
    session, factory = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")
        await until(pilot, lambda: factory.specs[-1].scenario == "mpmc-throughput", "mpmc-throughput started")
        assert app.snapshot.selected == "mpmc-throughput"
        rows = lambda: [(r.name, r.state) for r in app.snapshot.scenarios]  # noqa: E731
        await until(pilot, lambda: ("spsc-throughput", "stopped") in rows(), "the first scenario stopped")


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_stops_the_load(make_session, key: str) -> None:
    session, factory = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        await pilot.press(key)
        await until(pilot, lambda: app.return_value is not None, "the app to exit")
    assert factory.sources[0].stopped.is_set()
    assert app.return_value == 0


async def test_palette_offers_every_action(make_session) -> None:
    session, _ = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.get_system_commands(app.screen)}
    assert {"Pause", "Restart", "Impl", "Params", "Compare", "Export", "Baseline", "Help", "Quit nimsync-tui"} <= titles
    assert "Start pingpong-latency" in titles


async def test_a_dead_runner_is_shown_its_data_kept_and_restart_works(make_session) -> None:
    session, factory = make_session(endings=["die"])
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].phase == "failed", "the failure")
        text = header(app)
        assert "phase failed" in text and "killed by signal 9" in text
        assert app.snapshot.runs[0].intervals == MEASURED_IN_STREAM
        assert app.snapshot.scenarios[0].state == "failed"
        await pilot.press("r")
        await until(pilot, lambda: app.snapshot.runs[0].phase == "measure" and len(factory.specs) == 2, "restart")


async def test_sigterm_quits_as_q_does(make_session) -> None:
    session, factory = make_session()
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        os.kill(os.getpid(), 15)
        await until(pilot, lambda: app.return_value is not None, "the app to exit")
    assert factory.sources[0].stopped.is_set()
    assert app.return_value == 143


async def test_replay_keys_step_play_and_show_the_whole_run() -> None:
    replay = ReplaySource(STREAM)
    app = MonitorApp(replay)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot.position[1] > 0 and replay.loaded, "the log loaded")
        # The stream holds the warm-up's intervals too: every interval line replays.
        total = app.snapshot.position[1]
        assert app.snapshot.position == (1, total)  # it opens at the first interval
        await pilot.press("w")
        await until(pilot, lambda: app.snapshot.position == (total, total), "the whole run")
        await pilot.press("left")
        await until(pilot, lambda: app.snapshot.position == (total - 1, total), "one step back")
        await pilot.press("home")
        await until(pilot, lambda: app.snapshot.position == (1, total), "the first interval")
        await pilot.press("right")
        await until(pilot, lambda: app.snapshot.position == (2, total), "one step forward")
        await pilot.press("w")
        await until(pilot, lambda: app.snapshot.position == (total, total), "the whole run")
        await pilot.press("home", "space")
        await until(pilot, lambda: app.snapshot.playing, "playing")
        await until(pilot, lambda: app.snapshot.position[0] > 1, "play to advance")
        await pilot.press("space")
        await until(pilot, lambda: not app.snapshot.playing, "stopped playing")
        assert "replay" in header(app)


async def test_replay_of_a_foreign_log_shows_its_tail_over_time_and_its_count_per_interval() -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "java-reference.hlog"
    app = MonitorApp(ReplaySource(fixture, value_unit="us"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.loaded, "the log loaded")
        await pilot.press("w")
        await until(pilot, lambda: app.snapshot.position[0] == app.snapshot.position[1], "the whole run")
        await pilot.pause(0.2)
        assert app.snapshot.value_unit == "us"
        assert app.snapshot.runs[0].throughput.empty
        assert [r.name for r in app.snapshot.scenarios] == ["pingpong-latency", "spsc-throughput"]
        drawn = {plot.id: _drawn(plot) for plot in app.screen.query(BraillePlot) if plot.display}
        # No pane says only that something is missing: the count per interval takes the throughput pane.
        assert set(drawn) == {"latency", "over-time", "throughput"}
        assert app.screen.query_one("#throughput").border_title == "values per interval"
        assert all("no " not in text and "waiting" not in text for text in drawn.values())
        assert all(label in drawn["over-time"] for label in ("p50", "p90", "p99", "p99.9", "max"))
        over_time = app.snapshot.runs[0].over_time
        counts = [h.total_count for h in _tag_histograms(fixture, "pingpong-latency")]
        assert over_time.count.tolist() == counts
        assert (over_time.p50 <= over_time.p99).all() and (over_time.p99 <= over_time.max).all()


def _drawn(plot: BraillePlot) -> str:
    return "\n".join(strip.text for strip in (plot.render_line(y) for y in range(plot.content_size.height)))


def _tag_histograms(log: Path, tag: str) -> list[HdrHistogram]:
    lines = log.read_text().splitlines()
    return [decode_histogram(line.rsplit(",", 1)[1]) for line in lines if line.startswith(f"Tag={tag},")]


async def test_the_real_runner_for_a_few_seconds() -> None:
    session = LiveSession(live_specs())
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].intervals >= 4,
                    "four live intervals", timeout=60)  # fmt: skip
        assert app.snapshot.runs[0].table.count > 0
        assert app.snapshot.runs[0].rss.values[-1] > 0
        await pilot.press("q")
        await until(pilot, lambda: app.return_value is not None, "the app to exit", timeout=30)
    assert session.runs[0].phase == "stopped"


def _measured_counts(stream: Path) -> dict[str, tuple[int, int]]:
    """Per tag of a recorded stream: measured intervals, and values in their histograms."""
    parser = StreamParser()
    counts: dict[str, tuple[int, int]] = {}
    for event in map(parser.feed, stream.read_text().splitlines()):
        if isinstance(event, IntervalRecord) and event.phase == "measure":
            intervals, values = counts.get(event.tag, (0, 0))
            counts[event.tag] = (intervals + 1, values + decode_histogram(event.histogram).total_count)
    return counts


async def test_an_open_loop_runs_corrected_latency_is_its_own_curve_and_column(make_session, tmp_path: Path) -> None:
    counts = _measured_counts(RATE_STREAM)
    (service_intervals, service_values), (_, corrected_values) = counts.values()
    assert list(counts) == ["pingpong-latency", "pingpong-latency.corrected"]
    session, _ = make_session(stream=RATE_STREAM)
    session.select("pingpong-latency")
    app = MonitorApp(session)
    target = tmp_path / "export"
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].intervals == service_intervals,
                    "the open-loop intervals on screen")  # fmt: skip
        await pilot.pause(0.3)
        run = app.snapshot.runs[0]
        # Kept apart: neither doubled into the service time nor taken for a step.
        assert run.intervals == service_intervals and run.throughput.values.size == service_intervals
        assert run.table.count == service_values
        assert run.corrected_table is not None and run.corrected_table.count == corrected_values
        assert run.corrected.values_ns[-1] >= run.total.values_ns[-1]  # waiting for the schedule only adds
        assert run.steps == ()
        legend = [name for name, _ in percentile_figure(app.snapshot).legend]
        assert legend[:2] == ["run so far", "corrected"]
        table = str(app.query_one("#table").render()).splitlines()
        assert table[0].split() == ["service", "corrected"] and len(table[1].split()) == 3
        await pilot.press("e")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, (target / "run.hlog").exists, "the export")
    assert {p.name for p in target.glob("*.hgrm")} == {"pingpong-latency.hgrm", "pingpong-latency.corrected.hgrm"}
    results = json.loads((target / "results.json").read_text())["scenarios"]
    assert [(r["name"], r["latency_ns"]["count"]) for r in results] == [
        ("pingpong-latency", service_values), ("pingpong-latency.corrected", corrected_values),
    ]  # fmt: skip


async def test_the_suites_targets_judge_the_scenario_list_and_draw_the_throughput_target(make_session) -> None:
    targets = (
        Target("spsc-throughput", "throughput_ops_s", ">", 100_000, "SPSC Throughput"),
        Target("spsc-throughput", "residual_bytes", "<", 1, "a figure a live run does not have"),
        Target("mpmc-throughput", "throughput_ops_s", ">", 1e12, "MPMC Throughput"),
        Target("mpmc-throughput", "latency_p99_ns", "<", 1e9, "MPMC P99"),
    )
    session, _ = make_session(targets=targets)
    app = MonitorApp(session)
    scenarios = lambda: [str(o.prompt) for o in app.query_one("#scenarios", OptionList).options]  # noqa: E731
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        await until(pilot, lambda: listed(scenarios(), "▶ spsc-throughput", "PASS"), "spsc-throughput judged PASS")
        assert app.snapshot.target_ops_s == 100_000
        figure = throughput_figure(app.snapshot)
        # Met: the line and its legend take the verdict's colour.
        assert figure.hlines[0][1] == PASS_COLOUR and ("─ target 100k/s ✓", PASS_COLOUR) in figure.legend
        await pilot.press("down", "enter")
        await until(pilot, lambda: listed(scenarios(), "▶ mpmc-throughput", "FAIL"), "mpmc-throughput judged FAIL")
        assert app.snapshot.target_ops_s == 1e12
        await until(pilot, lambda: throughput_figure(app.snapshot).hlines[0][1] == TARGET_COLOUR, "missed: red")
        # The p99 target is drawn on the spectrum and on the timeline, met (green).
        await until(pilot, lambda: bool(app.snapshot.runs[0].over_time.t_s.size), "a measured interval")
        for figure in (percentile_figure(app.snapshot), over_time_figure(app.snapshot)):
            assert ("─ p99 < 1s ✓", PASS_COLOUR) in figure.legend and (figure.hlines[0][1] == PASS_COLOUR)
        await pilot.press("down", "enter")  # pingpong-latency has no target here: no verdict, no line
        await until(pilot, lambda: app.snapshot.selected == "pingpong-latency", "pingpong-latency selected")
        assert app.snapshot.target_ops_s is None and not throughput_figure(app.snapshot).hlines
        await until(pilot, lambda: listed(scenarios(), "▶ pingpong-latency", ""), "pingpong-latency running")
        assert listed(scenarios(), "■ spsc-throughput", "PASS")  # a stopped run keeps its verdict
