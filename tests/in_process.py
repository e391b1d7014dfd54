"""``nimsync-tui`` run inside the test's own process, for input it refuses before any load starts.

A refusal is decided by the parser and the checks in ``main()``; starting a
Python process for each case would only add a second of start-up to each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nimsync_tui.cli import main


def run_main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """``main(args)`` as the command runs it: (exit status, stdout, stderr)."""
    capsys.readouterr()  # only what this command prints
    try:
        status = main([str(a) for a in args])
    except SystemExit as ended:  # argparse's refusals exit
        status = ended.code if isinstance(ended.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err
