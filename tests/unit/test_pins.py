"""What ``serve/`` leans on in textual-serve, whose version pyproject.toml pins for that reason.

Moving the pin to a release that renamed one of these fails here, before any server starts.
"""

import inspect
from importlib.metadata import version

from textual_serve.app_service import AppService
from textual_serve.server import Server


def test_the_pinned_textual_serve_has_the_private_members_serve_overrides() -> None:
    assert version("textual-serve") == "1.1.3"
    for name in ("_open_app_process", "_build_environment", "run", "start", "stop"):
        assert callable(getattr(AppService, name)), name
    for name in ("_make_app", "_process_messages", "handle_download"):
        assert callable(getattr(Server, name)), name
    # The attributes the session sets in place of AppService's own process start.
    source = inspect.getsource(AppService)
    assert all(f"self.{name}" in source for name in ("_process", "_stdin", "remote_close"))
