"""Any channel in the app (issue 12): ``i`` through the implementations given, each kept beside the next on the
spectrum (with a legend) and in the table (a column each); ``m`` and ``M`` compare two or more in turns."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList

from nimsync_tui.monitor.session import LiveSession, Variant
from nimsync_tui.run.config import Overrides, plan_runs
from nimsync_tui.tui import MonitorApp
from nimsync_tui.tui.dialogs import OverlayDialog, ParamsDialog
from nimsync_tui.tui.figures import Figure, percentile_figure, short_label, throughput_figure
from nimsync_tui.tui.widgets import BraillePlot, LatencyTableView, plot_lines, table_columns

from .conftest import MEASURED_IN_STREAM
from .test_app import SIZE, error_shown, header, measured, until

GIVEN = [("nimsync", "trio"), ("asyncio", "asyncio"), ("anyio", "trio")]
"""As ``--impl nimsync,asyncio,anyio`` gives them: each on its own loop."""


async def measured_on(pilot: Pilot[int], app: MonitorApp, label: str) -> None:
    """Until the run on screen is ``label``'s and has every scripted interval."""
    await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].label == label, f"{label} on screen")
    await measured(pilot, app)


def legend_of(app: MonitorApp) -> list[str]:
    """The spectrum's legend as the widget draws it: its first line."""
    return app.query_one("#latency", BraillePlot).render_line(0).text.split("  ")


def headings(app: MonitorApp) -> list[str]:
    return [heading for heading, _, _ in table_columns(app.snapshot)]


def table_head(app: MonitorApp) -> str:
    return str(app.query_one(LatencyTableView).render()).splitlines()[0]


@pytest.mark.asyncio
async def test_i_goes_through_the_implementations_given_and_keeps_each_beside(make_session) -> None:
    session, factory = make_session(implementations=GIVEN)
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        assert app.snapshot.others == ()
        assert legend_of(app)[0] == "run so far"

        await pilot.press("i")
        await until(pilot, lambda: (factory.specs[-1].params.impl, factory.specs[-1].params.loop) == GIVEN[1],
                    "the load on asyncio's own loop")  # fmt: skip
        await measured_on(pilot, app, "asyncio on asyncio")
        assert "asyncio on asyncio" in header(app)
        assert [short_label(o.label) for o in app.snapshot.others] == ["nimsync"]
        assert app.snapshot.others[0].intervals > 0  # what nimsync measured, not an empty curve
        # The spectrum: one curve per implementation, each named in the legend in its own colour.
        figure = percentile_figure(app.snapshot)
        named = dict(figure.legend)
        assert {"asyncio", "nimsync", "latest interval"} <= set(named)
        assert named["asyncio"] != named["nimsync"]
        assert {t.colour for t in figure.traces} >= {named["asyncio"], named["nimsync"]}
        await until(pilot, lambda: legend_of(app)[:2] == ["asyncio", "latest interval"], "the legend drawn")
        assert "nimsync" in legend_of(app)
        # The table: a column per implementation, in the curves' colours.
        assert headings(app) == ["asyncio", "nimsync"]
        assert {colour for _, _, colour in table_columns(app.snapshot)} == {named["asyncio"], named["nimsync"]}
        await until(pilot, lambda: table_head(app).split() == ["asyncio", "nimsync"], "the table's headings")

        await pilot.press("i")
        await until(pilot, lambda: factory.specs[-1].params.impl == "anyio", "the load on anyio")
        await measured_on(pilot, app, "anyio on trio")
        assert headings(app) == ["anyio on trio", "nimsync", "asyncio"]
        assert {"anyio on trio", "nimsync", "asyncio"} <= {text for text, _ in percentile_figure(app.snapshot).legend}

        await pilot.press("i")  # back to the first: its old run is replaced, the others stay
        await until(pilot, lambda: factory.specs[-1].params.impl == "nimsync", "the load on nimsync again")
        await measured_on(pilot, app, Variant.label_of(factory.specs[-1]))
        assert factory.specs[-1].params.loop == "trio"
        assert headings(app) == ["nimsync", "asyncio", "anyio on trio"]
        assert len({colour for _, _, colour in table_columns(app.snapshot)}) == 3


@pytest.mark.asyncio
async def test_a_restart_replaces_the_run_and_new_parameters_drop_the_others(make_session) -> None:
    session, factory = make_session(implementations=GIVEN)
    session.select("mpmc-throughput")
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        await pilot.press("i")
        await until(pilot, lambda: factory.specs[-1].params.impl == "asyncio", "the load on asyncio")
        await measured_on(pilot, app, "asyncio on asyncio")
        first = session.runs[0]
        await pilot.press("r")
        await until(pilot, lambda: session.runs[0] is not first and session.runs[0].intervals == MEASURED_IN_STREAM,
                    "the restarted load measured")  # fmt: skip
        await pilot.pause(0.3)  # drawn (10 frames a second)
        assert headings(app) == ["asyncio", "nimsync"]  # asyncio's old run is not kept beside its new one
        await pilot.press("c")
        assert isinstance(app.screen, ParamsDialog)
        app.screen.query_one("#capacity", Input).value = "64"
        await pilot.press("enter")
        await until(pilot, lambda: factory.specs[-1].params.capacity == 64, "the load with the new capacity")
        await until(pilot, lambda: app.snapshot.others == (), "the others gone")
        await measured(pilot, app)
        # Measured under another load, the others are no longer drawn beside it.
        assert app.snapshot.others == ()
        assert legend_of(app)[0] == "run so far"


@pytest.mark.asyncio
async def test_m_compares_every_implementation_given_in_turns(make_session) -> None:
    session, factory = make_session(endings=["end"] * 4, implementations=GIVEN, intervals_per_turn=2)
    app = MonitorApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await measured(pilot, app)
        await pilot.press("m")
        assert session.compare_with == "given"
        await until(pilot, lambda: len(app.snapshot.runs) == 3 and all(r.intervals for r in app.snapshot.runs),
                    "the three implementations measured in turns")  # fmt: skip
        turns = [(s.params.impl, s.params.loop) for s in factory.specs[1:4]]
        assert turns == GIVEN
        assert "nimsync vs asyncio vs anyio on trio in turns" in header(app)
        assert headings(app) == ["nimsync", "asyncio", "anyio on trio"]
        named = dict(percentile_figure(app.snapshot).legend)
        assert len({named[name] for name in ("nimsync", "asyncio", "anyio on trio")}) == 3
        # Three on the throughput chart: the first's mean, each other's ratio to it, every name drawn.
        rates = [text for text, _ in throughput_figure(app.snapshot).legend]
        assert rates[0].startswith("nimsync mean ") and rates[1:] == ["asyncio 1.00x", "anyio on trio 1.00x"]
        assert "cv" in rates[0] and all("mean" not in rate and "cv" not in rate for rate in rates[1:])
        plot = app.query_one("#throughput", BraillePlot)
        await until(pilot, lambda: "anyio on trio 1.00x" in plot.render_line(0).text + plot.render_line(1).text,
                    "the legend on two lines")  # fmt: skip
        await pilot.press("m")
        assert session.compare_with == "trio"


@pytest.mark.asyncio
async def test_shift_m_compares_the_implementations_ticked(make_session) -> None:
    session, factory = make_session(endings=["end"] * 3, implementations=GIVEN, intervals_per_turn=2)
    app = MonitorApp(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await measured(pilot, app)
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, OverlayDialog), "the list of implementations")
        choices = app.screen.query_one(SelectionList)
        labels = [choices.get_option_at_index(i).value for i in range(choices.option_count)]
        assert labels[:3] == [Variant.label_of(session.spec), "asyncio on asyncio", "anyio on trio"]
        assert "trio.open_memory_channel (checkpoint every op)" in labels
        choices.select("anyio on trio")
        choices.select("asyncio on asyncio")
        await pilot.click("#ok")
        await until(pilot, lambda: len(app.snapshot.runs) == 2 and all(r.intervals for r in app.snapshot.runs),
                    "both measured in turns")  # fmt: skip
        assert session.compare_with == "chosen"
        # The list's order, not the ticking's: asyncio is the reference.
        assert [(s.params.impl, s.params.loop) for s in factory.specs[1:3]] == [GIVEN[1], GIVEN[2]]
        assert headings(app)[:2] == ["asyncio", "anyio on trio"]
        # Two on the throughput chart: the reference's mean and CV, the other's mean, ratio to it and CV.
        rates = [text for text, _ in throughput_figure(app.snapshot).legend]
        assert rates[0].startswith("asyncio mean ") and " cv " in rates[0]
        assert rates[1].startswith("anyio on trio mean ") and " 1.00x cv " in rates[1]
        # One alone is no comparison: refused, and the one running goes on.
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, OverlayDialog), "the list again")
        choices = app.screen.query_one(SelectionList)
        choices.deselect_all()
        choices.select("anyio on trio")
        await pilot.click("#ok")
        assert "two implementations or more" in await error_shown(pilot, app)
        assert session.compare_with == "chosen"


def test_a_comparison_runs_each_implementation_on_a_loop_it_has() -> None:
    specs = plan_runs("spsc-throughput", Overrides(impl="asyncio"), interval_s=0.25)
    session = LiveSession(specs, implementations=[("asyncio", "asyncio"), ("nimsync", "trio")])
    assert session.spec.params.loop == "asyncio"
    assert session.cycle_comparison() == "given"
    assert [(s.params.impl, s.params.loop) for s in session.plan()] == [("asyncio", "asyncio"), ("nimsync", "trio")]
    # Ours against Trio's from a run on asyncio: both on Trio, never nimsync on an asyncio loop.
    assert session.cycle_comparison() == "trio"
    assert [(s.params.impl, s.params.loop) for s in session.plan()] == [("nimsync", "trio"), ("trio", "trio")]
    assert session.cycle_comparison() == "trio-rule"
    assert session.cycle_comparison() is None
    # An implementation that runs on any loop stays on the run's.
    assert Variant("anyio").apply(session.spec).params.loop == "asyncio"


def test_ours_and_trios_alone_are_not_offered_twice() -> None:
    session = LiveSession(plan_runs("spsc-throughput", Overrides(), interval_s=0.25))
    assert session.comparisons() == ["trio", "trio-rule"]


def test_short_labels_tell_implementations_apart() -> None:
    assert short_label("trio.open_memory_channel (checkpoint every op)") == "trio"
    assert short_label("trio:open_memory_channel on trio") == "trio:open_memory_channel on trio"
    assert short_label("nimsync (checkpoint every 64 ops)") == "nimsync"
    assert short_label("nimsync (checkpoint every op)") == "nimsync/1"
    assert short_label("asyncio on asyncio") == "asyncio"
    assert short_label("asyncio on uvloop") == "asyncio on uvloop"


def test_a_files_implementation_is_labelled_by_its_short_name(tmp_path) -> None:
    module = tmp_path / "mychan.py"
    module.write_text("import trio\n\ndef make(capacity):\n    return trio.open_memory_channel(capacity)\n")
    specs = plan_runs("spsc-throughput", Overrides(impl=f"{module}:make"), interval_s=0.25)
    assert Variant.label_of(specs[0]) == "mychan:make on trio"


def test_a_long_legend_takes_more_lines_while_the_plot_keeps_three_rows() -> None:
    legend = (("nimsync mean 1.96M/s", "white"), ("asyncio 0.52x", "red"), ("anyio on trio 0.04x", "blue"))
    figure = Figure(legend=legend)

    def text(line: list[Segment]) -> str:
        return "".join(segment.text for segment in line)

    tall = plot_lines(figure, 36, 15)
    assert [text(line).strip() for line in tall[:2]] == ["nimsync mean 1.96M/s  asyncio 0.52x", "anyio on trio 0.04x"]
    assert len(tall) == 15  # the plot gave up the row
    small = plot_lines(figure, 36, 5)  # one legend line, three plot rows, the x labels
    assert text(small[0]).strip() == "nimsync mean 1.96M/s  asyncio 0.52x" and len(small) == 5
