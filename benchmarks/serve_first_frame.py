"""How long from ``nimsync-tui --serve`` starting to live percentiles in a browser tab.

Each round starts a server on a free port, opens its printed URL in headless
Debian Chromium (Playwright, nothing fetched beyond 127.0.0.1), and times from
the server's start to: the URL printed, the app's first bytes drawn, and the
first frame with a measured p99 (a live frame). Then it closes the tab and stops
the server. Prints each round and the medians.

    python benchmarks/serve_first_frame.py              # 3 rounds
    python benchmarks/serve_first_frame.py --rounds 5 --pattern mpmc-throughput
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' tab helpers
from tests.browser.terminal import live, open_tab, system_chromium


def one_round(browser: Browser, scenario: str) -> tuple[float, float, float]:
    """Seconds from the server's start to its URL, to the first bytes drawn, to the first live frame."""
    with tempfile.TemporaryFile() as out:
        start = time.monotonic()
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("nimsync-tui")), "--serve", "--port", "0", "--pattern", scenario],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            while not (match := re.search(rb"http://\S+", (out.seek(0), out.read())[1])):
                assert server.poll() is None, "the server exited"
                time.sleep(0.01)
            url_s = time.monotonic() - start
            context, tab = open_tab(browser, match[0].decode())
            tab.wait_for_screen(lambda screen: screen.strip() != "")
            drawn_s = time.monotonic() - start
            tab.wait_for_screen(live(scenario))
            live_s = time.monotonic() - start
            assert tab.refused == [], tab.refused
            context.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
    return url_s, drawn_s, live_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pattern", default="spsc-throughput", help="one scenario")
    args = parser.parse_args()
    chromium = system_chromium()
    if chromium is None:
        sys.exit("Chromium not found (apt-get install chromium)")
    rounds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        for n in range(args.rounds):
            rounds.append(one_round(browser, args.pattern))
            url_s, drawn_s, live_s = rounds[-1]
            print(f"round {n + 1}: URL {url_s:.2f} s, first bytes drawn {drawn_s:.2f} s, live frame {live_s:.2f} s")
        browser.close()
    medians = [statistics.median(r[i] for r in rounds) for i in range(3)]
    print(
        f"median of {len(rounds)}: URL {medians[0]:.2f} s, first bytes drawn {medians[1]:.2f} s, "
        f"first live frame {medians[2]:.2f} s (from the server's start, {args.pattern})"
    )


if __name__ == "__main__":
    main()
