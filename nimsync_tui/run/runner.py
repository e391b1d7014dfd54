"""The load process: one scenario under ``trio.run``, reporting on stdout.

Started by the CLI as ``python -m nimsync_tui.run.runner SPEC_JSON``. The load
gets a process of its own so that neither the UI's frames nor its event
loop sit between two channel operations, and so
that a crashing load cannot take the monitor down with it.

Protocol: stdout is an HdrHistogram interval log with one JSON event per
``#`` comment (see :mod:`nimsync_tui.core.protocol`). A scenario warms up,
then measures one step after another (a scenario without steps is one step
under its own name); each step's intervals carry the step's tag and end
with a ``step`` event. Closing the runner's stdin asks it to stop: it
cancels the load, reports the last partial interval, the step's end and an
``ended`` event, and exits 0. A failing scenario ends with a ``failed``
event and exit status 1.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

import trio

from nimsync_tui.scenarios import SCENARIOS, Load, Params, Scenario, Step, StepOutcome, Summary
from nimsync_tui.scenarios._open_loop import run_open_loop

from ..core.hlog import HlogWriter
from ..core.probe import Probe, measure_self_overhead
from ..core.protocol import (
    CORRECTED_SUFFIX,
    Event,
    IntervalRecord,
    Phase,
    RunEnded,
    RunFailed,
    RunStarted,
    Status,
    StepEnded,
    event_json,
)
from ..errors import NimsyncError
from .config import RunSpec
from .instruments import CpuProfile, HeapTracer
from .resources import ResourceSampler, affinity, busy_machine, pin_to


class _Reporter:
    """Closes intervals: takes each stream's histogram and writes its log lines.

    A stream is a tag and the probe that fills it: one per step, two in an
    open-loop run (the service time and the corrected time). Each step's
    clock runs from the moment the previous interval is written to the moment
    the load stops, so neither the instrument's phase change nor the tasks'
    teardown counts as load time.
    """

    def __init__(
        self, out: TextIO, tag: str, load: Load, probe: Probe, *, sampler: ResourceSampler, heap: HeapTracer | None
    ) -> None:
        self._out = out
        self._writer = HlogWriter(out)
        self._load = load
        self._sampler = sampler
        self._heap = heap
        self.streams: list[tuple[str, Probe]] = [(tag, probe)]
        """The tags being measured and their probes."""
        started = time.perf_counter()
        wall = time.time()
        self._writer.write_header(wall)
        # The header's BaseTime is cut to whole milliseconds, as Java writes
        # it; interval starts are relative to that, not to our exact start.
        self._origin = started - (wall - self._writer.base_time_s)
        self.phase = Phase.WARMUP
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
        sample = self._sampler.sample()
        start_s = self._interval_start - self._origin
        length_s = now - self._interval_start
        for tag, probe in self.streams:
            interval = probe.take_interval()
            self._writer.write_interval(tag, start_s, length_s, interval.histogram)
            self.emit(
                IntervalRecord(
                    tag=tag,
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
                    gc_count=sample.gc_count,
                    gc_pause_s=sample.gc_pause_s,
                    gc_pause_max_s=sample.gc_pause_max_s,
                )
            )
        if self._heap is not None and self.phase == Phase.MEASURE:
            self.emit(self._heap.profile(self.streams[0][0], round(now - self._origin, 6)))
        self._interval_start = now
        self._ops_at_start = total

    def begin_step(self, streams: list[tuple[str, Probe]]) -> None:
        """Close the interval in progress (the warm-up's last) and measure ``streams`` from zero."""
        if self._stopped is None:
            self.close_interval()
        self.streams = streams
        self.phase = Phase.MEASURE
        self._load.ops = 0
        self._ops_at_start = 0
        self._stopped = None
        self._interval_start = self._phase_start = time.perf_counter()

    def load_stopped(self) -> None:
        """Stamp the moment the load stopped (finished, cancelled or failed)."""
        if self._stopped is None:
            self._stopped = (time.perf_counter(), self._load.ops)

    @property
    def stopped(self) -> bool:
        """Whether the load has stopped: no periodic interval until the next step begins."""
        return self._stopped is not None

    def end_step(self) -> tuple[int, float]:
        """Close the step's last interval; returns its operations and measured seconds."""
        self.load_stopped()
        assert self._stopped is not None
        self.close_interval()
        end, total = self._stopped
        return total, end - self._phase_start


class _Driver:
    """Runs a scenario's warm-up and steps, and sums them up into the ``step`` and ``ended`` events."""

    def __init__(
        self, scenario: Scenario, spec: RunSpec, load: Load, probes: tuple[Probe, Probe | None], reporter: _Reporter
    ) -> None:
        self._scenario = scenario
        self._spec = spec
        self._load = load
        self._probe, self._corrected = probes
        self._reporter = reporter
        self._outcomes: list[StepOutcome] = []
        self._totals: list[tuple[int, float]] = []
        self._current: tuple[str, Step | None] | None = None
        self.status = Status.STOPPED
        """``completed`` once every step ran; ``stopped`` if the run was cut short."""

    def _plan(self) -> Iterator[tuple[str, Step | None, Params]]:
        name, params = self._scenario.name, self._spec.params
        steps = self._scenario.plan_steps(params)
        if steps is None:
            yield name, None, params
            return
        for step in steps:
            yield step.tag(name), step, step.params

    async def run(self) -> None:
        """Warm up, then measure every step; a deadline ends the load as the spec says."""
        scenario, spec, load = self._scenario, self._spec, self._load
        plan = self._plan()
        first = next(plan, None)
        if first is None:
            self.status = Status.COMPLETED
            return
        if spec.params.warmup:
            # The warm-up is always closed-loop: it warms the code, not the schedule.
            await scenario.body(load, first[2], spec.params.warmup)
        body = scenario.body
        if spec.params.rate is not None and scenario.open_loop is not None:
            body = functools.partial(run_open_loop, operation=scenario.open_loop)
        duration = spec.duration_s
        whole_run_deadline = (
            trio.current_time() + duration
            if duration is not None and not scenario.duration_bounds_each_step
            else float("inf")
        )
        for tag, step, params in itertools.chain([first], plan):
            self._begin(tag, step)
            deadline = whole_run_deadline
            if duration is not None and scenario.duration_bounds_each_step:
                deadline = trio.current_time() + duration
            with trio.move_on_at(deadline):
                await body(load, params, params.iterations)
            self._end(Status.COMPLETED)
            if trio.current_time() >= whole_run_deadline:
                break
        self.status = Status.COMPLETED

    def _begin(self, tag: str, step: Step | None) -> None:
        self._load.metrics = {}
        self._load.notes = []
        streams = [(tag, self._probe)]
        if self._corrected is not None:
            streams.append((tag + CORRECTED_SUFFIX, self._corrected))
        self._reporter.begin_step(streams)
        self._current = (tag, step)

    def _end(self, status: Status) -> None:
        assert self._current is not None
        tag, step = self._current
        self._current = None
        ops, measured_s = self._reporter.end_step()
        metrics = dict(self._load.metrics)
        if self._spec.params.rate is not None:
            metrics["rate_ops_s"] = float(self._spec.params.rate)
        for stream_tag, _ in self._reporter.streams:
            self._reporter.emit(
                StepEnded(
                    tag=stream_tag,
                    param=None if step is None else step.param,
                    value=None if step is None else step.value,
                    status=status,
                    total_ops=ops,
                    measured_s=round(measured_s, 6),
                    metrics=metrics,
                    notes=list(self._load.notes),
                )
            )
        self._totals.append((ops, measured_s))
        if step is not None:
            self._outcomes.append(StepOutcome(tag, step, ops, measured_s, metrics))

    def finish(self, status: Status) -> RunEnded:
        """End the step in progress if any; the ``ended`` event that sums up the measured phase."""
        if self._current is not None:
            self._end(status)
        elif self._reporter.phase == Phase.WARMUP:
            self._reporter.load_stopped()
            self._reporter.close_interval()
            return RunEnded(status=status, phase=Phase.WARMUP, total_ops=0, measured_s=0.0)
        summarize = self._scenario.summarize
        summary = summarize(self._outcomes) if summarize is not None and self._outcomes else Summary()
        return RunEnded(
            status=status,
            phase=Phase.MEASURE,
            total_ops=sum(ops for ops, _ in self._totals),
            measured_s=round(sum(seconds for _, seconds in self._totals), 6),
            metrics=summary.metrics,
            step_metrics=summary.steps,
            notes=list(summary.notes),
        )


async def _report_every(interval_s: float, reporter: _Reporter) -> None:
    while True:
        await trio.sleep(interval_s)
        # The timer may fire in the same tick the load stops; the final
        # interval is then closed once, by the step's end, not twice.
        if not reporter.stopped:
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
    options = spec.options
    # Judged on the cores the machine gives us, before pinning narrows them to one.
    busy = busy_machine()
    cpus = pin_to(options.pin_cpu) if options.pin_cpu is not None else affinity()
    # Measured before the load starts, on the core the load will use.
    overhead = measure_self_overhead()
    probe = Probe()
    corrected = Probe() if spec.params.rate is not None else None
    load = Load(probe, corrected)
    heap = HeapTracer() if options.profile or scenario.traces_memory else None
    cpu_profile = CpuProfile() if options.trace else None
    with ResourceSampler() as sampler:
        reporter = _Reporter(out, scenario.name, load, probe, sampler=sampler, heap=heap if options.profile else None)
        reporter.emit(
            RunStarted(
                scenario=scenario.name,
                measures=scenario.measures_with(spec.params),
                operation=scenario.operation,
                params=asdict(spec.params),
                interval_s=spec.interval_s,
                pid=os.getpid(),
                title=scenario.title,
                category=scenario.category,
                overhead=overhead.as_dict(),
                affinity=cpus,
                notes=[busy] if busy else [],
            )
        )
        driver = _Driver(scenario, spec, load, (probe, corrected), reporter)
        try:
            async with trio.open_nursery() as nursery:
                if watch_stdin:
                    nursery.start_soon(_cancel_on_stdin_eof, nursery.cancel_scope)
                nursery.start_soon(_report_every, spec.interval_s, reporter)
                try:
                    with _instruments(heap, cpu_profile):
                        await driver.run()
                finally:
                    # Runs as the load's cancellation or end unwinds: the stamp
                    # is the load's last moment, not the nursery's teardown.
                    reporter.load_stopped()
                nursery.cancel_scope.cancel()
        except Exception as exc:  # the scenario's failure is reported, not raised
            reporter.emit(RunFailed(message=_one_line(exc)))
            return 1
        reporter.emit(driver.finish(driver.status))
    if options.artifacts_dir is not None:
        artifacts = Path(options.artifacts_dir)
        if options.profile and heap is not None:
            heap.write(artifacts / f"{scenario.name}.profile.txt")
        if cpu_profile is not None:
            cpu_profile.write(artifacts, scenario.name)
    return 0


@contextlib.contextmanager
def _instruments(heap: HeapTracer | None, cpu_profile: CpuProfile | None) -> Iterator[None]:
    """Heap tracing and the CPU profile, on for the load and off before anything is written."""
    with contextlib.ExitStack() as stack:
        if heap is not None:
            stack.enter_context(heap)
        if cpu_profile is not None:
            stack.enter_context(cpu_profile)
        yield


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
