"""The load in its own process: started, read, stopped and killed for real."""

from __future__ import annotations

import os
import signal
import time

import pytest

from nimsync_tui.core.hlog import read_hlog
from nimsync_tui.core.protocol import IntervalRecord, RunEnded, RunStarted
from nimsync_tui.errors import RunnerError
from nimsync_tui.run.config import Overrides, plan_runs
from nimsync_tui.run.process import STOP_GRACE_S, RunnerProcess


def continuous(pattern: str) -> RunnerProcess:
    (spec,) = plan_runs(pattern, Overrides(warmup=100), interval_s=0.1, duration_s=3600)
    return RunnerProcess(spec, keep_lines=True)


@pytest.mark.parametrize("pattern", ["spsc-throughput", "mpmc-throughput", "pingpong-latency"])
def test_closing_stdin_stops_a_continuous_load_cleanly(pattern: str) -> None:
    with continuous(pattern) as proc:
        assert proc.pid != os.getpid()
        events = []
        stop_asked = None
        for event in proc.events():
            events.append(event)
            measured = [e for e in events if isinstance(e, IntervalRecord) and e.phase == "measure"]
            if len(measured) == 3 and stop_asked is None:
                stop_asked = time.monotonic()
                proc.stop()
        stopped_in = time.monotonic() - stop_asked
    assert isinstance(events[0], RunStarted) and events[0].pid == proc.pid
    end = events[-1]
    assert isinstance(end, RunEnded) and end.status == "stopped"
    measured = [e for e in events if isinstance(e, IntervalRecord) and e.phase == "measure"]
    assert end.total_ops == measured[-1].total_ops == sum(e.ops for e in measured) > 0
    assert stopped_in < STOP_GRACE_S
    # Everything the child wrote is itself an interval log.
    entries = list(read_hlog(proc.raw_lines))
    assert len(entries) == len([e for e in events if isinstance(e, IntervalRecord)])


def test_a_killed_load_is_reported_not_hung_on() -> None:
    def kill_at_first_interval(proc: RunnerProcess) -> None:
        for event in proc.events():
            if isinstance(event, IntervalRecord):
                os.kill(proc.pid, signal.SIGKILL)

    with continuous("spsc-throughput") as proc, pytest.raises(RunnerError, match="load process was killed by signal 9"):
        kill_at_first_interval(proc)


def test_leaving_the_context_never_leaves_a_load_behind() -> None:
    with continuous("mpmc-throughput") as proc:
        next(iter(proc.events()))
        pid = proc.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_instrument_does_not_grow_the_load_process() -> None:
    # 48 measured intervals, however long a busy machine takes for them: a leaked
    # histogram per interval (270 kB) would add over 10 MiB past the first eighth.
    (spec,) = plan_runs("spsc-throughput", Overrides(warmup=100), interval_s=0.05, duration_s=3600)
    rss: list[int] = []
    with RunnerProcess(spec) as proc:
        for event in proc.events():
            if isinstance(event, IntervalRecord) and event.phase == "measure" and len(rss) < 48:
                rss.append(event.rss_bytes)
                if len(rss) == 48:
                    proc.stop()
    assert len(rss) == 48
    settled = rss[len(rss) // 6 :]
    assert max(settled) - settled[0] < 3 * 2**20


def test_stopped_during_warmup_reports_nothing_measured() -> None:
    (spec,) = plan_runs("pingpong-latency", Overrides(warmup=10**12), interval_s=0.05)
    with RunnerProcess(spec) as proc:
        events = []
        for event in proc.events():
            events.append(event)
            if sum(isinstance(e, IntervalRecord) for e in events) == 2:
                proc.stop()
    end = events[-1]
    assert isinstance(end, RunEnded)
    assert (end.status, end.phase, end.total_ops, end.measured_s) == ("stopped", "warmup", 0, 0.0)
    assert all(e.phase == "warmup" for e in events if isinstance(e, IntervalRecord))
