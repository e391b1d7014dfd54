"""Debian's Chromium, driven headless through Playwright, kept on this machine.

Playwright's own browser download is never used (``playwright install`` is not
reachable here): the tests launch the system's Chromium. Without it they skip,
except with ``CI=true``, where they fail (as the ``java`` tests do). Every
request a page makes to anything but 127.0.0.1 is refused and recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.browser.terminal import Tab, open_tab, system_chromium
from tests.prerequisites import unavailable


def require_chromium() -> str:
    """The system Chromium; skips the test (fails it on CI) when it is missing."""
    if (found := system_chromium()) is None:
        unavailable("Chromium not available (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per module.

    Not per session: sync Playwright keeps an asyncio loop running in this
    thread until it stops, and later tests call ``asyncio.run()``.
    """
    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def new_tab(browser: Browser) -> Iterator[Callable[[str], Tab]]:
    """Opens a URL in a fresh tab that refuses everything not on 127.0.0.1."""
    contexts: list[BrowserContext] = []

    def open_(url: str) -> Tab:
        context, opened = open_tab(browser, url)
        contexts.append(context)
        return opened

    yield open_
    for context in contexts:
        context.close()
