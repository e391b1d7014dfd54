"""Any channel on any loop, as a user runs it: their own module by path and as an installed plug-in,
the built-ins on asyncio and uvloop, several side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "nimsync_tui"]
TINY = ["--iterations", "1000", "--warmup", "100", "--repeat", "1"]

# A channel written outside the project: trio's, behind ends that have send,
# receive and close but no clone, so it cannot serve several producers.
USER_MODULE = """
import trio


class Sender:
    def __init__(self, end):
        self.send = end.send
        self.close = end.close


class Receiver:
    def __init__(self, end):
        self.receive = end.receive


def make(capacity):
    send_end, receive_end = trio.open_memory_channel(capacity)
    return Sender(send_end), Receiver(receive_end)


make.checkpoint_rule = "trio's, through plain attributes"
"""


def nimsync(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=180, cwd=cwd, env=env or dict(os.environ)
    )


def rows(directory: Path) -> dict[str, dict]:
    document = json.loads((directory / "results.json").read_text())
    return {row["name"]: row for row in document["scenarios"]}


def test_a_module_by_path_runs_and_one_lacking_clone_is_skipped_for_mpmc(tmp_path: Path) -> None:
    module = tmp_path / "elsewhere" / "mychan.py"
    module.parent.mkdir()
    module.write_text(USER_MODULE)
    proc = nimsync(
        "--impl", "elsewhere/mychan.py:make", "--pattern", "*-throughput", "--record", "out", *TINY, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    spec = f"{module}:make"
    skipped = [line for line in proc.stderr.splitlines() if "skipped" in line]
    assert skipped == [
        f"nimsync-tui: skipped mpmc-throughput on {spec}: it needs clone: several producers or consumers "
        "each need their own end"
    ]
    row = rows(tmp_path / "out")["spsc-throughput"]
    assert row["status"] == "completed" and row["operations"] == 1000
    assert (row["implementation"], row["loop"]) == (spec, "trio")
    assert row["checkpoint_rule"] == f"{spec} on trio: trio's, through plain attributes"
    assert row["parameters"]["impl"] == spec and "yield_every" not in row["parameters"]


def test_an_installed_entry_point_is_found_listed_and_run(tmp_path: Path) -> None:
    # An installed distribution as importlib.metadata sees one: a module and its dist-info.
    site = tmp_path / "site"
    site.mkdir()
    (site / "mychan_plugin.py").write_text(USER_MODULE + "\nmake.loop = 'trio'\n")
    info = site / "mychan_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mychan-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[nimsync_tui.implementations]\nmychan = mychan_plugin:make\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = nimsync("--list-impls", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith("mychan "))
    assert "entry point (mychan-plugin)" in line and " trio " in line and "send, receive, close" in line
    assert "clone" not in line
    proc = nimsync("--impl", "mychan", "--pattern", "pingpong-latency", "--record", "out", *TINY, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    row = rows(tmp_path / "out")["pingpong-latency"]
    assert (row["implementation"], row["loop"], row["operations"]) == ("mychan", "trio", 1000)


@pytest.mark.parametrize(
    ("impl", "loop"), [("anyio:create_memory_object_stream", "asyncio"), ("asyncio", None), ("asyncio", "uvloop")]
)
def test_spsc_mpmc_and_pingpong_run_on_asyncio_and_uvloop(tmp_path: Path, impl: str, loop: str | None) -> None:
    loop_option = [] if loop is None else ["--loop", loop]
    proc = nimsync(
        "--impl",
        impl,
        *loop_option,
        "--pattern",
        "[smp][pi]*[cg]-*",
        "--record",
        "out",
        *TINY,
        "--producers",
        "2",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    found = rows(tmp_path / "out")
    assert set(found) == {"spsc-throughput", "mpmc-throughput", "pingpong-latency"}
    for row in found.values():
        assert row["status"] == "completed" and row["throughput_ops_s"] > 0 and row["latency_ns"]["count"] > 0
        assert (row["implementation"], row["loop"]) == (impl, loop or "asyncio")


def test_several_implementations_interleave_and_print_one_table_with_ratios(tmp_path: Path) -> None:
    proc = nimsync(
        "--impl",
        "nimsync,trio:open_memory_channel,asyncio",
        "--pattern",
        "spsc-throughput",
        "--record",
        "out",
        *TINY,
        "--repeat",
        "2",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    order = [line.split()[3] for line in proc.stderr.splitlines() if " done " in line]
    assert [name.split("@")[1] for name in order] == ["nimsync", "trio:open_memory_channel", "asyncio"] * 2
    table = proc.stdout[proc.stdout.index("spsc-throughput: 3 implementations side by side") :].splitlines()
    assert table[0] == "spsc-throughput: 3 implementations side by side, ratios to nimsync"
    assert table[1].split()[:4] == ["implementation", "loop", "ops/s", "ratio"]
    assert table[2].split()[:2] == ["nimsync", "trio"] and table[2].split()[3] == "x1.00"
    assert table[3].split()[:2] == ["trio:open_memory_channel", "trio"] and table[4].split()[:2] == [
        "asyncio",
        "asyncio",
    ]
    found = rows(tmp_path / "out")
    assert set(found) == {f"spsc-throughput@{n}" for n in ("nimsync", "trio:open_memory_channel", "asyncio")}
    for row in found.values():
        assert len(row["repetitions"]) == 2 and row["scenario"] == "spsc-throughput"
        # Each row is judged against the suite's own target for its scenario.
        assert [t["title"] for t in row["targets"]] == ["SPSC Throughput"]
    ratio = found["spsc-throughput@asyncio"]["throughput_ops_s"] / found["spsc-throughput@nimsync"]["throughput_ops_s"]
    assert table[4].split()[3] == f"x{ratio:.2f}"


def test_a_matrix_gives_one_row_per_cell(tmp_path: Path) -> None:
    proc = nimsync(
        "--impl",
        "nimsync,trio",
        "--pattern",
        "mpmc-throughput",
        "--matrix",
        "capacity=1,64",
        "producers=2",
        "--record",
        "out",
        *TINY,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    found = rows(tmp_path / "out")
    cells = [f"+capacity-{c}+producers-2" for c in (1, 64)]
    assert set(found) == {f"mpmc-throughput@{i}{cell}" for cell in cells for i in ("nimsync", "trio")}
    row = found["mpmc-throughput@trio+capacity-64+producers-2"]
    assert (row["parameters"]["capacity"], row["parameters"]["producers"], row["operations"]) == (64, 2, 1000)
    assert proc.stdout.count("2 implementations side by side") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impl", "nimsync", "--loop", "asyncio"], "--impl nimsync runs on trio only, not asyncio"),
        (["--impl", "nosuch"], "--impl nosuch: no such implementation"),
        (["--matrix", "colour=1,2"], "--matrix colour=...: not a parameter it can cross"),
        (["--matrix", "capacity=a"], "invalid NAME=V1,V2 (integers) value"),
    ],
)
def test_bad_implementation_options_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    proc = nimsync(*args, "--pattern", "spsc-throughput", *TINY, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
