"""The live session: which scenario runs on which implementation, and the runs it has measured."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from nimsync_tui.scenarios import SCENARIOS

from ..core.protocol import Event, IntervalRecord, RunEnded, RunStarted
from ..errors import ConfigError, NimsyncError
from ..run.config import RunSpec
from ..suite.targets import Target, check_row
from .baseline import BaselineCurve
from .export import export_run
from .snapshot import EMPTY_CURVE, RunPhase, RunView, ScenarioRow, Snapshot, TargetLine
from .source import RunnerSource
from .state import CHANGES, RunState
from .turns import DEFAULT_INTERVALS_PER_TURN, Turns


class EventSource(Protocol):
    """What the session reads a load from: :class:`RunnerSource`, or a scripted one in tests."""

    base_time_s: float

    def events(self) -> AsyncGenerator[Event, None]:
        """The load's events until it ends; raises :class:`RunnerError` if it fails."""
        ...

    def stop(self) -> None:
        """Ask the load to stop; it still reports its end."""
        ...


@dataclass(frozen=True, slots=True)
class Variant:
    """An implementation under test: which channels, and with which checkpoint rule."""

    impl: str
    yield_every: int | None = None
    """Our channel's checkpoint interval; ``None`` keeps the run's own."""

    def apply(self, spec: RunSpec) -> RunSpec:
        """``spec`` run on this implementation."""
        changes: dict[str, Any] = {"impl": self.impl}
        if self.yield_every is not None:
            changes["yield_every"] = self.yield_every
        return dataclasses.replace(spec, params=dataclasses.replace(spec.params, **changes))

    @staticmethod
    def label_of(spec: RunSpec) -> str:
        """The implementation and its checkpoint rule, as the header shows them."""
        p = spec.params
        if p.impl == "trio":
            return "trio.open_memory_channel (checkpoint every op)"
        rule = "every op" if p.yield_every == 1 else f"every {p.yield_every} ops"
        return f"nimsync (checkpoint {rule})"


COMPARISONS: dict[str, Variant] = {
    "trio": Variant("trio"),
    "trio-rule": Variant("nimsync", yield_every=1),
}
"""What ours can be compared with live: Trio's channel, and our channel under Trio's checkpoint rule."""

_ROW_STATE = {
    RunPhase.STARTING: "running",
    RunPhase.WARMUP: "running",
    RunPhase.MEASURE: "running",
    RunPhase.WAITING: "running",
    RunPhase.DONE: "done",
    RunPhase.STOPPED: "stopped",
    RunPhase.FAILED: "failed",
}


def _epoch_ms() -> float:
    # Cut to whole milliseconds, as a log's BaseTime is, so exported times line up exactly.
    return math.floor(time.time() * 1000) / 1000


class LiveSession:
    """The scenarios a user can run, the runs measured, and the load now running.

    Textual-free: the app calls :meth:`drive` in one async worker and draws
    :meth:`snapshot`; tests drive it with a scripted source.
    """

    def __init__(
        self,
        specs: Sequence[RunSpec],
        *,
        targets: Sequence[Target] = (),
        baseline: BaselineCurve | None = None,
        source_factory: Callable[[RunSpec], EventSource] = RunnerSource,
        intervals_per_turn: int = DEFAULT_INTERVALS_PER_TURN,
    ) -> None:
        if not specs:
            raise ConfigError("no scenario to run")
        self.specs: dict[str, RunSpec] = {s.scenario: s for s in specs}
        """The run spec of each scenario, with the user's changes."""
        self.selected = specs[0].scenario
        """The scenario on screen."""
        self.compare_with: str | None = None
        """A key of :data:`COMPARISONS` while comparing live, else ``None``."""
        self.baseline = baseline
        self._targets = tuple(targets)
        self._source_factory = source_factory
        self._intervals_per_turn = intervals_per_turn
        self._runs: dict[str, list[RunState]] = {}
        self._running: EventSource | None = None
        self._one_load = asyncio.Lock()
        self._changes = next(CHANGES)

    # -- what to run ------------------------------------------------------------

    @property
    def spec(self) -> RunSpec:
        """The selected scenario's spec."""
        return self.specs[self.selected]

    def select(self, scenario: str) -> None:
        """Put ``scenario`` on screen (its load starts with the next :meth:`drive`)."""
        if scenario not in self.specs:
            raise ConfigError(f"unknown scenario {scenario!r}")
        self.selected = scenario
        self._changes = next(CHANGES)

    def switch_impl(self) -> str:
        """Run the selected scenario on the other implementation; returns the new one."""
        impl = "trio" if self.spec.params.impl == "nimsync" else "nimsync"
        self._set_params(impl=impl)
        return impl

    def change_params(self, *, capacity: int, producers: int, consumers: int) -> None:
        """Change the selected scenario's load; raises :class:`ConfigError` for values it cannot run."""
        scenario = SCENARIOS[self.selected]
        wanted = {"capacity": capacity, "producers": producers, "consumers": consumers}
        fixed = [k for k, v in wanted.items() if k not in scenario.tunable and v != getattr(self.spec.params, k)]
        if fixed:
            raise ConfigError(f"{self.selected} has a fixed {', '.join(fixed)}")
        if capacity < scenario.min_capacity:
            raise ConfigError(f"{self.selected} needs capacity >= {scenario.min_capacity}, got {capacity}")
        self._set_params(**wanted)

    def _set_params(self, **changes: Any) -> None:
        spec = dataclasses.replace(self.spec, params=dataclasses.replace(self.spec.params, **changes))
        # The runner checks a spec the same way; checking here refuses it before any process starts.
        RunSpec.from_json(spec.to_json())
        self.specs[self.selected] = spec
        self._changes = next(CHANGES)

    def cycle_comparison(self) -> str | None:
        """Off -> ours against Trio's channel -> ours against ours under Trio's rule -> off."""
        order: list[str | None] = [None, *COMPARISONS]
        self.compare_with = order[(order.index(self.compare_with) + 1) % len(order)]
        self._changes = next(CHANGES)
        return self.compare_with

    def plan(self) -> list[RunSpec]:
        """The runs :meth:`drive` will alternate between: one, or ours and the compared one."""
        spec = self.spec
        if self.compare_with is None:
            return [spec]
        return [Variant("nimsync").apply(spec), COMPARISONS[self.compare_with].apply(spec)]

    # -- running ----------------------------------------------------------------

    async def drive(self) -> None:
        """Run the selected scenario (in turns when comparing) with fresh histograms.

        A failed or dead load marks its run failed and keeps what it measured.
        Returns when the load ends; cancel the calling task to stop it early.
        """
        plan = self.plan()
        origin = _epoch_ms()
        states = [RunState(Variant.label_of(spec), origin_s=origin) for spec in plan]
        for replaced in self._runs.get(self.selected, []):
            replaced.close()
        self._runs[self.selected] = states
        self._changes = next(CHANGES)
        # A cancelled drive lets its process exit before this one starts one: never two loads at once.
        async with self._one_load:
            if len(plan) == 1:
                await self._run(states[0], plan[0])
                return
            for index, spec in Turns(plan, self._intervals_per_turn):
                if not await self._run(states[index], spec):
                    return
                states[index].pause_turn()

    async def _run(self, state: RunState, spec: RunSpec) -> bool:
        """One load process from start to end; False if it failed or was stopped."""
        source = self._source_factory(spec)
        self._running = source
        try:
            async with contextlib.aclosing(source.events()) as events:
                async for event in events:
                    if isinstance(event, RunStarted):
                        state.start(event)
                    elif isinstance(event, IntervalRecord):
                        state.interval(event, base_time_s=source.base_time_s)
                    elif isinstance(event, RunEnded):
                        state.end(event)
        except NimsyncError as exc:  # it died, failed, or wrote what cannot be read
            state.fail(str(exc))
            return False
        except asyncio.CancelledError:
            state.halt()
            raise
        finally:
            self._running = None
        return state.phase == RunPhase.DONE

    def stop(self) -> None:
        """Ask the running load, if any, to stop (it reports its last interval first)."""
        if self._running is not None:
            self._running.stop()

    # -- reading ----------------------------------------------------------------

    @property
    def runs(self) -> list[RunState]:
        """The selected scenario's runs (ours first when comparing); empty before it first ran."""
        return self._runs.get(self.selected, [])

    @property
    def version(self) -> int:
        """Changes whenever anything on screen would: the UI builds a snapshot only then."""
        return max([self._changes, *(s.version for runs in self._runs.values() for s in runs)])

    def export(self, directory: Path) -> Path:
        """Write the selected scenario's run so far (ours when comparing) as a recording into ``directory``."""
        if not self.runs:
            raise ConfigError(f"{self.selected} has not run yet: start it, then export")
        return export_run(self.runs[0], self.spec, directory)

    def close(self) -> None:
        """Drop every run's spooled intervals (the session is over)."""
        for runs in self._runs.values():
            for run in runs:
                run.close()

    def save_baseline(self, directory: Path) -> Path:
        """Export the run so far and compare against it from now on."""
        self.export(directory)
        self.baseline = BaselineCurve.load(directory)
        self._changes = next(CHANGES)
        return directory

    def snapshot(self) -> Snapshot:
        """The frozen picture of the session now."""
        runs = self.runs
        views = tuple(s.view() for s in runs) or tuple(
            RunView(label=Variant.label_of(spec), scenario=self.selected) for spec in self.plan()
        )
        # Until a load reports its parameters, show the ones it was asked to run with.
        views = tuple(
            v if v.params else dataclasses.replace(v, params=dataclasses.asdict(self.spec.params)) for v in views
        )
        return Snapshot(
            mode="live",
            runs=views,
            scenarios=tuple(self._row(name) for name in self.specs),
            selected=self.selected,
            baseline=self.baseline.curve_for(self.selected) if self.baseline else EMPTY_CURVE,
            baseline_label=self.baseline.label if self.baseline else "",
            target_ops_s=self._throughput_target(self.selected),
            targets=self._target_lines(self.selected),
        )

    def _target_lines(self, scenario: str) -> tuple[TargetLine, ...]:
        """The scenario's targets with their verdicts on the figures so far (``None`` before one is measured)."""
        runs = self._runs.get(scenario)
        metrics = runs[0].metrics() if runs else {}
        return tuple(
            TargetLine(c.metric, c.op, c.target, None if c.measured is None else c.passed)
            for c in check_row(scenario, metrics, self._targets)
        )

    def _throughput_target(self, scenario: str) -> float | None:
        """The throughput the suite's targets ask of ``scenario``, drawn as a line; ``None`` without one."""
        checks = check_row(scenario, {}, self._targets)
        return next((c.target for c in checks if c.metric == "throughput_ops_s"), None)

    def _row(self, name: str) -> ScenarioRow:
        runs = self._runs.get(name)
        if not runs:
            return ScenarioRow(name, "idle")
        ours = runs[0]
        # Only the targets on figures measured so far: a load's own (memory, scaling) come at its end.
        checks = [c for c in check_row(name, ours.metrics(), self._targets) if c.measured is not None]
        verdict = "" if not checks else "PASS" if all(c.passed for c in checks) else "FAIL"
        return ScenarioRow(name, _ROW_STATE.get(ours.phase, ours.phase), verdict)
