"""The screen's layout, fixed at 120x40 and 80x24 over the recorded stream (deterministic data)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from nimsync_tui.monitor.session import LiveSession
from nimsync_tui.tui import MonitorApp

from .conftest import MEASURED_IN_STREAM, Factory, live_specs
from .test_app import until


def _app(endings: list[str]) -> MonitorApp:
    return MonitorApp(LiveSession(live_specs(), source_factory=Factory(endings)))


async def _settled(pilot: Pilot[int]) -> None:
    # The scenario list is rebuilt when a state mark changes and scrolls to its
    # highlight: let that finish (a loaded machine can be mid-way) before the picture.
    await pilot.pause(0.2)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.2)


async def _measured(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, MonitorApp)
    await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].intervals == MEASURED_IN_STREAM,
                "the recorded intervals")  # fmt: skip
    await _settled(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_live_screen(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(_app(["wait"]), terminal_size=size, run_before=_measured)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_dead_runner_screen(snap_compare, size: tuple[int, int]) -> None:
    async def failed(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, MonitorApp)
        await until(pilot, lambda: bool(app.snapshot.runs) and app.snapshot.runs[0].phase == "failed", "failure")
        await _settled(pilot)

    assert snap_compare(_app(["die"]), terminal_size=size, run_before=failed)
