"""A tab's websocket messages and export paths, as a stranger holding the link could send them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nimsync_tui.errors import ConfigError
from nimsync_tui.monitor.export import EXPORT_DIR_VARIABLE, export_destination
from nimsync_tui.serve.options import ServeOptions
from nimsync_tui.serve.server import MAX_COLUMNS, MAX_ROWS, BrowserServer, _envelope, _Malformed


class _Recorder:
    """Stands in for the app session and the websocket: records what reached them."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(("stdin", data))

    async def set_terminal_size(self, width: int, height: int) -> None:
        self.sent.append(("resize", width, height))

    async def send_json(self, data: object) -> None:
        self.sent.append(("json", data))

    async def blur(self) -> None:
        self.sent.append(("blur",))

    async def focus(self) -> None:
        self.sent.append(("focus",))


def _handle(text: str) -> list[Any]:
    server = BrowserServer(["true"], ServeOptions())
    recorder = _Recorder()

    async def go() -> None:
        await server._handle_message(recorder, recorder, _envelope(text))  # type: ignore[arg-type]

    asyncio.run(go())
    return recorder.sent


@pytest.mark.parametrize(
    "text",
    [
        '["stdin", 5]',
        "[" * 100_000 + "]" * 100_000,
        '["resize", {"width": "x", "height": 24}]',
        '["resize", {"width": 1e300, "height": 24}]',
        '["resize", "x"]',
        "{}",
        "[]",
        "not json",
    ],
)
def test_a_malformed_message_is_refused_by_name(text: str) -> None:
    with pytest.raises(_Malformed):
        _handle(text)


@pytest.mark.parametrize(("width", "height"), [(5000, 5000), (20000, 20000), (-5, -5), (0, 0)])
def test_a_resize_is_clamped_to_a_terminal_that_can_be(width: int, height: int) -> None:
    ((_, w, h),) = _handle(json.dumps(["resize", {"width": width, "height": height}]))
    assert 1 <= w <= MAX_COLUMNS and 1 <= h <= MAX_ROWS


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
MESSAGES = st.one_of(
    st.text(max_size=200),
    JSON.map(json.dumps),
    st.tuples(st.sampled_from(["stdin", "resize", "ping", "blur", "focus", "x"]), JSON).map(
        lambda t: json.dumps(list(t))
    ),
    st.tuples(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9)).map(
        lambda wh: json.dumps(["resize", {"width": wh[0], "height": wh[1]}])
    ),
)


@settings(max_examples=150, deadline=None)
@given(MESSAGES)
def test_any_message_is_relayed_within_bounds_or_refused_by_name(text: str) -> None:
    try:
        sent = _handle(text)
    except _Malformed:
        return
    for item in sent:
        if item[0] == "resize":
            assert 1 <= item[1] <= MAX_COLUMNS and 1 <= item[2] <= MAX_ROWS
        if item[0] == "stdin":
            assert isinstance(item[1], bytes)


@pytest.mark.parametrize("asked", ["~/x", "/etc/nimsync", "../out", "a/../../out", "escape/run"])
def test_a_served_tab_writes_nowhere_outside_its_folder(
    asked: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "exports"
    root.mkdir()
    (root / "escape").symlink_to(tmp_path)
    monkeypatch.setenv(EXPORT_DIR_VARIABLE, str(root))
    with pytest.raises(ConfigError, match="outside"):
        export_destination(Path(asked).expanduser())


def test_a_served_tab_writes_inside_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXPORT_DIR_VARIABLE, str(tmp_path))
    assert export_destination(Path("runs/a")) == tmp_path / "runs" / "a"
    monkeypatch.delenv(EXPORT_DIR_VARIABLE)
    assert export_destination(Path("/anywhere/a")) == Path("/anywhere/a")  # a terminal's own app: the user's choice
