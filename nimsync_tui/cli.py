"""The ``nimsync-tui`` command."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import re
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import NoReturn, TextIO

from nimsync_tui.scenarios import IMPLEMENTATIONS, SCENARIOS, Scenario

from . import __version__
from .core.files import write_atomically
from .core.recording import PARTIAL_LOG_NAME, find_log
from .core.units import VALUE_UNITS_NS
from .errors import ConfigError, ExitStatus, NimsyncError
from .run.config import DEFAULT_INTERVAL_S, Overrides, RunOptions, RunSpec, plan_runs, select_scenarios
from .run.record import OutputDir, Recorder, scenario_timeout
from .run.replay import replay_log, write_replay
from .run.resources import busy_machine
from .run.stopping import StopSignal, exit_status_of, raise_stop_signal, stop_signals
from .serve.options import ServeOptions, add_serve_options, app_arguments, serve_options, tab_command
from .suite.baseline import Baseline, load_baseline
from .suite.benchmark_config import BenchmarkConfig, Thresholds, load_config
from .suite.compare import Comparison, compare, format_comparison
from .suite.report import SuiteReport, judge
from .suite.stats_document import stats_json
from .suite.summary import print_summary
from .suite.targets import Target
from .verdict_outputs import VerdictOutputs, add_verdict_options

EXIT_STATUSES = """exit status: 0 done; 1 a scenario failed or timed out (the others ran), or a file could not
be written; 2 bad options, paths, config or baseline (nothing run, nothing created); 3 a target or check missed
(with --performance; UNREACHABLE and N/A ones only with --strict-targets); 4 a regression against --compare
(past its threshold and significant), or after history's newest change point; 129, 130, 143
stopped by SIGHUP, SIGINT, SIGTERM (what was measured is still written). A stop outranks 1, and 1 outranks 3
and 4."""

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
        "HDR latency histograms, throughput and memory. 'nimsync-tui history' shows the kept runs by commit "
        "(see 'nimsync-tui history --help').",
        epilog=EXIT_STATUSES,
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
    p.add_argument("--overwrite", action="store_true", help="replace the files of an earlier recording in DIR")
    suite = p.add_argument_group("the suite's runner: repetitions, targets, baselines")
    suite.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="the suite's BenchmarkConfig as TOML (default: [tool.nimsync-tui] of ./pyproject.toml)",
    )
    suite.add_argument(
        "--repeat", metavar="N", type=_count, help="measure each scenario N times, each in a fresh process (default 3)"
    )
    suite.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        help="stop a scenario run (each step of a stepped one) still going after S seconds, warm-up included, "
        "and report it as timed out (default: 30, plus --duration)",
    )
    suite.add_argument(
        "--performance",
        action="store_true",
        help="run headless as the suite's test runner: exit 3 when a target or check is missed",
    )
    suite.add_argument("--baseline", metavar="FILE", type=Path, help="save this run as a baseline (JSON) to FILE")
    suite.add_argument(
        "--compare",
        metavar="FILE",
        type=Path,
        help="headless: compare with a baseline saved by --baseline, exit 4 on a significant regression; "
        "in the app: a recording directory or .hlog whose percentile curve is drawn as the baseline",
    )
    suite.add_argument(
        "--regression-threshold",
        metavar="X",
        type=_fraction,
        help="one regression threshold for every metric, as a fraction (default: throughput 0.05, "
        "latency 0.10, memory 0.15)",
    )
    suite.add_argument(
        "--strict-targets",
        action="store_true",
        help="with --performance: a target this runtime cannot reach (UNREACHABLE) or that the mode makes "
        "meaningless (N/A) counts as missed too",
    )
    suite.add_argument(
        "--only-changes", action="store_true", help="the compare lists only the rows that changed or are undecided"
    )
    suite.add_argument("--verbose", action="store_true", help="print each interval and each repetition on its own line")
    suite.add_argument("--stats", action="store_true", help="add the statistical analysis to the summary")
    suite.add_argument("--output", metavar="FILE", type=Path, help="write the statistical analysis as JSON to FILE")
    add_verdict_options(p)
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
    add_serve_options(p)
    return p


def _directory(text: str) -> Path:
    # Path("") is ".", which would record into whatever directory we run in.
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a directory, not an empty string")
    return Path(text)


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 100:
        raise ValueError(text)
    return value


# argparse names the type in its message ("invalid _count value"): name what is expected instead.
_count.__name__ = "positive integer"
_fraction.__name__ = "non-negative fraction (0.05 = 5 %)"


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
    return args.record is not None or args.performance or not stdout_is_tty


def benchmark_config(args: argparse.Namespace, working_dir: Path) -> BenchmarkConfig:
    """The config file's settings with the command line's on top."""
    config = load_config(args.config, working_dir)
    x = args.regression_threshold
    return dataclasses.replace(
        config,
        measurement_iterations=config.measurement_iterations if args.repeat is None else args.repeat,
        timeout_s=config.timeout_s if args.timeout is None else args.timeout,
        iterations=config.iterations if args.iterations is None else args.iterations,
        warmup_iterations=config.warmup_iterations if args.warmup is None else args.warmup,
        thresholds=config.thresholds if x is None else Thresholds(throughput=x, latency=x, memory=x),
    )


def planned_runs(
    args: argparse.Namespace, config: BenchmarkConfig, *, interval_s: float = DEFAULT_INTERVAL_S
) -> list[RunSpec]:
    """The checked run specs of the command line over the config."""
    return plan_runs(
        args.pattern,
        Overrides(
            impl=args.impl,
            capacity=args.capacity,
            producers=args.producers,
            consumers=args.consumers,
            # A config file's counts apply only where no --duration asks for a continuous run.
            iterations=config.iterations if args.duration is None else None,
            warmup=config.warmup_iterations,
            yield_every=args.yield_every,
            sample_every=args.sample_every,
            rate=args.rate,
            parallel=args.parallel if args.parallel is not None else (True if config.parallel else None),
            workers=args.workers if args.workers is not None else config.workers,
        ),
        interval_s=interval_s,
        duration_s=args.duration,
        options=RunOptions(
            pin_cpu=args.pin_cpu,
            profile=args.profile,
            trace=args.trace,
            artifacts_dir=_artifacts_dir(args),
        ),
    )


def main(argv: list[str] | None = None, *, in_browser: bool = False) -> int:
    """Run the command; returns the exit status.

    ``in_browser``: this process is one ``--serve`` tab, whose terminal is the browser.
    """
    argv = normalize_suite_spellings(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["history"]:
        from . import history_cli  # noqa: PLC0415 (ruptures loads only for the history command)

        return history_cli.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.list:
            list_scenarios(select_scenarios(args.pattern), sys.stdout)
            return ExitStatus.OK
        serving = serve_options(args)
        headless = serving is None and is_headless(args, in_browser or sys.stdout.isatty())
        if args.replay is not None:
            if serving is not None:
                return _serve(serving, args, argv)
            return _replay_headless(args) if headless else _run_app(args, [], ())
        config = benchmark_config(args, Path.cwd())
        specs = planned_runs(
            args,
            config,
            # "is None", not "or": --interval 0 is a mistake to report, not a request for the default.
            interval_s=args.interval
            if args.interval is not None
            else (DEFAULT_INTERVAL_S if headless else LIVE_INTERVAL_S),
        )
        if serving is not None:  # the options are checked (above) before a server starts
            return _serve(serving, args, argv)
        if not headless:
            return _run_app(args, specs, config.targets)
        return _run_headless(args, specs, config)
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


def _run_app(args: argparse.Namespace, specs: list[RunSpec], targets: Sequence[Target]) -> int:
    """Open the live monitor over ``specs`` judged against ``targets``, or over the log of ``--replay``."""
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
        source = LiveSession(specs, baseline=baseline, targets=targets)
    app = MonitorApp(source, history=args.history)
    status = app.run()
    # None: the app ended on an error of its own, which Textual has printed.
    return status if status is not None else app.return_code or ExitStatus.FAILED


def _serve(options: ServeOptions, args: argparse.Namespace, argv: list[str]) -> int:
    """Serve the app to browsers: each tab runs it with ``argv`` minus the serve options."""
    from .serve.server import serve  # noqa: PLC0415 (aiohttp and textual-serve load only for --serve)

    if args.replay is not None:
        find_log(args.replay)  # a wrong path fails here, once, not in every tab
    return serve(tab_command(app_arguments(argv)), options)


def _continuous(spec: RunSpec) -> RunSpec:
    """Live, a scenario runs until the user stops it rather than for the suite's count.

    Not a stepped one, whose first step would then never end: its steps keep
    their counts (or its own duration), so the step chart fills.
    """
    if SCENARIOS[spec.scenario].steps is not None or spec.duration_s is not None:
        return spec
    return dataclasses.replace(spec, params=dataclasses.replace(spec.params, iterations=None))


def _run_headless(args: argparse.Namespace, specs: list[RunSpec], config: BenchmarkConfig) -> int:
    """Run, print the summary; write a recording, baseline or statistics only where asked."""
    # Everything that can be refused is refused before anything runs or is created.
    if args.duration is not None and math.isinf(args.duration) and len(specs) > 1:
        raise ConfigError(
            f"--duration inf runs one scenario until stopped, and {len(specs)} match; choose one with --pattern"
        )
    timeout_s = scenario_timeout(config.timeout_s, args.duration)
    baseline = load_baseline(args.compare) if args.compare is not None else None
    for option, path in (("--baseline", args.baseline), ("--output", args.output)):
        if path is not None and not path.parent.is_dir():
            raise ConfigError(f"{option} {path}: the directory {path.parent} does not exist")
    verdicts = VerdictOutputs.open(args, Path.cwd())  # the last refusal: it opens (or creates) the history store
    # A file size limit (ulimit -f) must give a write error we can report,
    # not the signal's default of ending the process with a core dump.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    progress = _Progress(sys.stderr, verbose=args.verbose)
    started_at = datetime.now(UTC)
    run: Recorder | None = None
    try:
        # SIGTERM and SIGHUP stop a headless run as Ctrl-C does; once the
        # recording runs, the recorder handles all three more gently still.
        with stop_signals(raise_stop_signal), contextlib.ExitStack() as stack:
            out = None
            if args.record is not None:
                out = stack.enter_context(OutputDir(args.record, [s.scenario for s in specs], overwrite=args.overwrite))
            run = Recorder(
                out,
                specs,
                progress,
                notice=progress.notice,
                overwrite=args.overwrite,
                timeout_s=timeout_s,
                repeat=config.measurement_iterations,
                judge=partial(judge, targets=config.targets),
            )
            run.environment.update(verdicts.identity)
            _warn_if_busy(progress)
            run.run()
    except OSError as exc:  # the disk filled up or a file vanished mid-run
        progress.notice(f"cannot write {exc.filename or args.record}: {exc.strerror}")
        return _exit_status(args, run.stopped_by if run is not None else None, failed=True)
    except StopSignal as stop:  # a second stop signal, or one before the recording ran: no time to finish
        partial_log = None if args.record is None else args.record / PARTIAL_LOG_NAME
        where = (
            f"what was measured is in {partial_log}"
            if partial_log is not None and partial_log.exists()
            else "nothing was recorded"
        )
        progress.notice(f"stopped by {stop.name} before the recording was finished; {where}")
        return stop.exit_status
    progress.done()
    assert run.report is not None  # run() returned
    report = run.report
    now = Baseline.of(
        report,
        environment=run.environment,
        run={
            "repeat": config.measurement_iterations,
            "interval_s": specs[0].interval_s,
            "duration_s": args.duration,
        },
        recorded_at=started_at,
    )
    comparison = compare(baseline, now, config.thresholds) if baseline is not None else None
    # The files are written. A terminal closed under us (SIGHUP) or a reader
    # that left (a closed pipe) can still make the summary fail: the status
    # must say what happened to the run, not to the summary.
    with contextlib.suppress(OSError):
        print_summary(report, sys.stdout, stats=args.stats or args.output is not None, strict=args.strict_targets)
        if run.not_run:
            print(f"not run: {', '.join(run.not_run)}")
        if baseline is not None and comparison is not None:
            if comparison.warning:
                progress.notice(f"warning: {comparison.warning}")
            for line in format_comparison(
                comparison, str(args.compare), baseline.recorded_at, only_changes=args.only_changes
            ):
                print(line)
        sys.stdout.flush()
    write_failed = False
    try:
        _write_outputs(args, now, report, comparison, stopped=run.stopped_by is not None, progress=progress)
    except OSError as exc:
        progress.notice(f"cannot write {exc.filename}: {exc.strerror}")
        write_failed = True
    if run.stopped_by is None:  # a stopped run's rows are not the run's figures: no history, no CI files
        try:
            for line in verdicts.write(report, comparison, started_at=started_at, environment=run.environment):
                _say(line)
        except OSError as exc:
            progress.notice(f"cannot write {exc.filename}: {exc.strerror}")
            write_failed = True
    if run.stopped_by is not None:
        where = f"what was measured is in {args.record}" if args.record is not None else "nothing was written"
        progress.notice(f"stopped by {StopSignal(run.stopped_by).name}; {where}")
    return _exit_status(args, run.stopped_by, report, comparison, failed=write_failed)


def _warn_if_busy(progress: _Progress) -> None:
    """Once the run is sure to start (nothing left to refuse): figures from a busy machine are noisy."""
    if (busy := busy_machine()) is not None:
        progress.notice(f"warning: {busy}")


def _say(line: str) -> None:
    """A line on stdout that may find no reader (see :func:`_run_headless`): the outcome stands regardless."""
    with contextlib.suppress(OSError):
        print(line, flush=True)


def _write_outputs(
    args: argparse.Namespace,
    now: Baseline,
    report: SuiteReport,
    comparison: Comparison | None,
    *,
    stopped: bool,
    progress: _Progress,
) -> None:
    if args.baseline is not None:
        if stopped:
            # A baseline missing the scenarios after the stop would make later compares quietly partial.
            progress.notice(f"stopped early, so no baseline was saved to {args.baseline}")
        else:
            now.save(args.baseline)
            _say(f"baseline saved to {args.baseline}")
    if args.output is not None:
        write_atomically(args.output, stats_json(now, report, comparison))
        _say(f"statistics written to {args.output}")
    if args.record is not None:
        _say(f"recorded in {args.record}")


def _exit_status(
    args: argparse.Namespace,
    stopped_by: int | None,
    report: SuiteReport | None = None,
    comparison: Comparison | None = None,
    *,
    failed: bool = False,
) -> ExitStatus:
    """A stop outranks a failure, and a failure a judgement: each says the one after it is incomplete.

    ``failed``: a file could not be written; ``report`` is ``None`` when the run never got to one.
    """
    if stopped_by is not None:
        return exit_status_of(stopped_by)
    if failed or report is None or any(row.result.status in ("failed", "timed_out") for row in report.rows):
        return ExitStatus.FAILED
    if comparison is not None and comparison.regressions:
        return ExitStatus.REGRESSION
    if args.performance and (report.missed_strictly() if args.strict_targets else report.missed):
        return ExitStatus.TARGET_MISSED
    return ExitStatus.OK


def _replay_headless(args: argparse.Namespace) -> int:
    replay = replay_log(args.replay, args.value_unit or "ns")
    if args.record is not None:
        try:
            write_replay(replay, args.record, overwrite=args.overwrite)
        except OSError as exc:
            print(f"nimsync-tui: cannot write {exc.filename or args.record}: {exc.strerror}", file=sys.stderr)
            return ExitStatus.FAILED
    print_summary(replay.report, sys.stdout)
    if args.record is not None:
        print(f"recorded in {args.record}")
    return ExitStatus.OK


_ERASE_LINE = "\r\x1b[K"
"""Back to the start of the terminal's line and clear it."""


class _Progress:
    """One status line on stderr: rewritten in place on a terminal, appended otherwise (or with ``verbose``).

    Once a write fails (the terminal was closed, the reader of the pipe left)
    nothing more is written: the recording goes on and ends as it would have.
    """

    def __init__(self, stream: TextIO, *, verbose: bool = False) -> None:
        self._stream: TextIO | None = stream
        self._tty = stream.isatty() and not verbose

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
