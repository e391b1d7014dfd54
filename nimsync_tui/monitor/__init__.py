"""The live monitor's state, without any UI toolkit.

Runner events (or a replayed log) go into a :class:`RunState`; the UI asks for
a frozen :class:`Snapshot` at most ten times a second and only draws it.
:class:`RunnerSource` starts and stops the load process on an asyncio loop,
:class:`ReplaySource` turns an interval log into the same state, and
:class:`Turns` alternates two implementations for a live comparison.
"""

from .replay import ReplaySource
from .session import LiveSession, Variant
from .snapshot import EMPTY_SNAPSHOT, Curve, LatencyTable, RunView, ScenarioRow, Series, Snapshot
from .source import RunnerSource
from .state import RunState
from .turns import Turns

__all__ = [
    "EMPTY_SNAPSHOT",
    "Curve",
    "LatencyTable",
    "LiveSession",
    "ReplaySource",
    "RunState",
    "RunView",
    "RunnerSource",
    "ScenarioRow",
    "Series",
    "Snapshot",
    "Turns",
    "Variant",
]
