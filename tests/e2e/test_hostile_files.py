"""Files and options a user (or a file left in their way) can hand the CLI: one line each, bounded, nothing followed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..hostile import CLI, PEAK_LIMIT_MB, run_measured
from .fault_helpers import error_lines, nimsync

FIFO = "fifo"


def _refused(proc: subprocess.CompletedProcess[str], message: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = error_lines(proc.stderr)
    assert message in line


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        # Another tool's "tool" key, not a table: ignored, as any other tool's table; the run goes on to the next check.
        ("tool = 5\n", "--timeout must be a positive number of seconds"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nests its tables or arrays too deeply"),
    ],
)
def test_a_hostile_pyproject_in_the_working_directory(tmp_path: Path, pyproject: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    _refused(nimsync("--record", "out", "--timeout", "0", cwd=tmp_path, timeout=60), message)


@pytest.mark.parametrize("target", [FIFO, "/dev/zero"])
def test_a_config_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path, target: str) -> None:
    if target == FIFO:
        target = str(tmp_path / "config.fifo")
        os.mkfifo(target)
    done = run_measured([*CLI, "--config", target, "--record", str(tmp_path / "out")], timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"--config {target} is not a regular file" in done.stderr
    assert done.peak_mb < PEAK_LIMIT_MB


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "1e10"], "--timeout must be at most 604800 s (a week), got 1e+10"),
        (["--duration", "1e308"], "--duration must be at most 604800 s (a week), got 1e+308"),
        (["--rate", "1e-308", "--pattern", "pingpong-latency"], "--rate must be between 0.01 and 1e+08"),
        (["--producers", "2000000"], "--producers must be at most 10,000, got 2,000,000"),
    ],
)
def test_huge_times_rates_and_loads_are_refused_at_parsing(tmp_path: Path, args: list[str], message: str) -> None:
    _refused(nimsync("--record", "out", *args, cwd=tmp_path, timeout=60), message)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["loop", "fifo", "device"])
def test_replay_of_a_path_that_is_no_log_says_what_it_is(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.hlog"
    if kind == "loop":
        path.symlink_to(path)
        message = "too many levels of symbolic links"
    elif kind == "fifo":
        os.mkfifo(path)
        message = "is not a file or directory"
    else:
        path = Path("/dev/null")
        message = "is not a file or directory"
    _refused(nimsync("--replay", path, "--record", tmp_path / "out", timeout=60), message)


def test_a_port_in_another_script_is_named() -> None:
    proc = subprocess.run([*CLI, "--serve", "--port", "²"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid port '²'" in proc.stderr


def test_record_does_not_follow_a_link_it_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (out / "run.hlog.partial").symlink_to(outside)
    dangling = tmp_path / "created-outside"
    proc = nimsync(
        "--record", out, "--overwrite", "--pattern", "spsc-throughput", "--iterations", "2000", "--repeat", "1",
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert outside.read_text() == "keep me"
    assert not (out / "run.hlog.partial").is_symlink()
    # Without --overwrite a dangling link there is a name taken, not a door out.
    out2 = tmp_path / "out2"
    out2.mkdir()
    (out2 / "run.hlog.partial").symlink_to(dangling)
    _refused(nimsync("--record", out2, "--pattern", "spsc-throughput", "--iterations", "2000"), "already holds")
    assert not dangling.exists()


def test_a_full_disk_reports_the_writes_error_not_the_cleanups(tmp_path: Path) -> None:
    """The partial log's write fails (ENOSPC) and so does cutting it back (EINVAL on /dev/full): ENOSPC is said."""
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from nimsync_tui.recording.directory import _Log\n"
        "log = _Log(Path(sys.argv[1]))\n"
        "os.dup2(os.open('/dev/full', os.O_WRONLY), log._fd)\n"
        "try:\n"
        "    log.write('x' * 1000)\n"
        "except OSError as error:\n"
        "    print(error.errno, error.strerror, error.filename)\n"
    )
    path = tmp_path / "run.hlog.partial"
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True)
    assert proc.stdout.strip() == f"28 No space left on device {path}", proc.stdout + proc.stderr


def test_the_final_files_report_the_writes_own_error(tmp_path: Path) -> None:
    """A file size limit on the final write: the write's error (file too large), and no temporary left."""
    script = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from nimsync_tui.core.files import write_atomically\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        "    write_atomically(Path(sys.argv[1]), 'x' * 100_000)\n"
        "except OSError as error:\n"
        "    print(error.errno, error.strerror)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "f")], capture_output=True, text=True)
    assert proc.stdout.strip() == "27 File too large", proc.stdout + proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_link_that_appears_after_the_old_log_is_gone_is_not_followed(tmp_path: Path) -> None:
    """The race the unlink leaves: a link put in its place before the open. O_EXCL|O_NOFOLLOW refuses it."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from nimsync_tui.recording.directory import _Log\n"
        "link, target = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "unlink = Path.unlink\n"
        "def unlink_then_link(self, missing_ok=False):\n"
        "    unlink(self, missing_ok=missing_ok)\n"
        "    self.symlink_to(target)  # what another process could do in between\n"
        "Path.unlink = unlink_then_link\n"
        "try:\n"
        "    _Log(link)\n"
        "except FileExistsError as error:\n"
        "    print('refused', error.errno)\n"
    )
    link, target = tmp_path / "run.hlog.partial", tmp_path / "created-outside"
    proc = subprocess.run([sys.executable, "-c", script, str(link), str(target)], capture_output=True, text=True)
    assert proc.stdout.strip() == "refused 17", proc.stdout + proc.stderr
    assert not target.exists()
