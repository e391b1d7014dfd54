"""A live run of hours: the monitor's memory stays flat, and an export still writes every interval."""

from __future__ import annotations

import csv
import dataclasses
import gc
import json
import tracemalloc
from pathlib import Path

from nimsync_tui.core.hlog import read_hlog
from nimsync_tui.core.protocol import IntervalRecord, RunEnded, RunStarted, StreamParser
from nimsync_tui.monitor.export import export_run
from nimsync_tui.monitor.state import RunState
from nimsync_tui.run.config import Overrides, plan_runs

STREAM = Path(__file__).parents[1] / "tui" / "fixtures" / "spsc-stream.hlog"
MIB = 2**20


def _events() -> tuple[RunStarted, list[IntervalRecord]]:
    parser = StreamParser()
    events = [e for e in map(parser.feed, STREAM.read_text().splitlines()) if e is not None]
    started = next(e for e in events if isinstance(e, RunStarted))
    return started, [e for e in events if isinstance(e, IntervalRecord) and e.phase == "measure"]


def _feed(run: RunState, records: list[IntervalRecord], first: int, count: int) -> None:
    """``count`` more 0.25 s intervals, each with a payload of its own (as each arrives from the pipe)."""
    for k in range(first, first + count):
        record = records[k % len(records)]
        payload = "".join(record.histogram)  # a new string, as a parsed line gives
        record = dataclasses.replace(record, start_s=k * 0.25, length_s=0.25, histogram=payload)
        run.interval(record, base_time_s=run.origin_s)
        if k % 40 == 0:
            run.view()  # a frame now and then, as the app draws


def test_a_runs_retained_memory_does_not_grow_with_its_length() -> None:
    started, records = _events()
    run = RunState("ours")
    run.start(started)
    _feed(run, records, 0, 1200)  # past every one-off allocation (caches, first halving of the series)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        _feed(run, records, 1200, 2000)  # 500 s more of 0.25 s intervals (traced: slow)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Keeping each interval's record and payload would be ~2.4 kB an interval: over 4.5 MiB here.
    assert grown < 1 * MIB, f"the run's state grew {grown / MIB:.1f} MiB over 2000 intervals"
    view = run.view()
    assert view.intervals == 3200 and view.throughput.t_s.size <= 1024
    assert view.throughput.t_s[-1] == 3200 * 0.25


def test_an_export_of_a_long_run_writes_every_interval(tmp_path: Path) -> None:
    started, records = _events()
    (spec,) = plan_runs("spsc-throughput", Overrides(), interval_s=0.25)
    run = RunState("ours", origin_s=1_700_000_000.0)
    run.start(started)
    run.interval(dataclasses.replace(records[0], phase="warmup"), base_time_s=run.origin_s)
    _feed(run, records, 0, 3000)
    run.end(RunEnded("stopped", "measure", run.operations, run.measured_s))
    export_run(run, spec, tmp_path / "out")
    entries = list(read_hlog(tmp_path / "out" / "run.hlog"))
    assert len(entries) == 3000 and {e.tag for e in entries} == {"spsc-throughput"}
    assert [e.start_s for e in entries[:3]] == [0.0, 0.25, 0.5] and entries[-1].start_s == 2999 * 0.25
    with (tmp_path / "out" / "intervals.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3001 and rows[0]["phase"] == "warmup"
    (result,) = json.loads((tmp_path / "out" / "results.json").read_text())["scenarios"]
    assert result["operations"] == run.operations == sum(records[k % len(records)].ops for k in range(3000))
    assert result["stability"]["intervals"] == 3000
