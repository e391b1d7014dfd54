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
from .timeline import intervals_between
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
        """The implementation and its checkpoint rule (or loop), as the header shows them."""
        p = spec.params
        if p.impl == "trio":
            return "trio.open_memory_channel (checkpoint every op)"
        if p.impl != "nimsync":
            return f"{p.impl} on {p.loop}"
        rule = "every op" if p.yield_every == 1 else f"every {p.yield_every} ops"
        return f"nimsync (checkpoint {rule})"


OURS_AND_TRIOS = (("nimsync", "trio"), ("trio", "trio"))
"""The implementations ``i`` cycles through unless the session is given others: ours and Trio's."""

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
        more_baselines: Sequence[BaselineCurve] = (),
        source_factory: Callable[[RunSpec], EventSource] = RunnerSource,
        intervals_per_turn: int = DEFAULT_INTERVALS_PER_TURN,
        implementations: Sequence[tuple[str, str]] = OURS_AND_TRIOS,
    ) -> None:
        if not specs:
            raise ConfigError("no scenario to run")
        self.implementations = tuple(implementations)
        """The ``(implementation, loop)`` pairs ``i`` cycles through, in order."""
        self.specs: dict[str, RunSpec] = {s.scenario: s for s in specs}
        """The run spec of each scenario, with the user's changes."""
        self.selected = specs[0].scenario
        """The scenario on screen."""
        self.compare_with: str | None = None
        """A key of :data:`COMPARISONS` while comparing live, else ``None``."""
        self.baselines: list[BaselineCurve] = [*([baseline] if baseline else []), *more_baselines]
        """Every ``--compare`` recording (and the baseline saved with ``b``, first), drawn over the spectrum."""
        self.hidden: frozenset[str] = frozenset()
        """Labels of the baselines not drawn (``t`` chooses)."""
        self._targets = tuple(targets)
        self._source_factory = source_factory
        self._intervals_per_turn = intervals_per_turn
        self._runs: dict[str, list[RunState]] = {}
        self._running: EventSource | None = None
        self._one_load = asyncio.Lock()
        self._changes = next(CHANGES)
        self._range: tuple[int, int] | None = None
        self._range_s = (0.0, 0.0)
        self._cut: tuple[RunView, ...] = ()
        self._moving_start = False

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
        self.whole()
        self._changes = next(CHANGES)

    def switch_impl(self) -> str:
        """Run the selected scenario on the next of :attr:`implementations`; returns it, with its loop."""
        order = self.implementations
        now = (self.spec.params.impl, self.spec.params.loop)
        impl, loop = order[(order.index(now) + 1) % len(order)] if now in order else order[0]
        self._set_params(impl=impl, loop=loop)
        return f"{impl} on {loop}"

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
        self.whole()  # a range of the replaced runs means nothing for the new ones
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

    # -- a range of the run ------------------------------------------------------

    @property
    def range(self) -> tuple[int, int] | None:
        """The measured intervals shown (``first``, ``end`` exclusive, the first run's); ``None``: all, as they come."""
        return self._range

    def _bounds(self) -> list[tuple[float, float]]:
        return self.runs[0].bounds() if self.runs else []

    def select_range(self, first: int, end: int) -> None:
        """Show the measured intervals ``first`` up to ``end`` (exclusive) only, within those measured so far.

        The range stays put while the load goes on: intervals measured later are on the timeline, not in it.
        """
        bounds = self._bounds()
        if not bounds:
            return
        first = max(0, min(first, len(bounds) - 1))
        end = max(first + 1, min(end, len(bounds)))
        start_s, end_s = bounds[first][0], bounds[end - 1][1]
        # Each run of a comparison over the same seconds: their turns share the timeline.
        self._cut = tuple(run.cut(start_s, end_s).view() for run in self.runs if run.spool is not None)
        self._range, self._range_s = (first, end), (start_s, end_s)
        self._changes = next(CHANGES)

    def select_time(self, start_s: float, end_s: float) -> None:
        """Show the measured intervals that overlap ``start_s``..``end_s`` (seconds on the timeline)."""
        self.select_range(*intervals_between(self._bounds(), start_s, end_s))

    def step(self, by: int) -> None:
        """Move the range's end (or its start, after :meth:`move_start`) ``by`` intervals; the first step
        from the whole run ends the range at the last interval measured (then one back, or on)."""
        first, end = self._range or (0, self.runs[0].intervals if self.runs else 0)
        if self._moving_start:
            self.select_range(min(first + by, end - 1), end)
        else:
            self.select_range(first, max(first + 1, end + by))

    def move_start(self) -> None:
        """Let :meth:`step` move where the range starts."""
        self._moving_start = True

    def move_end(self) -> None:
        """Let :meth:`step` move where the range ends (as it does at first)."""
        self._moving_start = False

    def first(self) -> None:
        """Show the first measured interval only."""
        self._moving_start = False
        self.select_range(0, 1)

    def whole(self) -> None:
        """Show the whole run, growing as intervals arrive."""
        self._range, self._cut, self._moving_start = None, (), False
        self._changes = next(CHANGES)

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
        """Export the run so far and compare against it from now on (first of the baselines)."""
        written = self.export(directory)
        self.baselines.insert(0, BaselineCurve.load(written))
        self._changes = next(CHANGES)
        return written

    @property
    def baseline(self) -> BaselineCurve | None:
        """The first baseline drawn, if any."""
        return next((b for b in self.baselines if b.label not in self.hidden), None)

    def show_baselines(self, labels: Sequence[str]) -> None:
        """Draw the baselines labelled ``labels`` only."""
        known = {b.label for b in self.baselines}
        if unknown := [label for label in labels if label not in known]:
            raise ConfigError(f"no baseline {unknown[0]!r}")
        self.hidden = frozenset(known - set(labels))
        self._changes = next(CHANGES)

    def snapshot(self) -> Snapshot:
        """The frozen picture of the session now."""
        runs = self.runs
        whole = tuple(s.view() for s in runs)
        # A range's figures are those of its intervals; where the run stands is the run's own.
        cut = tuple(
            dataclasses.replace(c, phase=w.phase, message=w.message) for c, w in zip(self._cut, whole, strict=False)
        )
        views = (cut if self._range is not None else whole) or tuple(
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
            # The other baselines drawn, each with its own colour and legend entry.
            overlays=tuple(
                (f"baseline {b.label}", b.curve_for(self.selected))
                for b in self.baselines
                if b.label not in self.hidden and b is not self.baseline
            ),
            target_ops_s=self._throughput_target(self.selected),
            targets=self._target_lines(self.selected),
            **self._range_fields(whole[0] if whole else None),
        )

    def _range_fields(self, whole: RunView | None) -> dict[str, Any]:
        """The snapshot's fields of a range chosen: none while the whole run is shown."""
        if self._range is None or whole is None:
            return {}
        first, end = self._range
        return {"whole": whole, "range_s": self._range_s, "first": first, "position": (end, whole.intervals)}

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
