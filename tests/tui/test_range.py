"""A range of a recorded run chosen in replay: the spectrum, the table and the throughput describe it alone."""

from __future__ import annotations

import pytest

from nimsync_tui.core.histogram import decode_histogram
from nimsync_tui.monitor.replay import ReplaySource
from nimsync_tui.tui import MonitorApp
from nimsync_tui.tui.dialogs import OverlayDialog
from nimsync_tui.tui.figures import over_time_figure, percentile_figure

from .conftest import STREAM
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
        assert legend == ["run so far", "spsc-throughput"]
        # The overlay is the tag's whole run, whatever range of the tag on screen: as that tag's own whole run.
        await pilot.press("down", "enter", "w")
        await until(pilot, lambda: app.snapshot.selected == "spsc-throughput" and app.snapshot.range_s is None,
                    "spsc-throughput's whole run")  # fmt: skip
        assert app.snapshot.runs[0].total.values_ns.tolist() == curve.values_ns.tolist()
        assert app.snapshot.overlays == ()  # a tag is not drawn over itself
