"""The process behind one browser tab: the same app as on a terminal, drawn through textual-serve's web driver.

Its stdout is a pipe to the server, not a terminal, so it tells the command
line that a browser is its terminal rather than letting it choose headless.
The server starts it with :func:`nimsync_tui.serve.options.tab_command`.
"""

from __future__ import annotations

import sys

from ..cli import main as cli_main


def main() -> int:
    """Run the app for one tab; returns the exit status."""
    return cli_main(sys.argv[1:], in_browser=True)


if __name__ == "__main__":
    sys.exit(main())
