"""The history store: every judged run's figures, kept across commits and machines (SQLite).

One row per figure, keyed by run (commit, machine, when), implementation,
loop, scenario, step and metric. ``PRAGMA user_version`` holds the schema
version: a store of a newer version, or a file that is not a store, is refused
in one line and never written to. Writers take the database's write lock
(``BEGIN IMMEDIATE`` in WAL mode, with a busy timeout), so two recorders
finishing at once both land. A run is identified by a digest of its
environment and figures, so importing a recording twice adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, NimsyncError

SCHEMA_VERSION = 1
"""Bump when a table's meaning or layout changes; a store of a later version is refused."""

DEFAULT_LOOP = "trio"
"""The event loop a figure was measured on, for stores written before loops were told apart."""

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another's transaction to end."""

_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    run_key TEXT NOT NULL UNIQUE,
    recorded_at TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    machine TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    environment TEXT NOT NULL
);
CREATE TABLE figures (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    implementation TEXT NOT NULL,
    loop TEXT NOT NULL DEFAULT 'trio',
    scenario TEXT NOT NULL,
    step TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, implementation, loop, scenario, step, metric)
);
CREATE INDEX figures_by_series ON figures (scenario, step, metric, implementation, loop);
"""


class HistoryError(ConfigError):
    """A history store that is not one, is of a newer schema, or cannot be opened."""


class HistoryWriteError(NimsyncError):
    """The store could not be written (a full disk, a file size limit): the run goes on, unkept."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot write the history store {path}: {reason}")
        self.path = path
        self.reason = reason


def default_path() -> Path:
    """``$XDG_DATA_HOME/nimsync-tui/history.sqlite`` (``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "nimsync-tui" / "history.sqlite"


def current_commit(working_dir: Path) -> str:
    """The git revision checked out in ``working_dir`` (``+dirty`` with local changes), or ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            check=False,
            cwd=working_dir,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            check=False,
            cwd=working_dir,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def default_machine() -> str:
    """The host name, as asv names a machine unless told (``--machine NAME``)."""
    return platform.node() or "unknown"


def fingerprint_digest(environment: Mapping[str, Any]) -> str:
    """A short digest of what makes figures comparable: CPU, cores, memory, Python and package versions."""
    keys = ("python", "implementation", "trio", "nimsync_tui", "cpu_model", "cores", "memory_bytes", "platform")
    text = json.dumps({k: environment.get(k) for k in keys}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class RunFigures:
    """One run as the store keeps it: who, where, when, and each row's figures."""

    recorded_at: str
    commit: str
    machine: str
    environment: Mapping[str, Any]
    rows: Sequence[tuple[str, Mapping[str, Any], Mapping[str, float | None]]]
    """(row name, parameters, metrics) per completed row."""

    @property
    def key(self) -> str:
        """The run's identity: the same recording, live or imported, is the same run."""
        text = json.dumps(
            {
                "environment": self.environment,
                "commit": self.commit,
                "machine": self.machine,
                "rows": [[name, dict(metrics)] for name, _, metrics in self.rows],
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Point:
    """One figure of one run."""

    run: int
    """The run's id in the store."""
    commit: str
    recorded_at: str
    machine: str
    implementation: str
    loop: str
    scenario: str
    step: str
    metric: str
    value: float


def split_row(name: str) -> tuple[str, str]:
    """``worker-scaling.producers-4`` -> (``worker-scaling``, ``producers-4``); a plain row has step ``""``."""
    scenario, _, step = name.partition(".")
    return scenario, step


class HistoryStore:
    """An open store; use as a context manager, or :meth:`close`."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        """Open (or, with ``create``, make) the store at ``path``; :class:`HistoryError` in one line if unusable."""
        self.path = path
        if not path.exists() and not create:
            raise HistoryError(f"no history store at {path}; a --record or --performance run makes one")
        if path.is_dir():
            raise HistoryError(f"--history {path} is a directory; give the store's file name")
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot open the history store {path}: {exc}") from None
        try:
            self._prepare()
        except sqlite3.OperationalError as exc:  # the file may be fine: the disk or a limit is not
            self._db.close()
            raise HistoryWriteError(path, str(exc)) from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise HistoryError(
                f"{path} is not a nimsync-tui history store ({exc}); it was left as it is: "
                "move it away or choose another with --history"
            ) from None

    def _prepare(self) -> None:
        # One statement, so one snapshot: read apart, another process creating the store could commit
        # between the two reads, and its tables would look like someone else's database with no version.
        version, tables = self._db.execute(
            "SELECT (SELECT user_version FROM pragma_user_version), "
            "(SELECT COUNT(*) FROM sqlite_master WHERE type = 'table')"
        ).fetchone()
        if version > SCHEMA_VERSION:
            self._db.close()
            raise HistoryError(
                f"the history store {self.path} has schema version {version}, written by a newer nimsync-tui; "
                f"this one reads version {SCHEMA_VERSION}: upgrade, or choose another with --history"
            )
        if version == 0 and tables:
            self._db.close()
            raise HistoryError(
                f"{self.path} is an SQLite database but not a nimsync-tui history store; it was left as it is: "
                "choose another with --history"
            )
        # WAL: readers never block the writer; a second writer waits (busy timeout) for the lock.
        self._use_wal()
        if version == 0:
            with self._transaction():
                # Another process may have created it between our look and our lock.
                if self._db.execute("PRAGMA user_version").fetchone()[0] == 0:
                    # One statement at a time: executescript would commit, and so drop our lock, first.
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _use_wal(self) -> None:
        # Switching a new store to WAL takes an exclusive lock and SQLite does not wait for it (no
        # busy handler), so two recorders making the store at once retry here, as long as they would wait.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, run: RunFigures) -> bool:
        """Append ``run``'s figures in one transaction; ``False`` when the store already holds that run.

        A run with no completed row has no figures to keep, and is not added.
        """
        if not run.rows:
            return False
        try:
            with self._transaction():
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO runs (run_key, recorded_at, commit_id, machine, fingerprint, environment) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        run.key,
                        run.recorded_at,
                        run.commit,
                        run.machine,
                        fingerprint_digest(run.environment),
                        json.dumps(run.environment, sort_keys=True),
                    ),
                )
                if cursor.rowcount == 0:
                    return False
                run_id = cursor.lastrowid
                self._db.executemany(
                    "INSERT OR REPLACE INTO figures (run_id, implementation, loop, scenario, step, metric, value) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    list(_figures(run_id, run.rows)),
                )
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot write to the history store {self.path}: {exc}") from None
        return True

    def points(self, *, machine: str | None = None, since: str | None = None) -> list[Point]:
        """Every figure (of ``machine``, recorded at or after ``since``), oldest run first."""
        query = (
            "SELECT r.id, r.commit_id, r.recorded_at, r.machine, f.implementation, f.loop, f.scenario, f.step, "
            "f.metric, f.value FROM figures f JOIN runs r ON r.id = f.run_id WHERE 1 = 1"
        )
        args: list[str] = []
        if machine is not None:
            query += " AND r.machine = ?"
            args.append(machine)
        if since is not None:
            query += " AND r.recorded_at >= ?"
            args.append(since)
        query += " ORDER BY r.recorded_at, r.id"
        try:
            return [Point(*row) for row in self._db.execute(query, args)]
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot read the history store {self.path}: {exc}") from None

    def machines(self) -> list[str]:
        """The machines the store has figures of, the most recently recorded last."""
        rows = self._db.execute("SELECT machine, MAX(recorded_at) AS last FROM runs GROUP BY machine ORDER BY last")
        return [r[0] for r in rows]


def _figures(
    run_id: int | None, rows: Iterable[tuple[str, Mapping[str, Any], Mapping[str, float | None]]]
) -> Iterator[tuple[Any, ...]]:
    for name, parameters, metrics in rows:
        scenario, step = split_row(name)
        implementation = str(parameters.get("impl") or "")
        loop = str(parameters.get("loop") or DEFAULT_LOOP)
        for metric, value in metrics.items():
            if value is not None:
                yield (run_id, implementation, loop, scenario, step, metric, float(value))


def run_of_results(document: Any, source: str, *, commit: str | None, machine: str | None) -> RunFigures:
    """The run a ``results.json`` holds; ``commit``/``machine`` where the file names none (older recordings).

    Raises :class:`HistoryError` for a file that is not a results document.
    """
    if not isinstance(document, dict) or document.get("tool") != "nimsync-tui":
        raise HistoryError(f"{source} is not a nimsync-tui results.json")
    environment = document.get("environment")
    scenarios = document.get("scenarios")
    recorded_at = document.get("recorded_at")
    if not isinstance(environment, dict) or not isinstance(scenarios, list) or not isinstance(recorded_at, str):
        raise HistoryError(f"{source}: environment, scenarios or recorded_at missing or of the wrong type")
    rows = []
    for row in scenarios:
        if not isinstance(row, dict) or row.get("status") != "completed":
            continue  # a failed or timed-out row's figures cover part of a run: not history
        name, parameters, metrics = row.get("name"), row.get("parameters"), row.get("metrics")
        if not isinstance(name, str) or not isinstance(parameters, dict) or not isinstance(metrics, dict):
            raise HistoryError(f"{source}: a scenario lacks its name, parameters or metrics")
        numbers = {k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        rows.append((name, parameters, numbers))
    return RunFigures(
        recorded_at=recorded_at,
        commit=str(environment.get("commit") or commit or "unknown"),
        machine=str(environment.get("machine") or machine or "unknown"),
        environment=environment,
        rows=rows,
    )
