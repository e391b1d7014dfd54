"""The ``nimsync-tui`` command."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import re
import signal
import sys
from pathlib import Path
from typing import NoReturn, TextIO

from nimsync_tui.scenarios import IMPLEMENTATIONS, SCENARIOS, Scenario

from . import __version__
from .core.recording import PARTIAL_LOG_NAME
from .errors import ConfigError, ExitStatus, NimsyncError
from .monitor.curves import VALUE_UNITS_NS
from .run.config import DEFAULT_INTERVAL_S, Overrides, RunOptions, RunSpec, plan_runs, select_scenarios
from .run.record import OutputDir, Recorder, scenario_timeout
from .run.replay import replay_log, write_replay
from .run.resources import busy_machine
from .run.stopping import StopSignal, raise_stop_signal, stop_signals
from .suite.results import ScenarioResult

LIVE_INTERVAL_S = 0.25
"""The app's interval: four redraws' worth of new data a second."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: the user needs the reason.
        self.exit(ExitStatus.USAGE, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line, also used to render ``--help``."""
    p = _Parser(
        prog="nimsync-tui",
        description="Live benchmark monitor for Trio async channels. "
        "Runs the nimsync suite's load scenarios in a separate process and records "
        "HDR latency histograms, throughput and memory.",
        epilog="exit status: 0 done; 1 a scenario failed or timed out, or a file could not be written; "
        "2 bad options or paths (nothing run, nothing created); 3 a target missed (--performance); "
        "4 a regression (--compare); 129, 130, 143 stopped by SIGHUP, SIGINT, SIGTERM "
        "(what was measured is still written)",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument(
        "--record",
        metavar="DIR",
        type=_directory,
        help="run headless and write run.hlog, results.json, intervals.csv and <scenario>.hgrm into DIR",
    )
    p.add_argument(
        "--pattern",
        metavar="TEXT",
        default="*",
        help="run the scenarios whose name, category or suite title matches TEXT, case-insensitively, "
        "as a glob or a substring (--pattern Throughput, --pattern:'Scalability'; default: all)",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument("--duration", metavar="S", type=float, help="measure each scenario continuously for S seconds")
    length.add_argument(
        "--iterations", metavar="N", type=int, help="measure N operations per scenario (default: the suite's count)"
    )
    p.add_argument(
        "--interval",
        metavar="S",
        type=float,
        help=f"seconds per histogram interval (default {DEFAULT_INTERVAL_S}; {LIVE_INTERVAL_S} in the app)",
    )
    p.add_argument(
        "--replay",
        metavar="PATH",
        type=Path,
        help="open a recording directory or any .hlog (V0, V1 or V2 histograms) in the app: step, play at the "
        "recorded pace, whole run; with --record DIR, write its recording files into DIR instead",
    )
    p.add_argument(
        "--value-unit",
        choices=tuple(VALUE_UNITS_NS),
        help="the unit a log from another tool recorded its values in (default ns; our logs are always ns)",
    )
    p.add_argument(
        "--compare",
        metavar="FILE",
        type=Path,
        help="a recording directory or .hlog whose percentile curve the app draws as the baseline",
    )
    p.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        help="stop a scenario that runs longer than S seconds, warm-up included, and report it as timed out "
        "(default: 30, plus --duration)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace the files of an earlier recording in DIR")
    load = p.add_argument_group("load parameters (each applies to the scenarios that have it)")
    load.add_argument(
        "--impl", choices=IMPLEMENTATIONS, help="nimsync: this project's channels; trio: trio.open_memory_channel"
    )
    load.add_argument("--capacity", metavar="N", type=int, help="channel capacity (0: rendezvous)")
    load.add_argument("--producers", metavar="N", type=int, help="producer tasks")
    load.add_argument("--consumers", metavar="N", type=int, help="consumer tasks")
    load.add_argument("--warmup", metavar="N", type=int, help="warm-up operations, not measured")
    load.add_argument(
        "--yield-every", metavar="N", type=int, help="our channel checkpoints every N operations (1: Trio's convention)"
    )
    load.add_argument("--sample-every", metavar="N", type=int, help="throughput scenarios time one item or batch in N")
    load.add_argument(
        "--rate",
        metavar="OPS",
        type=float,
        help="latency scenarios: open loop, OPS operations a second on a fixed schedule; logs the service time "
        "and <scenario>.corrected, timed from each operation's intended start",
    )
    load.add_argument(
        "--parallel",
        action="store_true",
        default=None,
        help="worker-scaling: each worker is a process with its own Trio loop and channel",
    )
    load.add_argument("--workers", metavar="N", type=int, help="worker-scaling: the largest worker count")
    run = p.add_argument_group("the load process")
    run.add_argument("--pin-cpu", metavar="N", type=int, help="pin the load process to CPU N (recorded in the results)")
    run.add_argument(
        "--profile",
        action="store_true",
        help="trace the Python heap: top allocation sites per interval into the log, <scenario>.profile.txt beside it",
    )
    run.add_argument(
        "--trace", action="store_true", help="cProfile the load: <scenario>.pstats and <scenario>.trace.txt"
    )
    return p


def _directory(text: str) -> Path:
    # Path("") is ".", which would record into whatever directory we run in.
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a directory, not an empty string")
    return Path(text)


def list_scenarios(scenarios: list[Scenario], out: TextIO) -> None:
    """Print ``scenarios`` as a table: name, category, the suite's title, what it runs."""
    rows = [("scenario", "category", "suite test", "load")]
    rows += [(s.name, s.category, s.title, s.summary) for s in scenarios]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)) + "  " + row[3], file=out)


_SUITE_SPELLING = re.compile(r"(--[a-z][a-z0-9-]*):(.*)", re.DOTALL)


def normalize_suite_spellings(argv: list[str]) -> list[str]:
    """Accept the suite's ``--name:value`` spelling (``--pattern:"Throughput"``) as ``--name=value``."""
    out: list[str] = []
    for arg in argv:
        if arg == "--":
            return out + argv[len(out) :]
        match = _SUITE_SPELLING.fullmatch(arg)
        out.append(f"{match[1]}={match[2]}" if match else arg)
    return out


def is_headless(args: argparse.Namespace, stdout_is_tty: bool) -> bool:
    """The contract of DESIGN.md: the app opens only on a terminal, with no headless option."""
    return args.record is not None or not stdout_is_tty


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(normalize_suite_spellings(sys.argv[1:] if argv is None else argv))
    try:
        if args.list:
            list_scenarios(select_scenarios(args.pattern), sys.stdout)
            return ExitStatus.OK
        headless = is_headless(args, sys.stdout.isatty())
        if args.replay is not None:
            return _replay_headless(args) if headless else _run_app(args, [])
        specs = plan_runs(
            args.pattern,
            Overrides(
                impl=args.impl,
                capacity=args.capacity,
                producers=args.producers,
                consumers=args.consumers,
                iterations=args.iterations,
                warmup=args.warmup,
                yield_every=args.yield_every,
                sample_every=args.sample_every,
                rate=args.rate,
                parallel=args.parallel,
                workers=args.workers,
            ),
            # "is None", not "or": --interval 0 is a mistake to report, not a request for the default.
            interval_s=args.interval
            if args.interval is not None
            else (DEFAULT_INTERVAL_S if headless else LIVE_INTERVAL_S),
            duration_s=args.duration,
            options=RunOptions(
                pin_cpu=args.pin_cpu,
                profile=args.profile,
                trace=args.trace,
                artifacts_dir=_artifacts_dir(args),
            ),
        )
        if not headless:
            return _run_app(args, specs)
        return _run_headless(args, specs)
    except KeyboardInterrupt:
        print("nimsync-tui: stopped by SIGINT before anything was recorded", file=sys.stderr)
        return ExitStatus.SIGINT
    except NimsyncError as exc:
        print(f"nimsync-tui: {exc}", file=sys.stderr)
        return exc.exit_status


def _artifacts_dir(args: argparse.Namespace) -> str | None:
    """Where ``--profile`` and ``--trace`` write: into the recording, or beside ``--output``."""
    if args.record is not None:
        return str(args.record)
    output = getattr(args, "output", None)
    return str(Path(output).parent) if output is not None else None


def _run_app(args: argparse.Namespace, specs: list[RunSpec]) -> int:
    """Open the live monitor over ``specs``, or over the log of ``--replay``."""
    # Imported here: headless modes never load Textual.
    from .monitor.baseline import Baseline  # noqa: PLC0415
    from .monitor.replay import ReplaySource  # noqa: PLC0415
    from .monitor.session import LiveSession  # noqa: PLC0415
    from .tui import MonitorApp  # noqa: PLC0415

    ns_per_unit = VALUE_UNITS_NS[args.value_unit or "ns"]
    source: LiveSession | ReplaySource
    if args.replay is not None:
        source = ReplaySource(args.replay, value_unit=args.value_unit or "ns")
    else:
        if args.duration is None and args.iterations is None:
            specs = [_continuous(s) for s in specs]
        baseline = Baseline.load(args.compare, ns_per_unit) if args.compare is not None else None
        source = LiveSession(specs, baseline=baseline)
    app = MonitorApp(source)
    status = app.run()
    # None: the app ended on an error of its own, which Textual has printed.
    return status if status is not None else app.return_code or ExitStatus.FAILED


def _continuous(spec: RunSpec) -> RunSpec:
    """Live, a scenario runs until the user stops it rather than for the suite's count.

    Not a stepped one, whose first step would then never end: its steps keep
    their counts (or its own duration), so the step chart fills.
    """
    if SCENARIOS[spec.scenario].steps is not None or spec.duration_s is not None:
        return spec
    return dataclasses.replace(spec, params=dataclasses.replace(spec.params, iterations=None))


def _run_headless(args: argparse.Namespace, specs: list[RunSpec]) -> int:
    if args.record is None:
        raise ConfigError("a headless run needs --record DIR")
    if args.duration is not None and math.isinf(args.duration) and len(specs) > 1:
        raise ConfigError(
            f"--duration inf runs one scenario until stopped, and {len(specs)} match; choose one with --pattern"
        )
    timeout_s = scenario_timeout(args.timeout, args.duration)
    # A file size limit (ulimit -f) must give a write error we can report,
    # not the signal's default of ending the process with a core dump.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    progress = _Progress(sys.stderr)
    try:
        # SIGTERM and SIGHUP stop a headless run as Ctrl-C does; once the
        # recording runs, the recorder handles all three more gently still.
        with (
            stop_signals(raise_stop_signal),
            OutputDir(args.record, [s.scenario for s in specs], overwrite=args.overwrite) as out,
        ):
            if (busy := busy_machine()) is not None:
                progress.notice(f"warning: {busy}")
            recorder = Recorder(
                out, specs, progress, notice=progress.notice, overwrite=args.overwrite, timeout_s=timeout_s
            )
            results = recorder.run()
    except OSError as exc:  # the disk filled up or a file vanished mid-run
        progress.notice(f"cannot write {exc.filename or args.record}: {exc.strerror}")
        return ExitStatus.FAILED
    except StopSignal as stop:  # a second stop signal, or one before the recording ran: no time to finish
        partial = args.record / PARTIAL_LOG_NAME
        where = f"what was measured is in {partial}" if partial.exists() else "nothing was recorded"
        progress.notice(f"stopped by {stop.name} before the recording was finished; {where}")
        return stop.exit_status
    # The files are written. A terminal closed under us (SIGHUP) or a reader
    # that left (a closed pipe) can still make the summary fail: the status
    # must say what happened to the recording, not to the summary.
    with contextlib.suppress(OSError):
        progress.done()
        print_summary(results, sys.stdout)
        if recorder.not_run:
            print(f"not run: {', '.join(recorder.not_run)}")
        print(f"recorded in {args.record}", flush=True)
    if recorder.stopped_by is not None:
        stopped = StopSignal(recorder.stopped_by)
        progress.notice(f"stopped by {stopped.name}; what was measured is in {args.record}")
        return stopped.exit_status
    if any(r.status in ("failed", "timed_out") for r in results):
        return ExitStatus.FAILED
    return ExitStatus.OK


def _replay_headless(args: argparse.Namespace) -> int:
    replay = replay_log(args.replay, args.value_unit or "ns")
    if args.record is not None:
        try:
            write_replay(replay, args.record, overwrite=args.overwrite)
        except OSError as exc:
            print(f"nimsync-tui: cannot write {exc.filename or args.record}: {exc.strerror}", file=sys.stderr)
            return ExitStatus.FAILED
    print_summary(replay.results, sys.stdout)
    if args.record is not None:
        print(f"recorded in {args.record}")
    return ExitStatus.OK


def print_summary(results: list[ScenarioResult], out: TextIO) -> None:
    """Two lines per scenario: its rate, then what its histogram says (or why it failed)."""
    for r in results:
        if r.error is not None:
            print(f"{r.name:<18} {r.status.upper().replace('_', ' ')}: {r.error}", file=out)
        lat = r.latency_ns
        print(
            f"{r.name:<18} {r.operations:>13,} {r.operation}s in {r.duration_s:.3f} s = "
            f"{r.throughput_ops_s:,.0f} ops/s [{r.status}]",
            file=out,
        )
        print(
            f"{'':<18} {r.measures}: p50 {lat.p50 / 1e3:.3f} µs, p99 {lat.p99 / 1e3:.3f} µs, "
            f"max {lat.max / 1e3:.3f} µs",
            file=out,
        )


_ERASE_LINE = "\r\x1b[K"
"""Back to the start of the terminal's line and clear it."""


class _Progress:
    """One status line on stderr: rewritten in place on a terminal, appended otherwise.

    Once a write fails (the terminal was closed, the reader of the pipe left)
    nothing more is written: the recording goes on and ends as it would have.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream: TextIO | None = stream
        self._tty = stream.isatty()

    def __call__(self, line: str) -> None:
        self._write(_ERASE_LINE + line if self._tty else f"{line}\n")

    def notice(self, line: str) -> None:
        """A line that stays: what went wrong, addressed to the user."""
        self._write((_ERASE_LINE if self._tty else "") + f"nimsync-tui: {line}\n")

    def done(self) -> None:
        """End the in-place line so what follows starts on a fresh one."""
        if self._tty:
            self._write("\n")

    def _write(self, text: str) -> None:
        if self._stream is None:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except OSError:
            self._stream = None
