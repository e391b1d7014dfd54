"""The live session: which scenario runs on which implementation, and the runs it has measured."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from nimsync_tui.scenarios import SCENARIOS, ImplementationError, resolve

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
    """An implementation under test: which channels, on which loop, and with which checkpoint rule."""

    impl: str
    yield_every: int | None = None
    """Our channel's checkpoint interval; ``None`` keeps the run's own."""
    loop: str | None = None
    """The event loop; ``None``: the run's own if the implementation runs on it, else the implementation's."""

    def apply(self, spec: RunSpec) -> RunSpec:
        """``spec`` run on this implementation."""
        changes: dict[str, Any] = {"impl": self.impl, "loop": self.loop or _loop_for(self.impl, spec.params.loop)}
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
            return f"{_short_name(p.impl)} on {p.loop}"
        rule = "every op" if p.yield_every == 1 else f"every {p.yield_every} ops"
        return f"nimsync (checkpoint {rule})"


def _loop_for(impl: str, loop: str) -> str:
    """``loop`` if ``impl`` runs on it, else the loop it runs on by default."""
    try:
        found = resolve(impl)
    except ImplementationError:
        return loop  # the runner refuses it with its own message
    return loop if found.runs_on(loop) else found.default_loop


def _short_name(impl: str) -> str:
    """A SPEC as the registry labels it (``mychan:make`` for ``/long/path/mychan.py:make``)."""
    try:
        return resolve(impl).label
    except ImplementationError:
        return impl


OURS_AND_TRIOS = (("nimsync", "trio"), ("trio", "trio"))
"""The implementations ``i`` cycles through unless the session is given others: ours and Trio's."""

COMPARISONS: dict[str, tuple[Variant, Variant]] = {
    "trio": (Variant("nimsync", loop="trio"), Variant("trio", loop="trio")),
    "trio-rule": (Variant("nimsync", loop="trio"), Variant("nimsync", yield_every=1, loop="trio")),
}
"""What ours can be compared with live: Trio's channel, and our channel under Trio's checkpoint rule."""
GIVEN = "given"
"""The comparison of every implementation the session was given, in turns (when that is more than ours and Trio's)."""
CHOSEN = "chosen"
"""The comparison of the implementations chosen with :meth:`LiveSession.compare`."""

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
        """While comparing live: a key of :data:`COMPARISONS`, :data:`GIVEN` or :data:`CHOSEN`; else ``None``."""
        self._chosen: tuple[Variant, ...] = ()
        self.baselines: list[BaselineCurve] = [*([baseline] if baseline else []), *more_baselines]
        """Every ``--compare`` recording (and the baseline saved with ``b``, first), drawn over the spectrum."""
        self.hidden: frozenset[str] = frozenset()
        """Labels of the baselines not drawn (``t`` chooses)."""
        self._targets = tuple(targets)
        self._source_factory = source_factory
        self._intervals_per_turn = intervals_per_turn
        self._runs: dict[str, list[RunState]] = {}
        self._others: dict[str, dict[str, RunState]] = {}
        """Per scenario, by label: the last run of each implementation switched away from, drawn beside."""
        self._other_views: weakref.WeakKeyDictionary[RunState, tuple[int, RunView]] = weakref.WeakKeyDictionary()
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
        if any(getattr(self.spec.params, k) != v for k, v in wanted.items()):
            self._drop_others(self.selected)  # measured under another load: no longer beside this one
        self._set_params(**wanted)

    def _set_params(self, **changes: Any) -> None:
        spec = dataclasses.replace(self.spec, params=dataclasses.replace(self.spec.params, **changes))
        # The runner checks a spec the same way; checking here refuses it before any process starts.
        RunSpec.from_json(spec.to_json())
        self.specs[self.selected] = spec
        self._changes = next(CHANGES)

    def comparisons(self) -> list[str]:
        """The comparisons ``m`` cycles through after off: every implementation given (when that is
        more than ours and Trio's), ours against Trio's channel, ours against ours under Trio's rule."""
        given = [Variant(impl, loop=loop) for impl, loop in self.implementations]
        modes = [GIVEN] if len(given) >= 2 and tuple(given) != COMPARISONS["trio"] else []
        return [*modes, *COMPARISONS]

    def cycle_comparison(self) -> str | None:
        """Off -> each of :meth:`comparisons` in turn -> off."""
        order: list[str | None] = [None, *self.comparisons()]
        now = order.index(self.compare_with) if self.compare_with in order else len(order) - 1
        self.compare_with = order[(now + 1) % len(order)]
        self._changes = next(CHANGES)
        return self.compare_with

    def choices(self) -> dict[str, Variant]:
        """What :meth:`compare` can put side by side, by label: every implementation given, and ours
        under Trio's checkpoint rule."""
        spec = self.spec
        variants = [Variant(impl, loop=loop) for impl, loop in self.implementations]
        variants += [Variant("nimsync", loop="trio"), *COMPARISONS["trio-rule"], *COMPARISONS["trio"]]
        return {Variant.label_of(v.apply(spec)): v for v in variants}

    def compare(self, labels: Sequence[str]) -> str | None:
        """Compare the implementations ``labels`` name (keys of :meth:`choices`) in turns, the first as the
        reference; none turns the comparison off. Raises :class:`ConfigError` for one, or an unknown label."""
        choices = self.choices()
        wanted = list(dict.fromkeys(labels))
        unknown = [label for label in wanted if label not in choices]
        if unknown:
            raise ConfigError(f"nothing to compare named {', '.join(unknown)}")
        if len(wanted) == 1:
            raise ConfigError("a comparison needs two implementations or more: tick another")
        self._chosen = tuple(choices[label] for label in wanted)
        self.compare_with = CHOSEN if wanted else None
        self._changes = next(CHANGES)
        return self.compare_with

    def describe_comparison(self) -> str:
        """The comparison now in words: ``off``, or the implementations in turns."""
        if self.compare_with is None:
            return "off"
        return " vs ".join(Variant.label_of(spec) for spec in self.plan())

    def plan(self) -> list[RunSpec]:
        """The runs :meth:`drive` will alternate between: one, or those compared (the reference first)."""
        spec = self.spec
        if self.compare_with is None:
            return [spec]
        if self.compare_with == GIVEN:
            variants: Sequence[Variant] = [Variant(impl, loop=loop) for impl, loop in self.implementations]
        elif self.compare_with == CHOSEN:
            variants = self._chosen
        else:
            variants = COMPARISONS[self.compare_with]
        return [v.apply(spec) for v in variants]

    # -- running ----------------------------------------------------------------

    async def drive(self) -> None:
        """Run the selected scenario (in turns when comparing) with fresh histograms.

        A failed or dead load marks its run failed and keeps what it measured.
        Returns when the load ends; cancel the calling task to stop it early.
        """
        plan = self.plan()
        origin = _epoch_ms()
        states = [RunState(Variant.label_of(spec), origin_s=origin) for spec in plan]
        self._keep_others(self.selected, {state.label for state in states})
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

    def _keep_others(self, scenario: str, running: set[str]) -> None:
        """The scenario's runs being replaced: each implementation's that measured something stays beside
        the new runs (its spool dropped, nothing more to export), unless it is one of them again."""
        others = self._others.setdefault(scenario, {})
        for replaced in self._runs.get(scenario, []):
            replaced.close()
            if replaced.intervals and replaced.label not in running:
                others.pop(replaced.label, None)
                others[replaced.label] = replaced  # the latest last
        for label in running:
            others.pop(label, None)

    def _drop_others(self, scenario: str) -> None:
        self._others.pop(scenario, None)
        self._changes = next(CHANGES)

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
    def others(self) -> list[RunState]:
        """The last run of each other implementation measured on the selected scenario with its parameters
        (switched away from with ``i``, or compared before), the earliest first."""
        return list(self._others.get(self.selected, {}).values())

    @property
    def version(self) -> int:
        """Changes whenever anything on screen would: the UI builds a snapshot only then."""
        states = [s for runs in self._runs.values() for s in runs] + self.others
        return max([self._changes, *(s.version for s in states)])

    def export(self, directory: Path) -> Path:
        """Write the selected scenario's run so far (ours when comparing) as a recording into ``directory``."""
        if not self.runs:
            raise ConfigError(f"{self.selected} has not run yet: start it, then export")
        return export_run(self.runs[0], self.spec, directory)

    def close(self) -> None:
        """Drop every run's spooled intervals (the session is over)."""
        for runs in [*self._runs.values(), *(list(o.values()) for o in self._others.values())]:
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
            others=tuple(self._other_view(s) for s in self.others),
            **self._range_fields(whole[0] if whole else None),
        )

    def _other_view(self, state: RunState) -> RunView:
        """A run switched away from: its view built once per change (it no longer changes)."""
        cached = self._other_views.get(state)
        if cached is None or cached[0] != state.version:
            cached = self._other_views[state] = (state.version, state.view())
        return cached[1]

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
