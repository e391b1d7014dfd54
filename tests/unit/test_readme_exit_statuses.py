"""The README and ``--help`` document every exit status the command can end with."""

import re
from pathlib import Path

from nimsync_tui.cli import build_parser
from nimsync_tui.errors import ExitStatus

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_exit_status_is_in_the_readme_table() -> None:
    rows = re.findall(r"^\| ([\d, ]+) \|", README, flags=re.MULTILINE)
    documented = {int(n) for row in rows for n in row.split(",")}
    assert documented == {int(s) for s in ExitStatus}


def test_every_exit_status_is_in_the_help() -> None:
    epilog = build_parser().epilog or ""
    assert epilog.startswith("exit status:")
    assert {int(n) for n in re.findall(r"\b\d+\b", epilog)} == {int(s) for s in ExitStatus}
