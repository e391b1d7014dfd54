"""The measurement core and the loads run without any UI toolkit."""

import subprocess
import sys


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
