"""The suite's ``BenchmarkConfig``: defaults, a TOML file, and the command line over both.

A config is read from ``--config FILE`` (its top level, or its ``[tool.nimsync-tui]``
table when the file is a ``pyproject.toml``), else from ``[tool.nimsync-tui]`` in
the ``pyproject.toml`` of the working directory, if there is one. Options on the
command line win over the file. Any key or type the file should not have is a
one-line :class:`ConfigError`: a misspelt target must never pass silently.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.files import read_small_text
from ..errors import ConfigError
from .targets import DEFAULT_TARGETS, Target, with_overrides

TOOL_TABLE = "nimsync-tui"
"""The ``[tool.*]`` table of a ``pyproject.toml`` that holds the config."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How far a metric may move the wrong way before a change can be a regression (fractions)."""

    throughput: float = 0.05
    """A throughput this much lower."""
    latency: float = 0.10
    """A latency this much higher."""
    memory: float = 0.15
    """A memory figure this much higher."""


@dataclass(frozen=True, slots=True)
class BenchmarkConfig:
    """The suite's ``BenchmarkConfig`` and its judgement settings, in one place."""

    iterations: int | None = None
    """Measured operations per scenario; ``None``: each scenario's own (the suite's)."""
    warmup_iterations: int | None = None
    """Warm-up operations per scenario; ``None``: each scenario's own."""
    measurement_iterations: int = 3
    """Repetitions of each scenario, each in a fresh load process (``--repeat``)."""
    timeout_s: float | None = None
    """A scenario repetition running longer is stopped and reported as timed out (``--timeout``);
    ``None``: no time limit; a load that completes no operation for 30 s is stopped instead."""
    parallel: bool = False
    """Scaling scenarios run one load process per worker (``--parallel``)."""
    workers: int | None = None
    """Load processes with ``parallel``; ``None``: the scenario's own steps."""
    targets: tuple[Target, ...] = DEFAULT_TARGETS
    thresholds: Thresholds = field(default_factory=Thresholds)


_NUMBER = (int, float)


def _integer(key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _TypeError(f"{key} must be an integer >= {low}, got {value!r}")
    return value


def _number(key: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, _NUMBER) or not math.isfinite(value):
        raise _TypeError(f"{key} must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise _TypeError(f"{key} must be a {'positive' if positive else 'non-negative'} number, got {value!r}")
    return float(value)


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _TypeError(f"{key} must be true or false, got {value!r}")
    return value


def _table(key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _TypeError(f"{key} must be a table, got {value!r}")
    return value


class _TypeError(Exception):
    """A key with a value of the wrong kind; becomes a ConfigError naming the file."""


def config_from_table(table: Mapping[str, Any]) -> BenchmarkConfig:
    """A :class:`BenchmarkConfig` from a parsed TOML table; raises ``ValueError`` with the reason."""
    try:
        return _config(table)
    except _TypeError as exc:
        raise ValueError(str(exc)) from None


_KEYS = (
    "iterations",
    "warmup_iterations",
    "measurement_iterations",
    "timeout",
    "parallel",
    "workers",
    "targets",
    "thresholds",
)


def _config(table: Mapping[str, Any]) -> BenchmarkConfig:
    for key in table:
        if key not in _KEYS:
            raise _TypeError(f"unknown key {key!r}; keys are: {', '.join(_KEYS)}")
    default = BenchmarkConfig()

    def given(key: str) -> bool:
        return key in table

    return BenchmarkConfig(
        iterations=_integer("iterations", table["iterations"], 1) if given("iterations") else default.iterations,
        warmup_iterations=_integer("warmup_iterations", table["warmup_iterations"], 0)
        if given("warmup_iterations")
        else default.warmup_iterations,
        measurement_iterations=_integer("measurement_iterations", table["measurement_iterations"], 1)
        if given("measurement_iterations")
        else default.measurement_iterations,
        timeout_s=_number("timeout", table["timeout"], positive=True) if given("timeout") else default.timeout_s,
        parallel=_boolean("parallel", table["parallel"]) if given("parallel") else default.parallel,
        workers=_integer("workers", table["workers"], 1) if given("workers") else default.workers,
        targets=_targets(default.targets, _table("targets", table["targets"])) if given("targets") else default.targets,
        thresholds=_thresholds(_table("thresholds", table["thresholds"]))
        if given("thresholds")
        else default.thresholds,
    )


def _targets(defaults: tuple[Target, ...], table: Mapping[str, Any]) -> tuple[Target, ...]:
    values: dict[str, float] = {}
    for rows, metrics in table.items():
        for metric, value in _table(f"targets.{rows}", metrics).items():
            key = f"{rows}.{metric}"
            if isinstance(value, bool) or not isinstance(value, _NUMBER) or not math.isfinite(value):
                raise _TypeError(f"targets.{key} must be a number, got {value!r}")
            values[key] = float(value)
    try:
        return with_overrides(defaults, values)
    except KeyError as exc:
        known = ", ".join(t.key for t in defaults)
        raise _TypeError(f"unknown target {exc.args[0]!r}; targets are: {known}") from None


def _thresholds(table: Mapping[str, Any]) -> Thresholds:
    known = Thresholds.__dataclass_fields__
    for key in table:
        if key not in known:
            raise _TypeError(f"unknown key 'thresholds.{key}'; keys are: {', '.join(known)}")
    return Thresholds(**{k: _number(f"thresholds.{k}", v) for k, v in table.items()})


_MAX_CONFIG_BYTES = 1 << 20
"""A config is a few hundred bytes; a file past a megabyte is not one."""


def load_config(path: Path | None, working_dir: Path) -> BenchmarkConfig:
    """The config of ``--config path``, else of ``working_dir``'s ``pyproject.toml``, else the defaults.

    Raises :class:`ConfigError` (one line, naming the file) on a missing or
    unreadable file, bad TOML, an unknown key or a value of the wrong type.
    """
    if path is None:
        candidate = working_dir / "pyproject.toml"
        if not candidate.is_file():
            return BenchmarkConfig()
        path = candidate
    try:
        document = tomllib.loads(read_small_text(path, _MAX_CONFIG_BYTES, "--config"))
    except FileNotFoundError:
        raise ConfigError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path} nests its tables or arrays too deeply to be a config") from None
    where = str(path)
    if path.name == "pyproject.toml":
        where = f"{path} [tool.{TOOL_TABLE}]"
        tool = document.get("tool", {})
        document = tool.get(TOOL_TABLE, {}) if isinstance(tool, dict) else {}
        if not isinstance(document, dict):
            raise ConfigError(f"{where} must be a table")
    try:
        return config_from_table(document)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
