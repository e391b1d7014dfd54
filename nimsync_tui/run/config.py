"""What one run is asked to do, checked before any process starts.

The CLI turns its options into a :class:`RunPlan`; each scenario becomes a
:class:`RunSpec`, which crosses to the runner process as JSON.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
from dataclasses import dataclass

from nimsync_tui.scenarios import IMPLEMENTATIONS, SCENARIOS, Params, Scenario

from ..errors import ConfigError

DEFAULT_INTERVAL_S = 1.0
"""Interval between histogram records in ``--record`` mode."""
MIN_INTERVAL_S = 0.05
"""Shorter intervals would spend more time encoding histograms than loading."""


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
    timeout_s: float | None = None
    """Stop a run still going after this long and report it as timed out; ``None``: never."""

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
                timeout_s=None if raw.get("timeout_s") is None else float(raw["timeout_s"]),
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
    capacity: int | None = None
    producers: int | None = None
    consumers: int | None = None
    iterations: int | None = None
    warmup: int | None = None
    yield_every: int | None = None
    sample_every: int | None = None


def select_scenarios(pattern: str) -> list[Scenario]:
    """Scenarios whose name matches the glob ``pattern``, in registry order."""
    chosen = [s for name, s in SCENARIOS.items() if fnmatch.fnmatchcase(name, pattern)]
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
) -> list[RunSpec]:
    """Build the checked run specs for every scenario matching ``pattern``.

    An override applies to the scenarios that have that parameter: ``--producers``
    changes ``mpmc-throughput`` but leaves ``spsc-throughput`` at one producer.
    With ``duration_s`` the measured phase is continuous and stops on time.
    """
    if not interval_s >= MIN_INTERVAL_S:
        raise ConfigError(f"--interval must be at least {MIN_INTERVAL_S} s, got {interval_s}")
    if duration_s is not None and not duration_s > 0:
        raise ConfigError(f"--duration must be a positive number of seconds, got {duration_s}")
    if duration_s is not None and overrides.iterations is not None:
        raise ConfigError("--duration and --iterations exclude each other; give one")
    given = {k: v for k, v in dataclasses.asdict(overrides).items() if v is not None}
    specs = []
    for scenario in select_scenarios(pattern):
        changes = {k: v for k, v in given.items() if k in scenario.tunable}
        if duration_s is not None:
            changes["iterations"] = None
        params = dataclasses.replace(scenario.defaults, **changes)
        _check_params(params)
        if params.capacity < scenario.min_capacity:
            raise ConfigError(f"{scenario.name} needs --capacity >= {scenario.min_capacity}, got {params.capacity}")
        specs.append(RunSpec(scenario.name, params, interval_s, duration_s))
    return specs


def _check_params(p: Params) -> None:
    if p.impl not in IMPLEMENTATIONS:
        raise ConfigError(f"--impl must be one of {', '.join(IMPLEMENTATIONS)}, got {p.impl!r}")
    for name, low in (
        ("capacity", 0),
        ("producers", 1),
        ("consumers", 1),
        ("warmup", 0),
        ("yield_every", 1),
        ("sample_every", 1),
    ):
        value = getattr(p, name)
        if not isinstance(value, int) or value < low:
            raise ConfigError(f"--{name.replace('_', '-')} must be an integer >= {low}, got {value!r}")
    if p.iterations is not None and (not isinstance(p.iterations, int) or p.iterations < 1):
        raise ConfigError(f"--iterations must be an integer >= 1, got {p.iterations!r}")
