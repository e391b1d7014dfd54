"""What one run is asked to do, checked before any process starts.

The CLI turns its options into a :class:`RunPlan`; each scenario becomes a
:class:`RunSpec`, which crosses to the runner process as JSON.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nimsync_tui.scenarios import (
    LOOPS,
    SCENARIOS,
    Implementation,
    ImplementationError,
    Params,
    Scenario,
    normalize,
    resolve,
)
from nimsync_tui.scenarios._loop import available

from ..errors import ConfigError
from .resources import check_cpu

DEFAULT_INTERVAL_S = 1.0
"""Interval between histogram records in ``--record`` mode."""
MIN_INTERVAL_S = 0.05
"""Shorter intervals would spend more time encoding histograms than loading."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How the load process runs and what it records beside the histograms (the same for every scenario)."""

    pin_cpu: int | None = None
    """Pin the load process to this CPU (``--pin-cpu``)."""
    profile: bool = False
    """Trace the Python heap: its top allocation sites and size per interval (``--profile``)."""
    trace: bool = False
    """Profile the load's functions with cProfile (``--trace``)."""
    artifacts_dir: str | None = None
    """Where ``--profile`` and ``--trace`` write their files."""


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One scenario run, as the runner process receives it."""

    scenario: str
    """Name of a scenario in ``scenarios.SCENARIOS``."""
    params: Params
    """The scenario's parameters after the user's overrides."""
    interval_s: float = DEFAULT_INTERVAL_S
    """Seconds between interval records."""
    duration_s: float | None = None
    """Stop the measured phase after this long; ``None``: run ``params.iterations``."""
    options: RunOptions = RunOptions()
    """Pinning, profiling and tracing."""
    tag: str | None = None
    """The run's histogram tag and row name when not the scenario's own: ``<scenario>@<implementation>``
    when one run measures several implementations, plus ``+<param>-<value>`` per ``--matrix`` parameter."""

    @property
    def row(self) -> str:
        """The run's histogram tag (its steps' tags start with it)."""
        return self.tag or self.scenario

    def to_json(self) -> str:
        """Serialise for the runner's command line."""
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        """Inverse of :meth:`to_json`; raises :class:`ConfigError` on anything else."""
        try:
            raw = json.loads(text)
            spec = cls(
                scenario=raw["scenario"],
                params=Params(**raw["params"]),
                interval_s=float(raw["interval_s"]),
                duration_s=None if raw["duration_s"] is None else float(raw["duration_s"]),
                options=RunOptions(**raw.get("options", {})),
                tag=raw.get("tag"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"malformed run spec: {exc}") from None
        _check_params(spec.params)
        if spec.scenario not in SCENARIOS:
            raise ConfigError(f"unknown scenario {spec.scenario!r}; see --list")
        return spec


@dataclass(frozen=True, slots=True)
class Overrides:
    """Parameters the user set on the command line; ``None`` keeps each scenario's own."""

    impl: str | None = None
    """One SPEC, or several separated by commas (run side by side)."""
    loop: str | None = None
    """The event loop; ``None``: each implementation's own."""
    capacity: int | None = None
    producers: int | None = None
    consumers: int | None = None
    iterations: int | None = None
    warmup: int | None = None
    yield_every: int | None = None
    sample_every: int | None = None
    rate: float | None = None
    parallel: bool | None = None
    workers: int | None = None


_GLOB_CHARACTERS = frozenset("*?[")


def matches(scenario: Scenario, pattern: str) -> bool:
    """Whether ``pattern`` selects ``scenario``, as the suite's runner selects tests.

    Compared case-insensitively with the name, the category and the suite's
    title: as a glob when it holds ``*``, ``?`` or ``[``, else as a substring.
    """
    wanted = pattern.lower()
    if len(wanted) > 1 and wanted[0] == wanted[-1] and wanted[0] in "\"'":
        wanted = wanted[1:-1]  # --pattern:"Throughput" reached us with its quotes
    fields = (scenario.name.lower(), scenario.category.lower(), scenario.title.lower())
    if _GLOB_CHARACTERS & set(wanted):
        return any(fnmatch.fnmatchcase(f, wanted) for f in fields)
    return any(wanted in f for f in fields)


def select_scenarios(pattern: str) -> list[Scenario]:
    """Scenarios that ``pattern`` selects (see :func:`matches`), in the suite's order."""
    chosen = [s for s in SCENARIOS.values() if matches(s, pattern)]
    if not chosen:
        names = ", ".join(SCENARIOS)
        raise ConfigError(f"no scenario matches {pattern!r}; scenarios are: {names}")
    return chosen


def plan_runs(
    pattern: str,
    overrides: Overrides,
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
    duration_s: float | None = None,
    options: RunOptions = RunOptions(),
    matrix: Mapping[str, Sequence[int]] | None = None,
) -> list[RunSpec]:
    """Build the checked run specs for every scenario matching ``pattern``.

    Several implementations (``overrides.impl`` as ``a,b,c``) or a ``matrix``
    of parameters (``{"capacity": [1, 100]}``) give one run per scenario, cell
    and implementation, in that order, each tagged ``<scenario>@<impl>[+<param>-<value>...]``.

    An override applies to the scenarios that have that parameter: ``--producers``
    changes ``mpmc-throughput`` but leaves ``spsc-throughput`` at one producer.
    With ``duration_s`` the measured phase is continuous and stops on time; a
    scenario the suite runs for a time (throughput-stability) does so unless
    given ``--iterations``.
    """
    if not interval_s >= MIN_INTERVAL_S:
        raise ConfigError(f"--interval must be at least {MIN_INTERVAL_S} s, got {interval_s}")
    if duration_s is not None and not duration_s > 0:
        raise ConfigError(f"--duration must be a positive number of seconds, got {duration_s}")
    if duration_s is not None and math.isfinite(duration_s) and duration_s > MAX_SECONDS:
        raise ConfigError(f"--duration must be at most {MAX_SECONDS:g} s (a week), got {duration_s:g}")
    if duration_s is not None and overrides.iterations is not None:
        raise ConfigError("--duration and --iterations exclude each other; give one")
    given = {k: v for k, v in dataclasses.asdict(overrides).items() if v is not None}
    impls = _implementations(given.pop("impl", None))
    loop = given.pop("loop", None)
    cells = _cells(matrix or {})
    tagged = len(impls) > 1 or bool(matrix)
    if options.pin_cpu is not None:
        check_cpu(options.pin_cpu)
    if options.artifacts_dir is None and (options.profile or options.trace):
        raise ConfigError("--profile and --trace write files: give --record DIR (or --output FILE) as well")
    specs = []
    for scenario in select_scenarios(pattern):
        duration = duration_s
        if duration is None and overrides.iterations is None:
            duration = scenario.default_duration_s
        # A parameter the scenario does not have leaves it one run, not one per value.
        own_cells = list(
            {json.dumps(c): c for c in ({k: v for k, v in c.items() if k in scenario.tunable} for c in cells)}.values()
        )
        for cell in own_cells:
            changes = {k: v for k, v in {**given, **cell}.items() if k in scenario.tunable}
            if duration is not None:
                changes["iterations"] = None
            for impl in impls:
                on = loop or impl.default_loop
                params = dataclasses.replace(scenario.defaults, **changes, impl=impl.name, loop=on)
                _check_params(params)
                if not impl.runs_on(on):
                    raise ConfigError(
                        f"--impl {impl.name} runs on {impl.loop} only, not {on}: drop --loop or choose another"
                    )
                if params.capacity < scenario.min_capacity:
                    raise ConfigError(
                        f"{scenario.name} needs --capacity >= {scenario.min_capacity}, got {params.capacity}"
                    )
                suffix = "".join(f"+{k}-{v}" for k, v in cell.items())
                tag = f"{scenario.name}@{impl.label}{suffix}" if tagged else None
                specs.append(RunSpec(scenario.name, params, interval_s, duration, options, tag))
    return specs


MAX_TASKS = 10_000
"""Most producer or consumer tasks (and workers) a load may have: each costs the runner memory."""
MAX_CAPACITY = 1 << 20
"""Largest channel buffer a load may have."""
MIN_RATE, MAX_RATE = 0.01, 1e8
"""Operations a second an open-loop load may be asked for."""
MAX_SECONDS = 7 * 24 * 3600.0
"""Longest --duration or --timeout: a week (a timer past about 9.2e9 s cannot even be waited on)."""


MATRIX_PARAMETERS = ("capacity", "producers", "consumers", "sample_every", "yield_every")
"""The parameters ``--matrix`` may cross."""


def _implementations(specs: str | None) -> list[Implementation]:
    names = [s.strip() for s in (specs or "nimsync").split(",")]
    if not all(names):
        raise ConfigError(f"--impl {specs}: an empty name between commas; give SPEC[,SPEC...]")
    try:
        found = [resolve(normalize(name)) for name in names]
    except ImplementationError as exc:
        raise ConfigError(str(exc)) from None
    if len({i.label for i in found}) < len(found):
        raise ConfigError(f"--impl {specs}: an implementation is named twice")
    return found


def _cells(matrix: Mapping[str, Sequence[int]]) -> list[dict[str, int]]:
    for name in matrix:
        if name not in MATRIX_PARAMETERS:
            raise ConfigError(f"--matrix {name}=...: not a parameter it can cross; give {', '.join(MATRIX_PARAMETERS)}")
    names = list(matrix)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(matrix[n] for n in names))]


def runnable(specs: Sequence[RunSpec]) -> tuple[list[RunSpec], list[str]]:
    """The specs whose implementation has every part its scenario needs, and one line per skipped one.

    A scenario an implementation cannot run is skipped and said so, never run on a stand-in.
    """
    kept, skipped = [], []
    for spec in specs:
        impl = resolve(spec.params.impl)
        why = None
        if spec.params.capacity < impl.min_capacity and SCENARIOS[spec.scenario].needs:
            why = f"capacity >= {impl.min_capacity} (its queue has no rendezvous capacity 0)"
        else:
            try:
                why = impl.missing(SCENARIOS[spec.scenario].needs_with(spec.params))
            except Exception as exc:  # the user's factory failed: the runner would say the same
                why = f"a channel it can open: {type(exc).__name__}: {exc}"
        if why is None:
            kept.append(spec)
        else:
            skipped.append(f"skipped {spec.row} on {impl.name}: it needs {why}")
    return kept, skipped


def interleaved(specs: Sequence[RunSpec], repeat: int) -> list[tuple[int, RunSpec, int]]:
    """``(position, spec, repetition)`` in running order: the implementations of one scenario and cell
    take turns (a b c a b c), so that drift in the machine hits them all alike."""
    runs: list[tuple[int, RunSpec, int]] = []
    numbered = list(enumerate(specs, 1))
    for _, group in itertools.groupby(numbered, key=lambda n: _same_load(n[1])):
        members = list(group)
        runs += [(index, spec, rep) for rep in range(1, repeat + 1) for index, spec in members]
    return runs


def _same_load(spec: RunSpec) -> tuple[str, str]:
    params = dataclasses.asdict(spec.params)
    for key in ("impl", "loop", "yield_every"):
        params.pop(key)
    return spec.scenario, json.dumps(params, sort_keys=True)


def _check_params(p: Params) -> None:
    if p.loop not in LOOPS:
        raise ConfigError(f"--loop must be one of {', '.join(LOOPS)}, got {p.loop!r}")
    missing = available(p.loop)
    if missing is not None:
        raise ConfigError(missing)
    for name, low, high in (
        ("capacity", 0, MAX_CAPACITY),
        ("producers", 1, MAX_TASKS),
        ("consumers", 1, MAX_TASKS),
        ("warmup", 0, None),
        ("yield_every", 1, None),
        ("sample_every", 1, None),
    ):
        value = getattr(p, name)
        if not isinstance(value, int) or value < low:
            raise ConfigError(f"--{name.replace('_', '-')} must be an integer >= {low}, got {value!r}")
        if high is not None and value > high:
            raise ConfigError(f"--{name.replace('_', '-')} must be at most {high:,}, got {value:,}")
    if p.iterations is not None and (not isinstance(p.iterations, int) or p.iterations < 1):
        raise ConfigError(f"--iterations must be an integer >= 1, got {p.iterations!r}")
    if p.rate is not None and (not isinstance(p.rate, int | float) or not 0 < p.rate < float("inf")):
        raise ConfigError(f"--rate must be a positive number of operations per second, got {p.rate!r}")
    if p.rate is not None and not MIN_RATE <= p.rate <= MAX_RATE:
        raise ConfigError(f"--rate must be between {MIN_RATE:g} and {MAX_RATE:g} operations per second, got {p.rate:g}")
    if p.workers is not None and (not isinstance(p.workers, int) or p.workers < 1):
        raise ConfigError(f"--workers must be an integer >= 1, got {p.workers!r}")
    if p.workers is not None and p.workers > MAX_TASKS:
        raise ConfigError(f"--workers must be at most {MAX_TASKS:,}, got {p.workers:,}")
    if not isinstance(p.leak_per_round, int) or p.leak_per_round < 0:
        raise ConfigError(f"leak_per_round must be an integer >= 0, got {p.leak_per_round!r}")
