"""The process behind one browser tab: the same app as on a terminal, drawn through textual-serve's web driver.

Its stdout is a pipe to the server, not a terminal, so it tells the command
line that a browser is its terminal rather than letting it choose headless.
The server starts it with :func:`nimsync_tui.serve.options.tab_command`.
"""

from __future__ import annotations

import ctypes
import signal
import sys

from ..cli import main as cli_main

_PR_SET_PDEATHSIG = 1


def end_with_the_server() -> None:
    """On Linux, have SIGTERM sent to this process when the server dies, even by SIGKILL.

    The app quits on SIGTERM and stops its runners, so a server that could not
    end its sessions in order still leaves no load running.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def main() -> int:
    """Run the app for one tab; returns the exit status."""
    end_with_the_server()
    return cli_main(sys.argv[1:], in_browser=True)


if __name__ == "__main__":
    sys.exit(main())
