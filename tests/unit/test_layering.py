"""The measurement core and the loads run without any UI toolkit."""

import subprocess
import sys


def _modules_after(imports: str) -> list[str]:
    code = f"import sys, {imports}\nprint('\\n'.join(sorted(sys.modules)))\n"
    # -P: import what is installed, as the runner process does.
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_core_scenarios_and_channels_never_import_textual() -> None:
    loaded = _modules_after(
        "nimsync_tui.cli, nimsync_tui.run.runner, nimsync_tui.run.record, nimsync_tui.core.hlog, nimsync_tui.monitor"
    )
    assert "nimsync_tui.run.record" in loaded
    assert [m for m in loaded if m == "textual" or m.startswith("textual.")] == []


def test_channels_and_scenarios_never_import_the_core() -> None:
    loaded = _modules_after("nimsync_tui.channels, nimsync_tui.scenarios")
    assert "nimsync_tui.scenarios" in loaded
    ours = {m for m in loaded if m.startswith("nimsync_tui.")}
    assert all(m.startswith(("nimsync_tui.channels", "nimsync_tui.scenarios")) for m in ours), ours
