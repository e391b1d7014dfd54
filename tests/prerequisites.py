"""What some tests need from the machine: skipped locally without it, failed on CI.

On CI (``CI=true``) a missing tool must not let its tests pass silently, so
there they fail with the same message.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    """Skip the test with ``message``, or fail it with ``message`` when ``CI=true``."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_tmux() -> str:
    """The ``tmux`` executable (the end-to-end tests drive the app in it)."""
    if (tmux := shutil.which("tmux")) is None:
        unavailable("tmux not available (apt-get install tmux)")
    return tmux
