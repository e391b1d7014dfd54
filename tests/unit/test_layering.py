"""The measurement core and the loads run without any UI toolkit."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_scenarios_and_channels_never_import_textual() -> None:
    code = (
        "import sys, channels, scenarios, nimsync_tui.cli, nimsync_tui.runner, nimsync_tui.record\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_channels_and_scenarios_never_import_the_core() -> None:
    code = (
        "import sys, channels, scenarios\n"
        "print(sorted(m for m in sys.modules if m.startswith('nimsync_tui')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```sh\n")[1:]]
    install_and_run, install_and_test = blocks[0], blocks[1]
    assert "nimsync-tui --record" in install_and_run
    assert "pytest" in install_and_test
    assert install_and_test in ci.splitlines()
