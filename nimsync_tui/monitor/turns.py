"""Live comparison: two loads run in turns of a few intervals, never at the same time.

Running both at once would have them take each other's CPU on a two-core
machine; alternating short turns shares the same minutes of machine noise
between both curves instead.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Sequence

from ..run.config import RunSpec

DEFAULT_INTERVALS_PER_TURN = 8
"""Measured intervals in one turn (2 s at the live 0.25 s interval)."""


class Turns:
    """The endless order of turns over ``specs``: ``(index, spec)`` with each spec bounded to one turn."""

    def __init__(self, specs: Sequence[RunSpec], intervals_per_turn: int = DEFAULT_INTERVALS_PER_TURN) -> None:
        if len(specs) < 2:
            raise ValueError("a comparison needs at least two runs")
        if intervals_per_turn < 1:
            raise ValueError(f"intervals_per_turn must be at least 1, got {intervals_per_turn}")
        self.specs = tuple(
            dataclasses.replace(
                spec,
                params=dataclasses.replace(spec.params, iterations=None),
                duration_s=intervals_per_turn * spec.interval_s,
            )
            for spec in specs
        )
        """Each run's spec as one turn runs it: a continuous load stopped after its turn's intervals."""

    def __iter__(self) -> Iterator[tuple[int, RunSpec]]:
        return itertools.cycle(enumerate(self.specs))
