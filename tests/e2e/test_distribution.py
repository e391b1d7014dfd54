"""What `pip install` puts on a user's machine."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_claims_only_our_own_import_name_and_ships_every_module(tmp_path: Path) -> None:
    # A copy, so that no build/ left in the work tree can stand in for the real build.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__", "runs"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert top_level == {"nimsync_tui"}
    shipped = {n for n in names if n.endswith(".py")}
    expected = {f"nimsync_tui/{p.relative_to(ROOT / 'nimsync_tui')}" for p in (ROOT / "nimsync_tui").rglob("*.py")}
    for folder in ("channels", "scenarios"):
        expected |= {f"nimsync_tui/{folder}/{p.relative_to(ROOT / folder)}" for p in (ROOT / folder).rglob("*.py")}
    assert shipped == expected
