"""The ``--serve`` options: how they parse, and the app's own options they leave for each tab."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from dataclasses import dataclass

from ..errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 4
_SERVE_ONLY = ("host", "port", "max_sessions")
_TAB_MODULE = "nimsync_tui.serve.tab"


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """Where the server listens and how many tabs may run an app at once."""

    host: str = DEFAULT_HOST
    """Address to bind; loopback unless the user says otherwise."""
    port: int = DEFAULT_PORT
    """TCP port; 0 picks a free one (the printed URL says which)."""
    max_sessions: int = DEFAULT_MAX_SESSIONS
    """Concurrent browser sessions, each an app process with its runners."""

    @property
    def loopback_only(self) -> bool:
        """Whether only this machine can connect."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name: it may resolve to anything
            return False


def _port(text: str) -> int:
    value = int(text) if text.isascii() and text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r} (0-65535; 0 picks a free one)")
    return value


def _session_count(text: str) -> int:
    value = int(text) if text.isascii() and text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid session count {text!r} (a whole number of at least 1)")
    return value


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--serve``, ``--host``, ``--port`` and ``--max-sessions`` to ``parser``."""
    group = parser.add_argument_group("browser (--serve)")
    group.add_argument(
        "--serve",
        action="store_true",
        help="serve the live app to web browsers: prints the URL to open, one app per tab (see README: safety)",
    )
    group.add_argument(
        "--host", metavar="H", help=f"with --serve: address to listen on (default {DEFAULT_HOST}, this machine only)"
    )
    group.add_argument(
        "--port", metavar="P", type=_port, help=f"with --serve: port (default {DEFAULT_PORT}; 0: any free one)"
    )
    group.add_argument(
        "--max-sessions",
        metavar="N",
        type=_session_count,
        help=f"with --serve: browser tabs running at once (default {DEFAULT_MAX_SESSIONS})",
    )


def serve_options(args: argparse.Namespace) -> ServeOptions | None:
    """The server's options, or None without ``--serve``; :class:`ConfigError` for a combination that cannot be."""
    if not args.serve:
        misplaced = [name for name in _SERVE_ONLY if getattr(args, name) is not None]
        if misplaced:
            raise ConfigError(f"--{misplaced[0].replace('_', '-')} needs --serve")
        return None
    for option, given in (("--record", args.record is not None), ("--performance", bool(args.performance))):
        if given:
            raise ConfigError(f"--serve shows the app in browsers and {option} runs headless: choose one")
    return ServeOptions(
        host=DEFAULT_HOST if args.host is None else args.host,
        port=DEFAULT_PORT if args.port is None else args.port,
        max_sessions=DEFAULT_MAX_SESSIONS if args.max_sessions is None else args.max_sessions,
    )


def app_arguments(argv: list[str]) -> list[str]:
    """``argv`` (already accepted by the full parser) without the serve options: what each tab's app is given."""
    only_serve = argparse.ArgumentParser(add_help=False)
    add_serve_options(only_serve)
    # Every abbreviation the full parser accepted for a serve option is
    # unambiguous here too, and none of its other options is a serve option's
    # prefix (the full parser would have called it ambiguous), so the rest is
    # exactly the app's options, in their order.
    _, rest = only_serve.parse_known_args(argv)
    return rest


def tab_command(app_argv: list[str]) -> list[str]:
    """The command the server runs for each tab: the app, given ``app_argv``."""
    # -P: the installed nimsync_tui, never a same-named folder in the server's directory.
    return [sys.executable, "-P", "-m", _TAB_MODULE, *app_argv]
