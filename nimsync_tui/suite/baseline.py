"""``--baseline FILE``: a run saved for later comparison, and reading one back.

The file holds, per row, the parameters it ran with, its metrics over all
repetitions, and each repetition's metrics (what a compare tests) and
per-interval samples, with the environment fingerprint and a schema version.
A file of another version, or one that is not a whole baseline, is refused in
one line: a compare must never run on half a file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.files import write_atomically
from ..errors import ConfigError
from .report import SuiteReport

SCHEMA = "nimsync-tui/baseline"
SCHEMA_VERSION = 1
"""Bump when the meaning or layout of a field changes; older files are then refused."""


class BaselineError(ConfigError):
    """A ``--compare`` file that is missing, unreadable, corrupt, or of another schema version."""


@dataclass(frozen=True, slots=True)
class RepetitionFigures:
    """One repetition's figures."""

    metrics: dict[str, float | None]
    samples: dict[str, list[float]]
    """Per full-length interval figures by metric name."""


@dataclass(frozen=True, slots=True)
class RowFigures:
    """One row's figures as a baseline keeps them."""

    parameters: dict[str, Any]
    metrics: dict[str, float | None]
    """Over all repetitions."""
    repetitions: tuple[RepetitionFigures, ...]


@dataclass(frozen=True, slots=True)
class BaselineFigures:
    """A run's figures, from a file or from the run just made."""

    recorded_at: str
    environment: dict[str, Any]
    run: dict[str, Any]
    """How the run was asked for (repetitions, interval, duration)."""
    rows: dict[str, RowFigures]
    """By row name, in run order."""

    @classmethod
    def of(
        cls, report: SuiteReport, *, environment: dict[str, Any], run: dict[str, Any], recorded_at: datetime
    ) -> BaselineFigures:
        """The figures of ``report``."""
        return cls(
            recorded_at=recorded_at.astimezone(UTC).isoformat(timespec="seconds"),
            environment=environment,
            run=run,
            rows={
                row.result.name: RowFigures(
                    parameters=row.result.parameters,
                    metrics=row.result.metrics,
                    repetitions=tuple(RepetitionFigures(r.result.metrics, r.samples) for r in row.repetitions),
                )
                for row in report.rows
            },
        )

    def to_json(self) -> str:
        """The file's text."""
        document = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "recorded_at": self.recorded_at,
            "environment": self.environment,
            "run": self.run,
            "scenarios": {
                name: {
                    "parameters": row.parameters,
                    "metrics": row.metrics,
                    "repetitions": [{"metrics": r.metrics, "samples": r.samples} for r in row.repetitions],
                }
                for name, row in self.rows.items()
            },
        }
        return json.dumps(document, indent=1, allow_nan=False) + "\n"

    def save(self, path: Path) -> None:
        """Write the file atomically."""
        write_atomically(path, self.to_json())


def load_baseline(path: Path) -> BaselineFigures:
    """Read a baseline file; raises :class:`BaselineError` in one line for anything but a whole one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"no baseline at {path}; save one with --baseline {path}") from None
    except IsADirectoryError:
        raise BaselineError(f"{path} is a directory; --compare reads a baseline file saved with --baseline") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not text.strip():
        raise BaselineError(f"baseline {path} is empty; save it again with --baseline")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise BaselineError(f"baseline {path} is not valid JSON (truncated or corrupt?): {exc}") from None
    try:
        return _parse(document)
    except _Invalid as exc:
        raise BaselineError(f"{path} is not a usable baseline: {exc}") from None
    except _OtherVersion as exc:
        raise BaselineError(
            f"{path} is a baseline of schema version {exc.args[0]}; this nimsync-tui reads version "
            f"{SCHEMA_VERSION}: save a new one with --baseline"
        ) from None


class _Invalid(Exception):
    pass


class _OtherVersion(Exception):
    pass


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is no JSON number")


def _parse(document: Any) -> BaselineFigures:
    doc = _mapping(document, "the document")
    schema = doc.get("schema")
    if schema != SCHEMA:
        found = "it names no schema" if schema is None else f"its schema is {schema!r}"
        raise _Invalid(f"{found}; a baseline's is {SCHEMA!r} (write one with --baseline FILE)")
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise _OtherVersion(version)
    rows = {}
    for name, raw in _mapping(doc.get("scenarios"), "scenarios").items():
        row = _mapping(raw, f"scenarios.{name}")
        reps = row.get("repetitions")
        if not isinstance(reps, list) or not reps:
            raise _Invalid(f"scenarios.{name}.repetitions must be a non-empty list")
        rows[name] = RowFigures(
            parameters=dict(_mapping(row.get("parameters"), f"scenarios.{name}.parameters")),
            metrics=_metrics(row.get("metrics"), f"scenarios.{name}.metrics"),
            repetitions=tuple(_repetition(r, f"scenarios.{name}.repetitions[{i}]") for i, r in enumerate(reps)),
        )
    if not rows:
        raise _Invalid("it holds no scenarios")
    recorded_at = doc.get("recorded_at")
    if not isinstance(recorded_at, str):
        raise _Invalid("recorded_at must be a string")
    return BaselineFigures(
        recorded_at=recorded_at,
        environment=dict(_mapping(doc.get("environment"), "environment")),
        run=dict(_mapping(doc.get("run"), "run")),
        rows=rows,
    )


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"{where} must be an object")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _metrics(value: Any, where: str) -> dict[str, float | None]:
    metrics = _mapping(value, where)
    for name, figure in metrics.items():
        if figure is not None and not _is_number(figure):
            raise _Invalid(f"{where}.{name} must be a number or null")
    return {k: None if v is None else float(v) for k, v in metrics.items()}


def _repetition(value: Any, where: str) -> RepetitionFigures:
    rep = _mapping(value, where)
    samples = {}
    for name, values in _mapping(rep.get("samples"), f"{where}.samples").items():
        if not isinstance(values, list) or not all(_is_number(v) for v in values):
            raise _Invalid(f"{where}.samples.{name} must be a list of numbers")
        samples[name] = [float(v) for v in values]
    return RepetitionFigures(metrics=_metrics(rep.get("metrics"), f"{where}.metrics"), samples=samples)
