"""A scripted load for the app's tests: a recorded runner stream replayed as events, with no process."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator, Callable
from pathlib import Path

import pytest

from nimsync_tui.core.protocol import Event, RunEnded, StreamParser
from nimsync_tui.errors import RunnerError
from nimsync_tui.monitor import session as monitor_session
from nimsync_tui.monitor import state as monitor_state
from nimsync_tui.monitor.session import LiveSession
from nimsync_tui.run.config import Overrides, RunSpec, plan_runs

STREAM = Path(__file__).with_name("fixtures") / "spsc-stream.hlog"
"""What a real runner wrote for spsc-throughput: 0.25 s intervals, 3 s measured."""
RATE_STREAM = Path(__file__).with_name("fixtures") / "pingpong-rate-stream.hlog"
"""What a real runner wrote for pingpong-latency --rate 20000: 2 s measured, each interval twice
(``pingpong-latency`` and ``pingpong-latency.corrected``)."""
MEASURED_IN_STREAM = STREAM.read_text().count('"event":"interval","tag":"spsc-throughput","phase":"measure"')
SCRIPT_EPOCH_S = 1_795_766_400.0
"""The wall clock of every scripted load's start, and of the session's origin: the screen's time axis
counts from their difference, which real clocks read a few milliseconds apart (more on a loaded machine)."""


class ScriptedSource:
    """Plays :data:`STREAM`'s events; then ends, dies, or waits to be stopped like a continuous load."""

    def __init__(self, spec: RunSpec, *, ending: str = "wait", stream: Path = STREAM) -> None:
        self.spec = spec
        self.stream = stream
        self.base_time_s = 0.0
        self.stopped = asyncio.Event()
        self._ending = ending

    async def events(self) -> AsyncGenerator[Event, None]:
        parser = StreamParser()
        self.base_time_s = SCRIPT_EPOCH_S  # as if the load had started the moment the session did
        for line in self.stream.read_text().splitlines():
            event = parser.feed(line)
            if event is None:
                continue
            if isinstance(event, RunEnded):
                break
            yield event
        if self._ending == "die":
            raise RunnerError(f"{self.spec.scenario}: load process was killed by signal 9")
        if self._ending == "wait":
            await self.stopped.wait()
        yield RunEnded(status="stopped" if self.stopped.is_set() else "completed", phase="measure",
                       total_ops=1, measured_s=1.0)  # fmt: skip

    def stop(self) -> None:
        self.stopped.set()


class Factory:
    """Makes scripted sources and remembers every spec it was asked to run."""

    def __init__(self, endings: list[str] | None = None, stream: Path = STREAM) -> None:
        self.specs: list[RunSpec] = []
        self.sources: list[ScriptedSource] = []
        self._endings = endings or []
        self._stream = stream

    def __call__(self, spec: RunSpec) -> ScriptedSource:
        ending = self._endings.pop(0) if self._endings else "wait"
        source = ScriptedSource(spec, ending=ending, stream=self._stream)
        self.specs.append(spec)
        self.sources.append(source)
        return source


def live_specs() -> list[RunSpec]:
    specs = plan_runs("*", Overrides(), interval_s=0.25)
    return [dataclasses.replace(s, params=dataclasses.replace(s.params, iterations=None)) for s in specs]


@pytest.fixture(autouse=True)
def fixed_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The measurement floor is measured on the machine; the screen tests need one figure."""
    monkeypatch.setattr(monitor_state, "timer_floor_ns", lambda: 48.0)


@pytest.fixture(autouse=True)
def fixed_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The session's runs start at :data:`SCRIPT_EPOCH_S`, the scripted loads' own base time."""
    monkeypatch.setattr(monitor_session, "_epoch_ms", lambda: SCRIPT_EPOCH_S)


@pytest.fixture
def make_session() -> Callable[..., tuple[LiveSession, Factory]]:
    def make(endings: list[str] | None = None, stream: Path = STREAM, **kwargs: object) -> tuple[LiveSession, Factory]:
        factory = Factory(endings, stream)
        return LiveSession(live_specs(), source_factory=factory, **kwargs), factory  # type: ignore[arg-type]

    return make
