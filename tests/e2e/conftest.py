"""What every end-to-end test gets: no command it started outlives it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fault_helpers import end_every_command


@pytest.fixture(autouse=True)
def no_command_outlives_its_test() -> Iterator[None]:
    """A failed or timed-out test would otherwise leave a recorder and its load running for minutes."""
    yield
    end_every_command()
