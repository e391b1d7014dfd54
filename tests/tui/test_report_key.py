"""``e`` in replay writes the log's HTML report and its chart images, the screen live meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from nimsync_tui.monitor.replay import ReplaySource
from nimsync_tui.tui import MonitorApp
from nimsync_tui.tui.dialogs import DirectoryDialog

from .test_app import until

pytestmark = pytest.mark.asyncio
FIXTURE = Path(__file__).parents[1] / "fixtures" / "java-reference.hlog"


async def test_e_in_replay_writes_the_report(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "java.html"
    app = MonitorApp(ReplaySource(FIXTURE, value_unit="us"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot.loaded and bool(app.snapshot.runs), "the log")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, DirectoryDialog), "the file dialog")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: len(list(target.parent.glob("*.svg"))) == 4, "the report", timeout=120)
        await pilot.press("right")  # the screen still answers
        await until(pilot, lambda: app.snapshot.position[0] == 2, "a step")
    text = target.read_text()
    assert text.startswith("<!DOCTYPE html>") and "pingpong-latency: latency over time" in text
    assert "<script src=" not in text  # nothing to fetch: the script is inlined
