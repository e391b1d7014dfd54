"""The measurement core and the loads run without any UI toolkit."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import nimsync_tui


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


def test_the_core_and_the_runner_never_import_the_app() -> None:
    """core/ and run/ are what the headless recorder and the load run: the app's state and UI sit above them."""
    packages = Path(nimsync_tui.__file__).parent
    modules = [
        f"nimsync_tui.{layer}.{m.name}" for layer in ("core", "run") for m in pkgutil.iter_modules([packages / layer])
    ]
    assert "nimsync_tui.run.replay" in modules
    loaded = _modules_after(", ".join(modules))
    assert [m for m in loaded if m.startswith(("nimsync_tui.monitor", "nimsync_tui.tui", "nimsync_tui.serve"))] == []


def test_the_app_state_never_imports_the_load_process() -> None:
    """monitor/ drives the load through its command line: the load process's own module stays out."""
    packages = Path(nimsync_tui.__file__).parent
    modules = [f"nimsync_tui.monitor.{m.name}" for m in pkgutil.iter_modules([packages / "monitor"])]
    assert "nimsync_tui.monitor.export" in modules
    assert "nimsync_tui.run.runner" not in _modules_after(", ".join(modules))


def test_the_recording_format_runs_no_load_and_draws_nothing() -> None:
    """recording/ is read by the recorder, both replays and the app's export: no load, no UI, no trio."""
    packages = Path(nimsync_tui.__file__).parent
    modules = [f"nimsync_tui.recording.{m.name}" for m in pkgutil.iter_modules([packages / "recording"])]
    assert "nimsync_tui.recording.directory" in modules
    loaded = _modules_after(", ".join(modules))
    forbidden = ("nimsync_tui.run", "nimsync_tui.monitor", "nimsync_tui.tui", "trio", "textual")
    assert [m for m in loaded if m in forbidden or m.startswith(tuple(f"{f}." for f in forbidden))] == []


def test_the_cli_loads_scipy_only_when_a_statistic_needs_it() -> None:
    """scipy.stats adds ~90 MB of RSS: headless replay's bounded memory (benchmarks/replay_speed.py) must not pay it."""
    loaded = _modules_after("nimsync_tui.cli, nimsync_tui.suite.analysis, nimsync_tui.suite.compare")
    assert "nimsync_tui.suite.compare" in loaded
    assert [m for m in loaded if m == "scipy" or m.startswith("scipy.")] == []
