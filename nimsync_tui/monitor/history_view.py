"""What the app's history key shows: one scenario's stored figures on this machine, as lines of a table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import NimsyncError
from ..suite.benchmark_config import Thresholds
from ..suite.history import HistoryStore, default_machine, default_path
from ..suite.trends import series_of, series_table


@dataclass(frozen=True, slots=True)
class HistoryView:
    """A scenario's history, ready to draw."""

    scenario: str
    machine: str
    commits: tuple[str, ...]
    lines: tuple[str, ...]
    """The table (trend sparklines and change points), or one line saying why there is none."""


def history_view(
    scenario: str, *, path: Path | None = None, machine: str | None = None, thresholds: Thresholds | None = None
) -> HistoryView:
    """``scenario``'s figures by commit on ``machine`` (this one by default) from the store at ``path``."""
    machine = machine or default_machine()
    store_path = path or default_path()
    limits = thresholds or Thresholds()
    if not store_path.exists():
        return HistoryView(
            scenario, machine, (), (f"no history yet: {store_path} is made by --record or --performance",)
        )
    try:
        with HistoryStore(store_path, create=False) as store:
            points = [p for p in store.points(machine=machine) if p.scenario == scenario]
    except NimsyncError as exc:
        return HistoryView(scenario, machine, (), (str(exc),))
    if not points:
        return HistoryView(scenario, machine, (), (f"no runs of {scenario} on {machine} in {store_path}",))
    series = series_of(points, {"throughput": limits.throughput, "latency": limits.latency, "memory": limits.memory})
    commits = tuple(dict.fromkeys(p.commit for p in points))
    return HistoryView(scenario, machine, commits, tuple(series_table(series)))
