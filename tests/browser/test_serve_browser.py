"""``nimsync-tui --serve`` in a real browser: the live app, its keys, its end, and the doors it keeps shut."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.terminal import Tab, live
from tests.served import NIMSYNC_TUI, gone, serving

# One worker runs the module: its module-scoped fixture is made once.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("serve_browser")]


def test_a_tab_shows_live_percentiles_switches_scenario_and_ends_with_its_runners(
    tmp_path: Path, new_tab: Callable[[str], Tab]
) -> None:
    with serving(tmp_path, "--pattern", "*throughput") as served:
        tab = new_tab(served.url)
        tab.wait_for_screen(live("spsc-throughput"))
        first = served.wait_for_descendants(2)  # the app and its runner
        assert any("spsc-throughput" in " ".join(p.cmdline()) for p in first)

        tab.page.focus(".xterm-helper-textarea")  # where xterm.js takes the keyboard
        tab.page.keyboard.press("ArrowDown")  # in the app, the scenario list has the focus
        tab.page.keyboard.press("Enter")
        tab.wait_for_screen(live("mpmc-throughput"))
        tab.page.screenshot(path=tmp_path / "serve.png")
        processes = served.descendants()
        assert any("mpmc-throughput" in " ".join(p.cmdline()) for p in processes)

        tab.page.close()  # closing the tab ends its app and its runner
        assert gone(first + processes) == []
        assert served.descendants() == []
        assert tab.refused == []
        assert [m for m in tab.console if "Content Security Policy" in m] == []


def test_a_tab_replays_a_recording_given_to_the_server(tmp_path: Path, new_tab: Callable[[str], Tab]) -> None:
    recording = tmp_path / "rec"
    subprocess.run(
        [str(NIMSYNC_TUI), "--record", str(recording), "--pattern", "pingpong-latency", "--duration", "2",
         "--repeat", "1"],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    with serving(tmp_path, "--replay", str(recording)) as served:
        screen = new_tab(served.url).wait_for_screen(
            lambda screen: "pingpong-latency" in screen and "phase replay" in screen and "p99.9" in screen
        )
        assert "live" not in screen.split("\n")[1]
        assert not [p for p in served.descendants() if "nimsync_tui.run.runner" in p.cmdline()]  # a replay runs no load


def test_a_tab_past_the_cap_gets_a_page_saying_so(tmp_path: Path, new_tab: Callable[[str], Tab]) -> None:
    with serving(tmp_path, "--pattern", "spsc-throughput", max_sessions=1) as served:
        new_tab(served.url).wait_for_screen(live("spsc-throughput"))
        running = {p.pid for p in served.wait_for_descendants(2)}
        second = new_tab(served.url)
        assert "All sessions in use" in second.page.inner_text("body")
        assert "--max-sessions 1" in second.page.inner_text("body")
        assert {p.pid for p in served.descendants()} == running


def test_a_page_of_another_origin_cannot_open_a_session_even_with_the_token(
    tmp_path: Path, new_tab: Callable[[str], Tab]
) -> None:
    with serving(tmp_path, "--pattern", "spsc-throughput") as served:
        tab = new_tab("about:blank")
        elsewhere = "http://127.0.0.1:9/attack.html"  # another port: another origin
        tab.page.route(elsewhere, lambda route: route.fulfill(content_type="text/html", body="<p>elsewhere</p>"))
        tab.page.goto(elsewhere)
        outcome = tab.page.evaluate(
            """url => new Promise(done => {
                const socket = new WebSocket(url);
                socket.onopen = () => done("open");
                socket.onerror = () => done("refused");
            })""",
            f"ws://{served.origin.removeprefix('http://')}/ws/{served.token}",
        )
        assert outcome == "refused"
        tab.page.wait_for_timeout(1000)
        assert served.descendants() == []


def test_the_page_fetches_nothing_from_elsewhere_even_when_its_url_asks(
    tmp_path: Path, new_tab: Callable[[str], Tab]
) -> None:
    with serving(tmp_path, "--pattern", "spsc-throughput") as served:
        # textual.js fetches a ?ping= URL before connecting; the page's policy stops the browser.
        tab = new_tab(served.url + "&ping=http://example.com/beacon")
        tab.page.wait_for_timeout(2000)
        assert any("Content Security Policy" in m and "example.com" in m for m in tab.console), tab.console
        assert tab.refused == []  # blocked by the browser itself, before the test's guard saw a request
