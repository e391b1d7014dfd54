"""What a browser tab shows of a served app: xterm.js's screen as text, and a tab kept on this machine.

Shared by the browser tests and ``benchmarks/serve_first_frame.py``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

# textual.js keeps its xterm.js Terminal as `this.terminal` on an object of its
# own; catching that assignment gives the page's script the terminal's buffer,
# which is what xterm.js draws on its canvas.
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
_MEASURED_P99 = re.compile(r"p99 +(?!0ns)\d[\d.]*(ns|µs|ms|s)\b")


def system_chromium() -> str | None:
    """Debian's Chromium, if installed (Playwright's own download is never used)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Tab:
    """A browser tab and what it tried to do."""

    page: Page
    refused: list[str] = field(default_factory=list)
    """Requests to anywhere but 127.0.0.1, refused."""
    console: list[str] = field(default_factory=list)
    """The page's console messages (Content-Security-Policy refusals show here)."""

    def screen(self) -> str:
        """The text on the terminal's screen, one line per row."""
        return str(self.page.evaluate(_SCREEN_TEXT))

    def wait_for_screen(self, holds: Callable[[str], bool], timeout_s: float = 90.0) -> str:
        """Wait until ``holds(screen text)``; returns that text."""
        waited_ms = 0
        while not holds(text := self.screen()):
            assert waited_ms < timeout_s * 1000, f"the screen never showed what was expected; it shows:\n{text}"
            self.page.wait_for_timeout(100)
            waited_ms += 100
        return text

    def _log(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")


def open_tab(browser: Browser, url: str) -> tuple[BrowserContext, Tab]:
    """Open ``url`` in a fresh context whose every request beyond 127.0.0.1 is refused and recorded."""
    context = browser.new_context(viewport={"width": 1100, "height": 700})
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
    page.on("console", tab._log)
    page.goto(url)
    return context, tab


def live(scenario: str) -> Callable[[str], bool]:
    """Whether a screen of the app shows ``scenario`` measuring, with a p99 from a measured interval."""

    def holds(screen: str) -> bool:
        title, status = [*screen.split("\n", 2), "", ""][:2]
        return (
            scenario in title
            and "phase measuring" in status
            and "waiting for the first measured interval" not in screen
            and _MEASURED_P99.search(screen) is not None
        )

    return holds
