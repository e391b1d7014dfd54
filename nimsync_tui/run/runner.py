"""The load process: one scenario under ``trio.run``, reporting on stdout.

Started by the CLI as ``python -m nimsync_tui.run.runner SPEC_JSON``. The load
gets a process of its own so that neither the UI's frames nor its event
loop sit between two channel operations (DESIGN.md measured the cost), and so
that a crashing load cannot take the monitor down with it.

Protocol: stdout is an HdrHistogram interval log with one JSON event per
``#`` comment (see :mod:`nimsync_tui.core.protocol`). Closing the runner's stdin
asks it to stop: it cancels the load, reports the last partial interval and
an ``ended`` event, and exits 0. A failing scenario ends with a ``failed``
event and exit status 1.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TextIO

import trio

from nimsync_tui.scenarios import SCENARIOS, Load, Scenario

from ..core.hlog import HlogWriter
from ..core.probe import Probe
from ..core.protocol import Event, IntervalRecord, RunEnded, RunFailed, RunStarted, event_json
from ..errors import NimsyncError
from .config import RunSpec
from .resources import ResourceSampler


class _Reporter:
    """Closes intervals: takes the probe's histogram and writes both log lines.

    The measured phase's clock runs from the moment the warm-up's last
    interval is written to the moment the load stops, so neither the
    instrument's phase change nor the tasks' teardown counts as load time.
    """

    def __init__(self, out: TextIO, scenario: Scenario, load: Load, probe: Probe) -> None:
        self._out = out
        self._writer = HlogWriter(out)
        self._tag = scenario.name
        self._load = load
        self._probe = probe
        self._resources = ResourceSampler()
        started = time.perf_counter()
        wall = time.time()
        self._writer.write_header(wall)
        # The header's BaseTime is cut to whole milliseconds, as Java writes
        # it; interval starts are relative to that, not to our exact start.
        self._origin = started - (wall - self._writer.base_time_s)
        self.phase = "warmup"
        self._interval_start = started
        self._phase_start = started
        self._ops_at_start = 0
        self._stopped: tuple[float, int] | None = None

    def emit(self, event: Event) -> None:
        self._writer.write_comment(event_json(event))
        self._out.flush()

    def close_interval(self) -> None:
        """Report the interval up to now; once the load has stopped, up to then."""
        now, total = self._stopped or (time.perf_counter(), self._load.ops)
        interval = self._probe.take_interval()
        sample = self._resources.sample()
        start_s = self._interval_start - self._origin
        length_s = now - self._interval_start
        self._writer.write_interval(self._tag, start_s, length_s, interval.histogram)
        self.emit(
            IntervalRecord(
                tag=self._tag,
                phase=self.phase,
                start_s=round(start_s, 6),
                length_s=round(length_s, 6),
                ops=total - self._ops_at_start,
                total_ops=total,
                overflow=interval.overflow,
                rss_bytes=sample.rss_bytes,
                peak_rss_bytes=sample.peak_rss_bytes,
                cpu_percent=sample.cpu_percent,
                allocated_blocks=sample.allocated_blocks,
                gc_collections=sample.gc_collections,
            )
        )
        self._interval_start = now
        self._ops_at_start = total

    def begin_measuring(self) -> None:
        """Close the warm-up's last interval and start counting from zero."""
        self.close_interval()
        self.phase = "measure"
        self._load.ops = 0
        self._ops_at_start = 0
        self._interval_start = self._phase_start = time.perf_counter()

    def load_stopped(self) -> None:
        """Stamp the moment the load stopped (finished, cancelled or failed)."""
        if self._stopped is None:
            self._stopped = (time.perf_counter(), self._load.ops)

    @property
    def stopped(self) -> bool:
        """Whether the load has stopped: periodic intervals are over."""
        return self._stopped is not None

    def finish(self, status: str) -> RunEnded:
        """Close the last interval; the ``ended`` event that sums up the measured phase."""
        self.load_stopped()
        assert self._stopped is not None
        self.close_interval()
        if self.phase != "measure":
            return RunEnded(status=status, phase=self.phase, total_ops=0, measured_s=0.0)
        end, total = self._stopped
        return RunEnded(status=status, phase=self.phase, total_ops=total, measured_s=round(end - self._phase_start, 6))


async def _report_every(interval_s: float, reporter: _Reporter) -> None:
    while True:
        await trio.sleep(interval_s)
        # The timer may fire in the same tick the load stops; the final
        # interval is then closed once, by finish(), not twice.
        if reporter.stopped:
            return
        reporter.close_interval()


async def _cancel_on_stdin_eof(scope: trio.CancelScope) -> None:
    # The parent closes our stdin to stop us; EOF also comes when the parent
    # dies, so an orphaned load never runs on.
    stream = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
    async with stream:
        while await stream.receive_some(4096):
            pass
    scope.cancel()


async def run(spec: RunSpec, out: TextIO, *, watch_stdin: bool = True) -> int:
    """Run ``spec`` to completion or until stopped, reporting to ``out``.

    Returns the process exit status: 0 when the load ended normally or was
    stopped, 1 when the scenario failed.
    """
    scenario = SCENARIOS[spec.scenario]
    probe = Probe()
    load = Load(probe)
    reporter = _Reporter(out, scenario, load, probe)
    reporter.emit(
        RunStarted(
            scenario=scenario.name,
            measures=scenario.measures_with(spec.params),
            operation=scenario.operation,
            params=asdict(spec.params),
            interval_s=spec.interval_s,
            pid=os.getpid(),
        )
    )
    status = "stopped"
    try:
        async with trio.open_nursery() as nursery:
            if watch_stdin:
                nursery.start_soon(_cancel_on_stdin_eof, nursery.cancel_scope)
            nursery.start_soon(_report_every, spec.interval_s, reporter)
            try:
                await scenario.body(load, spec.params, spec.params.warmup)
                reporter.begin_measuring()
                with trio.move_on_after(spec.duration_s if spec.duration_s is not None else float("inf")):
                    await scenario.body(load, spec.params, spec.params.iterations)
                status = "completed"
            finally:
                # Runs as the load's cancellation or end unwinds: the stamp
                # is the load's last moment, not the nursery's teardown.
                reporter.load_stopped()
            nursery.cancel_scope.cancel()
    except Exception as exc:  # the scenario's failure is reported, not raised
        reporter.emit(RunFailed(message=_one_line(exc)))
        return 1
    reporter.emit(reporter.finish(status))
    return 0


def _one_line(exc: BaseException) -> str:
    """The innermost error of a (possibly grouped) exception, on one line."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the runner process."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m nimsync_tui.run.runner SPEC_JSON", file=sys.stderr)
        return 2
    # Ctrl-C and a closed terminal reach the whole process group, and
    # systemd signals the whole cgroup; the parent decides when the load
    # stops, through our stdin (which also closes when the parent dies).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    try:
        spec = RunSpec.from_json(args[0])
    except NimsyncError as exc:
        print(f"nimsync-tui runner: {exc}", file=sys.stderr)
        return 2
    with _private_stdout() as protocol:
        return trio.run(run, spec, protocol)


@contextmanager
def _private_stdout() -> Iterator[TextIO]:
    """The protocol stream on a private copy of fd 1; fd 1 and ``sys.stdout`` go to stderr.

    Whatever the load prints (``print``, ``sys.stdout``, ``os.write(1, ...)``,
    a C library) then lands in the runner's stderr and can never break a
    line of the protocol.
    """
    sys.stdout.flush()
    protocol = open(os.dup(1), "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed below)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        yield protocol
    finally:
        protocol.close()


if __name__ == "__main__":
    sys.exit(main())
