"""The web server behind ``--serve``: textual-serve, with the doors it leaves open shut.

textual-serve alone has no authentication and no Origin check, so any web page
the user visits could open a websocket to it, start an app process and drive
it. Here every page and websocket needs the server's random token, a websocket's
Origin must be the server's own, sessions are capped, nothing is fetched from
outside the server (a Content-Security-Policy makes the browser hold to it), no
directory is ever listed, and each app gets only the environment it needs.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import resource
import secrets
import signal
import socket
import sys
import time
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import TextIO

from aiohttp import WSMsgType, web, web_response
from aiohttp.typedefs import Handler
from textual_serve.server import Server

from ..errors import ConfigError, ExitStatus
from .options import ServeOptions
from .session import Session

log = logging.getLogger(__name__)

_PAGE = Path(str(files(__package__) / "page"))
_INDEX = Template((_PAGE / "index.html").read_text(encoding="utf-8"))
_NOTICE = Template((_PAGE / "notice.html").read_text(encoding="utf-8"))
_STOPPING_SIGNALS = {
    signal.SIGINT: ExitStatus.SIGINT,
    signal.SIGTERM: ExitStatus.SIGTERM,
    signal.SIGHUP: ExitStatus.SIGHUP,  # the terminal it was started from closed
}
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
IDLE_TIMEOUT_S = 10.0
"""A connection that sends no request (or stops inside its headers) for this long is closed."""
MAX_CONNECTIONS = 256
"""Open connections at once (fewer if the server has fewer descriptors); past it a new one takes the place of the
oldest idle one, or is closed as it comes when every one is busy."""
_BACKLOG = 32
"""Connections the kernel queues for the server, and the most asyncio accepts in one go: a burst's connections
(and those it pushes out, closed a moment later) hold their descriptors together."""
_FILES_KEPT = 16 + 3 * _BACKLOG
"""Descriptors the server keeps beside its connections: Python, its listening sockets, a download's file, and a
burst of accepts on top of the connections it pushed out or refused whose descriptors are still being closed."""
_FILES_PER_SESSION = 8
"""Descriptors each session's app costs the server: its three pipes and its process's handle, with room."""
MAX_MESSAGE_BYTES = 64 << 10
"""The longest websocket message a tab sends: keys, a resize, a ping."""
MAX_COLUMNS, MAX_ROWS = 500, 200
"""The largest terminal a tab may ask for (a bigger one costs the app gigabytes to draw)."""
EXPORT_FOLDER = "nimsync-exports"
"""Made in the server's working directory: the only folder a tab's export and baseline keys write to."""
_LOG_EVERY_S = 10.0
"""The same warning is logged at most once in this many seconds."""
_SECURITY_HEADERS = {
    "Server": "nimsync-tui",  # not aiohttp's name and version
    # The browser itself refuses anything not from this server: the page
    # template's web font, textual.js's ?ping= fetch, framing by another site.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class BrowserServer(Server):
    """Serves one command, one process per websocket, to the holders of its token."""

    def __init__(self, command: Sequence[str], options: ServeOptions) -> None:
        super().__init__(" ".join(command), host=options.host, port=options.port, title="nimsync-tui")
        self._command = list(command)
        self._options = options
        self.token = secrets.token_urlsafe(24)
        """The secret in the printed URL; nothing is served without it."""
        self.sessions: set[Session] = set()
        """The sessions whose app may still be running (each holds a slot until it is closed)."""
        self.export_dir = Path.cwd() / EXPORT_FOLDER
        """Where every tab's exports and baselines go, fixed when the server starts."""
        self._stopping = False

    # -- the web application ------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._check_host])
        app.add_routes(
            [
                web.get("/", self.handle_index),
                web.get("/ws", self.handle_websocket),  # no token: refused like a wrong one
                web.get("/ws/{token:[^/]*}", self.handle_websocket),
                # Download keys are random and only ever sent down an authenticated websocket.
                web.get("/download/{key}", self.handle_download),
                web.static("/static", self.statics_path, show_index=False),  # textual-serve's client
                web.static("/page", _PAGE, show_index=False),
            ]
        )
        app.on_response_prepare.append(_add_security_headers)
        return app

    @web.middleware
    async def _check_host(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # A DNS-rebinding page reaches us under its own host name; refuse it
        # before the token is even looked at.
        if len(request.headers.getall("Host", ())) > 1:
            return _notice(web.HTTPBadRequest, "Bad request", "The request names more than one host.")
        if not host_allowed(request.host, self._options, self.port):
            return _notice(web.HTTPForbidden, "Unknown host", f"This server does not answer to {request.host!r}.")
        return await handler(request)

    def _token_ok(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.token.encode())

    def _full(self) -> bool:
        return len(self.sessions) >= self._options.max_sessions

    async def handle_index(self, request: web.Request) -> web.Response:
        """The page that runs textual-serve's terminal client, or why it cannot."""
        if not self._token_ok(request.query.get("token", "")):
            return _refused_token()
        if self._full():
            return _sessions_full(self._options.max_sessions)
        font_size = min(max(_to_int(request.query.get("fontsize"), 16), 6), 64)
        page = _INDEX.substitute(
            title="nimsync-tui",
            font_size=font_size,
            websocket_url=html.escape(f"ws://{request.host}/ws/{self.token}"),
        )
        return web.Response(text=page, content_type="text/html")

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse | web.Response:  # type: ignore[override]
        """One tab's app: checked, started, fed the tab's keys and closed with it."""
        if not self._token_ok(request.match_info.get("token", "")):
            return _refused_token()
        if not origin_allowed(request.headers.get("Origin"), request.host):
            return _notice(web.HTTPForbidden, "Foreign origin", "Only this server's own page may open a session.")
        if self._stopping:
            return _notice(web.HTTPServiceUnavailable, "Stopping", "The server is shutting down.")
        if self._full():
            return _sessions_full(self._options.max_sessions)
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE_BYTES)
        session = Session(
            self._command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            export_dir=self.export_dir,
        )
        # Taken before the first await: two tabs racing for the last slot cannot both get it.
        self.sessions.add(session)
        try:
            await websocket.prepare(request)
            width = _clamp(_to_int(request.query.get("width"), 80), MAX_COLUMNS)
            height = _clamp(_to_int(request.query.get("height"), 24), MAX_ROWS)
            if await session.start(width, height):
                await self._process_messages(websocket, session)
        finally:
            await asyncio.shield(self._end(session))
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: Session) -> None:  # type: ignore[override]
        """Relay the tab's keys, resizes and pings to its app; a malformed message is logged in one line and ignored."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                await self._handle_message(websocket, app_service, _envelope(message.data))
            except _Malformed as exc:
                log.warning("nimsync-tui: ignored a malformed message from a tab: %s", exc)

    async def _handle_message(self, websocket: web.WebSocketResponse, session: Session, envelope: list[object]) -> None:
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin":
            if not isinstance(data, str):
                raise _Malformed("stdin data is not text")
            await session.send_bytes(data.encode("utf-8", errors="replace"))
        elif kind == "resize":
            if not isinstance(data, dict) or not all(_is_int(data.get(k)) for k in ("width", "height")):
                raise _Malformed("resize needs whole-number width and height")
            await session.set_terminal_size(_clamp(data["width"], MAX_COLUMNS), _clamp(data["height"], MAX_ROWS))
        elif kind == "ping":
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await session.blur()
        elif kind == "focus":
            await session.focus()

    async def _end(self, session: Session) -> None:
        try:
            await session.close()
        finally:
            self.sessions.discard(session)

    # -- running ------------------------------------------------------------

    async def run(self, out: TextIO, err: TextIO) -> ExitStatus:
        """Serve until SIGINT, SIGTERM or SIGHUP, then end every session; returns the exit status the signal means."""
        _raise_descriptor_limit()
        _quiet_repeated_warnings()
        # The responses aiohttp makes itself (a request it cannot parse) skip on_response_prepare.
        setattr(web_response, "SERVER_SOFTWARE", _SECURITY_HEADERS["Server"])  # noqa: B010 (not exported)
        self.export_dir.mkdir(exist_ok=True)
        runner = web.AppRunner(
            await self._make_app(), access_log=None, handle_signals=False, keepalive_timeout=IDLE_TIMEOUT_S
        )
        await runner.setup()
        open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        cap = connection_cap(open_files, self._options.max_sessions)
        site = _CappedSite(runner, self._options.host or None, self._options.port, cap=cap)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(
                f"cannot listen on {self._options.host}:{self._options.port}: {exc.strerror} "
                "(choose another --port, or --port 0 for any free one)"
            ) from None
        self.port = _bound_port(runner)
        loop = asyncio.get_running_loop()
        stopped: asyncio.Future[signal.Signals] = loop.create_future()

        def stop(sig: signal.Signals) -> None:
            if not stopped.done():
                stopped.set_result(sig)

        for sig in _STOPPING_SIGNALS:
            loop.add_signal_handler(sig, stop, sig)
        # Only now the URL: a signal from whoever read it ends the server in order.
        if not self._options.loopback_only:
            print(
                f"nimsync-tui: warning: --host {self._options.host or '(all)'} serves beyond this machine: whoever "
                "can reach it and has the link drives the monitor, over unencrypted http",
                file=err,
                flush=True,
            )
        print(f"nimsync-tui: open {self.url} (Ctrl+C stops the server and every session)", file=out, flush=True)
        print(f"nimsync-tui: exports and baselines from the browser go to {self.export_dir}", file=out, flush=True)
        # The handlers stay: a second Ctrl+C must not cut the ending of the sessions short.
        received = await stopped
        self._stopping = True
        await site.stop()
        await self._end_all()
        await runner.cleanup()
        await self._end_all()  # any session that raced the first sweep
        return _STOPPING_SIGNALS[received]

    async def _end_all(self) -> None:
        await asyncio.gather(*(self._end(session) for session in list(self.sessions)))

    @property
    def url(self) -> str:
        """The URL to open, token included."""
        host = socket.gethostname() if self._options.host in _WILDCARD_HOSTS else _url_host(self._options.host)
        return f"http://{host}:{self.port}/?token={self.token}"


def host_allowed(host: str, options: ServeOptions, port: int) -> bool:
    """Whether a request's Host header names this server, all of it: a rebinding page's own name is refused."""
    if options.host in _WILDCARD_HOSTS:
        return True  # reachable under any of the machine's names; the token and Origin still hold
    names = {_url_host(options.host)}
    if options.loopback_only:
        names.update(_LOOPBACK_NAMES)
    return host in {f"{name}:{port}" for name in names} or (port == 80 and host in names)


def origin_allowed(origin: str | None, host: str) -> bool:
    """Whether a websocket's Origin is this server's own page: the whole origin, never one it begins with."""
    return origin == f"http://{host}"


def serve(command: Sequence[str], options: ServeOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Serve ``command`` (one process per browser tab) until stopped; returns the exit status."""
    return asyncio.run(BrowserServer(command, options).run(out, err))


async def _add_security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    # The websocket handshake (101) and every page, file and refusal alike.
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def _notice(status: type[web.HTTPException], title: str, message: str) -> web.Response:
    page = _NOTICE.substitute(title=html.escape(title), message=html.escape(message))
    return web.Response(status=status.status_code, text=page, content_type="text/html")


def _refused_token() -> web.Response:
    return _notice(
        web.HTTPForbidden, "Link needed", "Open the full link that nimsync-tui --serve printed (it holds a token)."
    )


def _sessions_full(limit: int) -> web.Response:
    return _notice(
        web.HTTPServiceUnavailable,
        "All sessions in use",
        f"This server runs at most {limit} session{'s' if limit != 1 else ''} at once (--max-sessions {limit}). "
        "Close another tab of it, then reload this page.",
    )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _bound_port(runner: web.AppRunner) -> int:
    address = runner.addresses[0]
    return int(address[1])


class _CappedSite(web.TCPSite):
    """A TCP site that holds at most :func:`connection_cap` connections.

    Past it, a new connection takes the place of the oldest one that is only
    waiting (for its first request, the rest of its headers, or its next one):
    a stranger holding idle connections cannot lock a user out, and the
    descriptors never run out before the cap. Only when every connection is
    busy (a tab's websocket, a download) is the new one closed as it comes.
    """

    def __init__(self, runner: web.AppRunner, host: str | None, port: int, *, cap: int) -> None:
        super().__init__(runner, host, port)
        self._cap = cap
        self._most = cap + _BACKLOG
        """Connections held at once, those being closed included (a burst of accepts pushes out a backlog)."""

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None

        def protocol() -> asyncio.BaseProtocol:
            held = len(server.connections)  # those pushed out count until their descriptors are closed
            if held >= self._cap:
                idle = next((h for h in server.connections if _waiting(h)), None) if held < self._most else None
                if idle is None:
                    log.warning("nimsync-tui: refused a connection: %d are open and busy", self._cap)
                    return _Refused()
                idle.force_close()
                if idle.transport is not None:  # its descriptor is closed now, not once its task next runs
                    idle.transport.close()
                log.warning("nimsync-tui: closed the oldest idle connection for a new one (%d are open)", self._cap)
            return server()

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(protocol, self._host, self._port, backlog=_BACKLOG)


def _waiting(handler: web.RequestHandler) -> bool:
    """Whether a connection is only waiting for a request (and not already being closed)."""
    return not getattr(handler, "_request_in_progress", True) and not getattr(handler, "_force_close", True)


def connection_cap(open_files: int, max_sessions: int) -> int:
    """The connections a server may hold with ``open_files`` descriptors: :data:`MAX_CONNECTIONS` at most, and
    always leaving some for the server itself and each session's app (its pipes)."""
    spare = open_files - _FILES_KEPT - _FILES_PER_SESSION * max_sessions
    return max(1, min(MAX_CONNECTIONS, spare))


class _Refused(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class _Malformed(ValueError):
    """A websocket message that is not one of the client's."""


def _envelope(text: str) -> list[object]:
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Malformed(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        raise _Malformed("not a [type, data] list")
    return envelope


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clamp(value: int, most: int) -> int:
    return min(max(value, 1), most)


class _OncePerInterval(logging.Filter):
    """Lets the same message through once per :data:`_LOG_EVERY_S`, without its traceback."""

    def __init__(self) -> None:
        super().__init__()
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        key = str(record.msg)
        if now - self._last.get(key, -_LOG_EVERY_S) < _LOG_EVERY_S:
            return False
        self._last[key] = now
        record.exc_info = None  # one line: "socket.accept() out of system resource" would print its traceback
        record.exc_text = None
        return True


def _quiet_repeated_warnings() -> None:
    # asyncio logs each failed accept() with a traceback: at 1 MB/s when descriptors run out.
    for name in (__name__, "asyncio", "aiohttp.server", "aiohttp.web", "aiohttp.websocket"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _OncePerInterval) for f in logger.filters):
            logger.addFilter(_OncePerInterval())


def _raise_descriptor_limit() -> None:
    """Raise the soft limit of open files to the hard one: each connection and app holds a few."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _to_int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
