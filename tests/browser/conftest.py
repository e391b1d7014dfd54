"""Debian's Chromium, driven headless through Playwright, kept on this machine.

Playwright's own browser download is never used (``playwright install`` is not
reachable here): the tests launch the system's ``/usr/bin/chromium``. Without
it they skip, except with ``CI=true``, where they fail (as the ``java`` tests do).
Every request a page makes to anything but 127.0.0.1 is refused and recorded.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

# textual.js keeps its xterm.js Terminal as `this.terminal` on an object of its
# own; catching that assignment gives the test the terminal's buffer, which is
# what xterm.js draws on its canvas.
_CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.options) window.__terminal = value;
  },
});
"""
_SCREEN_TEXT = """() => {
  const terminal = window.__terminal;
  if (!terminal) return "";
  const rows = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = terminal.buffer.active.getLine(y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""


def chromium_path() -> str:
    """The system Chromium; skips the test (fails it on CI) when it is missing."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    message = "Chromium not available (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@dataclass
class Tab:
    """A browser tab and what it tried to do."""

    page: Page
    refused: list[str] = field(default_factory=list)
    """Requests to anywhere but 127.0.0.1, refused by the test."""
    console: list[str] = field(default_factory=list)
    """The page's console messages (Content-Security-Policy refusals show here)."""

    def screen(self) -> str:
        """The text on the terminal's screen, one line per row."""
        return str(self.page.evaluate(_SCREEN_TEXT))

    def wait_for_screen(self, holds: Callable[[str], bool], timeout_ms: float = 90_000) -> str:
        """Wait until ``holds(screen text)``; returns that text."""
        deadline = timeout_ms
        while not holds(text := self.screen()):
            assert deadline > 0, f"the screen never showed what was expected; it shows:\n{text}"
            self.page.wait_for_timeout(200)
            deadline -= 200
        return text


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[[str], Tab]]:
    """Open a URL in a fresh tab (its own browser context) that refuses everything not on 127.0.0.1."""
    contexts = []

    def open_(url: str) -> Tab:
        context = browser.new_context(viewport={"width": 1100, "height": 700})
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page)

        def only_this_machine(route: Route) -> None:
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.fallback()
            else:
                tab.refused.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_machine)
        page.add_init_script(_CATCH_TERMINAL)
        page.on("console", lambda message: tab.console.append(_text(message)))
        page.goto(url)
        return tab

    yield open_
    for context in contexts:
        context.close()


def _text(message: ConsoleMessage) -> str:
    return f"{message.type}: {message.text}"
