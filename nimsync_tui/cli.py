"""The ``nimsync-tui`` command."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from nimsync_tui.scenarios import BUILTINS, LOOPS, SCENARIOS, ImplementationError, Scenario, entry_points, resolve

from . import __version__
from .core.counts import MAX_DENSE_COUNTS
from .core.processor import LogWindow, correct_interval, parse_range
from .core.units import VALUE_UNITS_NS
from .errors import ConfigError, ExitStatus, NimsyncError
from .recording.names import find_log
from .run.config import (
    DEFAULT_INTERVAL_S,
    MATRIX_PARAMETERS,
    Overrides,
    RunOptions,
    RunSpec,
    plan_runs,
    runnable,
    select_scenarios,
)
from .run.headless import HeadlessRequest, replay_headless, run_headless
from .run.verdict_outputs import STEP_SUMMARY, VerdictRequest
from .serve.options import ServeOptions, add_serve_options, app_arguments, serve_options, tab_command
from .suite.benchmark_config import BenchmarkConfig, Thresholds, load_config
from .suite.history import default_machine, default_path
from .suite.targets import Target

EXIT_STATUSES = """exit status: 0 done; 1 a scenario failed or timed out (the others ran), or a file could not
be written; 2 bad options, paths, config or baseline (nothing run, nothing created); 3 a target or check missed
(with --performance; UNREACHABLE and N/A ones only with --strict-targets); 4 a regression against --compare
(past its threshold and significant), or after history's newest change point; 129, 130, 143
stopped by SIGHUP, SIGINT, SIGTERM (what was measured is still written). A stop outranks 1, and 1 outranks 3
and 4."""

LIVE_INTERVAL_S = 0.25
"""The app's interval: four redraws' worth of new data a second."""


_UNRECOGNIZED = "unrecognized arguments: "
_NEAR_MISS = 0.75
"""How alike (difflib's ratio) an unknown option must be to one of ours to be suggested: a typo, not a guess."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: the user needs the reason.
        if message.startswith(_UNRECOGNIZED):
            message += did_you_mean(message[len(_UNRECOGNIZED) :].split(), list(self._option_string_actions))
        self.exit(ExitStatus.USAGE, f"{self.prog}: {message} (see --help)\n")


def did_you_mean(given: Sequence[str], options: Sequence[str]) -> str:
    """``"; did you mean --record?"`` for the first of ``given`` that is a near miss of one of ``options``, else ``""``.

    argparse suggests only from Python 3.14 on (``suggest_on_error``).
    """
    # Compared without the dashes, which every option shares: "--bogus" is no near miss of "--verbose".
    names = {option.lstrip("-"): option for option in options if option.startswith("--")}
    for word in given:
        if word.startswith("--") and (
            close := difflib.get_close_matches(word.partition("=")[0][2:], names, n=1, cutoff=_NEAR_MISS)
        ):
            return f"; did you mean {names[close[0]]}?"
    return ""


def build_parser() -> argparse.ArgumentParser:
    """The command line, also used to render ``--help``."""
    p = _Parser(
        prog="nimsync-tui",
        description="Live benchmark monitor for async channels (any channel, on Trio, asyncio or uvloop). "
        "Runs the nimsync suite's load scenarios in a separate process and records "
        "HDR latency histograms, throughput and memory. 'nimsync-tui history' shows the kept runs by commit "
        "(see 'nimsync-tui history --help').",
        epilog=EXIT_STATUSES,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument(
        "--list-impls",
        action="store_true",
        help="list the channel implementations found (built-in and entry points): loop, parts, scenarios",
    )
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
    p.add_argument(
        "--max-counts",
        metavar="N",
        type=_max_counts,
        help=f"the app's --replay and --compare, and --report, keep dense histograms per tag: at most N counts "
        f"in all (default {MAX_DENSE_COUNTS:,}: up to about 430 MB); a log past it is refused in one line",
    )
    processor = p.add_argument_group(
        "--replay LOG --record DIR as Java's HistogramLogProcessor reads a log (the .hgrm files equal its output)"
    )
    processor.add_argument(
        "--range", metavar="START:END", help="only the intervals that start START to END seconds after the log's start"
    )
    processor.add_argument("--csv", action="store_true", help="write the .hgrm files in the processor's -csv form")
    p.add_argument(
        "--report",
        metavar="FILE.html",
        type=Path,
        help="with --replay: write one self-contained HTML report of the log (charts, tables, verdicts; opens "
        "offline) and PNG/SVG of each tag's spectrum and timeline beside it (needs the extra 'report')",
    )
    processor.add_argument(
        "--correct-co",
        metavar="INTERVAL",
        help="correct a log known to be recorded with coordinated omission: INTERVAL is the expected interval "
        "between values, in the log's value unit; a log already corrected (a .corrected tag) is refused",
    )
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
        "and report it as timed out (default: no time limit; a load that completes no operation for 30 s is stopped)",
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
        action="append",
        help="headless: compare with a baseline saved by --baseline, exit 4 on a significant regression; "
        "in the app: a recording directory or .hlog whose percentile curve is drawn as a baseline "
        "(repeat it to draw several; t chooses which)",
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
        "--impl",
        metavar="SPEC[,SPEC...]",
        help=f"the channel: a built-in ({', '.join(BUILTINS)}), an entry point's name, module:callable or "
        "path/file.py:callable (takes the capacity, returns (send_end, receive_end)); several, separated by "
        "commas, run side by side with their repetitions interleaved",
    )
    load.add_argument(
        "--loop",
        choices=LOOPS,
        help="the event loop the load runs on (default: the implementation's own; uvloop is an optional extra)",
    )
    load.add_argument(
        "--matrix",
        metavar="NAME=V1,V2",
        nargs="+",
        type=_matrix_axis,
        help=f"cross parameters ({', '.join(MATRIX_PARAMETERS)}) for the selected implementations: one row per cell",
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


def add_verdict_options(parser: argparse.ArgumentParser) -> None:
    """The history and CI-file options of a headless run."""
    group = parser.add_argument_group("history and results CI reads")
    group.add_argument(
        "--history",
        metavar="PATH",
        type=Path,
        help=f"the history store every --record/--performance run appends to (default {default_path()})",
    )
    group.add_argument("--no-history", action="store_true", help="keep this run out of the history store")
    group.add_argument("--commit", metavar="TEXT", help="the commit to file this run under (default: git's HEAD here)")
    group.add_argument(
        "--machine", metavar="NAME", help=f"this machine's name in the history (default {default_machine()})"
    )
    group.add_argument("--junit", metavar="FILE", type=Path, help="write the targets and the compare as JUnit XML")
    group.add_argument(
        "--markdown",
        metavar="FILE",
        type=Path,
        help=f"write the summary and the compare as markdown (also appended to ${STEP_SUMMARY} when set)",
    )


MAX_COUNTS_LIMIT = 1 << 34
"""The most ``--max-counts`` takes: 128 GiB of counts, past any machine that would run the app."""


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


def _max_counts(text: str) -> int:
    value = int(text) if text.isascii() and text.isdigit() else 0
    if not 1 <= value <= MAX_COUNTS_LIMIT:
        raise argparse.ArgumentTypeError(f"invalid count {text!r} (a whole number, 1 to {MAX_COUNTS_LIMIT:,})")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 100:
        raise ValueError(text)
    return value


def _matrix_axis(text: str) -> tuple[str, list[int]]:
    name, sep, values = text.partition("=")
    numbers = [int(v) for v in values.split(",")] if sep and values else []
    if not numbers:
        raise ValueError(text)
    return name.replace("-", "_"), numbers


# argparse names the type in its message ("invalid _count value"): name what is expected instead.
_count.__name__ = "positive integer"
_matrix_axis.__name__ = "NAME=V1,V2 (integers)"
_fraction.__name__ = "non-negative fraction (0.05 = 5 %)"


def list_implementations(out: TextIO) -> None:
    """Print every implementation found: built-ins, then entry points; its loop, its parts, what it can run."""
    print(f"{'implementation':<16} {'from':<24} {'loop':<8} parts / scenarios it can run", file=out)
    for name in [*BUILTINS, *entry_points()]:
        try:
            impl = resolve(name)
            parts = ", ".join(impl.parts())
            can = [s.name for s in SCENARIOS.values() if impl.missing(s.needs_with(s.defaults)) is None]
        except (ImplementationError, ImportError) as exc:
            print(f"{name:<16} unavailable: {exc}", file=out)
            continue
        print(f"{name:<16} {impl.origin:<24} {impl.loop or 'any':<8} {parts}", file=out)
        print(f"{'':<50} {len(can)} of {len(SCENARIOS)}: {', '.join(can)}", file=out)


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
    """The app opens only on a terminal, with no headless option (docs/architecture.md)."""
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
            loop=args.loop,
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
        matrix=dict(args.matrix) if args.matrix else None,
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
        if args.list_impls:
            list_implementations(sys.stdout)
            return ExitStatus.OK
        serving = serve_options(args)
        if args.max_counts is not None and args.replay is None and args.compare is None:
            raise ConfigError("--max-counts bounds the log of --replay or --compare: give one of them")
        headless = serving is None and is_headless(args, in_browser or sys.stdout.isatty())
        window = _log_window(args, headless=headless and serving is None)
        if args.replay is not None:
            if serving is not None:
                return _serve(serving, args, argv)
            if headless:
                if args.report is not None:
                    _write_report(args)
                return replay_headless(
                    args.replay, args.value_unit or "ns", args.record, overwrite=args.overwrite, window=window,
                    csv=args.csv,
                ).status  # fmt: skip
            return _run_app(args, [], ())
        config = benchmark_config(args, Path.cwd())
        specs = planned_runs(
            args,
            config,
            # "is None", not "or": --interval 0 is a mistake to report, not a request for the default.
            interval_s=args.interval
            if args.interval is not None
            else (DEFAULT_INTERVAL_S if headless else LIVE_INTERVAL_S),
        )
        specs, skipped = runnable(specs)
        for line in skipped:
            print(f"nimsync-tui: {line}", file=sys.stderr)
        if not specs:
            raise ConfigError("nothing left to run: every selected scenario was skipped (see above)")
        if serving is not None:  # the options are checked (above) before a server starts
            return _serve(serving, args, argv)
        if not headless:
            return _run_app(args, specs, config.targets)
        return run_headless(_headless_request(args), specs, config).status
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
    from .monitor.baseline import BaselineCurve  # noqa: PLC0415
    from .monitor.replay import ReplaySource  # noqa: PLC0415
    from .monitor.session import LiveSession  # noqa: PLC0415
    from .tui import MonitorApp  # noqa: PLC0415

    ns_per_unit = VALUE_UNITS_NS[args.value_unit or "ns"]
    source: LiveSession | ReplaySource
    baselines = [BaselineCurve.load(path, ns_per_unit, max_counts=_dense_bound(args)) for path in args.compare or ()]
    if args.replay is not None:
        source = ReplaySource(
            args.replay, value_unit=args.value_unit or "ns", baselines=baselines, max_counts=_dense_bound(args)
        )
    else:
        if args.duration is None and args.iterations is None:
            specs = [_continuous(s) for s in specs]
        first, implementations = _one_per_scenario(specs, given=args.impl)
        source = LiveSession(
            first,
            baseline=baselines[0] if baselines else None,
            more_baselines=baselines[1:],
            targets=targets,
            implementations=implementations,
        )
    app = MonitorApp(source, history=args.history)
    status = app.run()
    # None: the app ended on an error of its own, which Textual has printed.
    return status if status is not None else app.return_code or ExitStatus.FAILED


def _dense_bound(args: argparse.Namespace) -> int:
    """The counts the app's dense histograms of one log may hold in all: ``--max-counts``, or the default."""
    return MAX_DENSE_COUNTS if args.max_counts is None else int(args.max_counts)


def _one_per_scenario(specs: list[RunSpec], *, given: str | None) -> tuple[list[RunSpec], list[tuple[str, str]]]:
    """The app's specs (the first implementation's, untagged) and the implementations ``i`` cycles through:
    those given with ``--impl``, else every built-in that is installed, each on its own loop."""
    pairs = list(dict.fromkeys((s.params.impl, s.params.loop) for s in specs))
    first = [dataclasses.replace(s, tag=None) for s in specs if (s.params.impl, s.params.loop) == pairs[0]]
    if given is None:
        pairs = [(name, impl.default_loop) for name, impl in BUILTINS.items() if impl.installed()]
    return first, pairs


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


def _headless_request(args: argparse.Namespace) -> HeadlessRequest:
    return HeadlessRequest(
        record=args.record,
        overwrite=args.overwrite,
        duration_s=args.duration,
        compare=_one_baseline(args.compare),
        baseline=args.baseline,
        output=args.output,
        performance=args.performance,
        verbose=args.verbose,
        stats=args.stats,
        only_changes=args.only_changes,
        verdicts=VerdictRequest(
            history=args.history,
            keep_history=not args.no_history,
            commit=args.commit,
            machine=args.machine,
            junit=args.junit,
            markdown=args.markdown,
            strict_targets=args.strict_targets,
        ),
    )


def _one_baseline(paths: list[Path] | None) -> Path | None:
    """Headless, the baseline to compare with: one; several are drawn only in the app."""
    if paths and len(paths) > 1:
        raise ConfigError("--compare: a headless run compares with one baseline (several are drawn in the app)")
    return paths[0] if paths else None


def _log_window(args: argparse.Namespace, *, headless: bool) -> LogWindow:
    """The processor's options of the command line; :class:`ConfigError` for a bad one, or one given
    where no log is read headless (they shape the files of ``--replay LOG --record DIR``)."""
    given = [name for name in ("range", "csv", "correct_co", "report") if getattr(args, name)]
    if given and (args.replay is None or not headless):
        raise ConfigError(f"--{given[0].replace('_', '-')} shapes the files of a log: use --replay LOG --record DIR")
    start, end = parse_range(args.range) if args.range else (0.0, math.inf)
    return LogWindow(start, end, correct_interval(args.correct_co) if args.correct_co else 0)


def _write_report(args: argparse.Namespace) -> None:
    """``--report FILE.html``: the log's report, and its chart images beside it."""
    from .reports.html import write_report  # noqa: PLC0415 - plotly and matplotlib only for a report
    from .reports.images import write_images  # noqa: PLC0415
    from .reports.views import log_views  # noqa: PLC0415

    views = log_views(args.replay, args.value_unit or "ns", max_counts=_dense_bound(args))
    try:
        args.report.parent.mkdir(parents=True, exist_ok=True)  # as the app's e does
        write_report(views, args.report)
        images = write_images(views, args.report.with_suffix(""))
    except OSError as exc:
        raise ConfigError(f"cannot write the report {exc.filename or args.report}: {exc.strerror}") from None
    print(f"report in {args.report} (and {len(images)} chart images beside it)")
