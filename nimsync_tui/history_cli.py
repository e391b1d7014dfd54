"""``nimsync-tui history``: the stored figures by commit, with trends and change points; ``history import``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn, TextIO

from .errors import ExitStatus
from .run.config import select_scenarios
from .suite.benchmark_config import load_config
from .suite.history import HistoryError, HistoryStore, default_machine, default_path, run_of_results
from .suite.trends import Series, series_of, series_table


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(ExitStatus.USAGE, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """``history`` and ``history import``."""
    p = _Parser(
        prog="nimsync-tui history",
        description="The figures of every --record and --performance run, by commit on one machine, with their "
        "trend and change points. Exit 4 when the newest commit sits after a change point that is a regression.",
    )
    p.add_argument("--history", metavar="PATH", type=Path, help=f"the store (default {default_path()})")
    p.add_argument("--pattern", metavar="TEXT", default="*", help="scenarios, as the run's --pattern selects them")
    p.add_argument("--machine", metavar="NAME", help=f"the machine whose figures to show (default {default_machine()})")
    p.add_argument("--impl", metavar="NAME", help="only the figures of this implementation (default: whichever ran)")
    p.add_argument("--since", metavar="DATE", help="only runs recorded at or after DATE (ISO 8601, e.g. 2026-11-01)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--config", metavar="FILE", type=Path, help="the thresholds of this BenchmarkConfig (TOML)")
    return p


def build_import_parser() -> argparse.ArgumentParser:
    """``history import DIR...``."""
    p = _Parser(
        prog="nimsync-tui history import",
        description="Add recordings (each DIR's results.json, or the file itself) made elsewhere, e.g. CI "
        "artifacts. Importing a run twice adds nothing.",
    )
    p.add_argument("recordings", metavar="DIR", type=Path, nargs="+")
    p.add_argument("--history", metavar="PATH", type=Path, help=f"the store (default {default_path()})")
    p.add_argument("--commit", metavar="TEXT", help="the commit of recordings that do not name one")
    p.add_argument("--machine", metavar="NAME", help="the machine of recordings that do not name one")
    return p


def main(argv: list[str], out: TextIO = sys.stdout) -> int:
    """Run ``history ...`` (``argv`` without the word ``history``); returns the exit status."""
    try:
        if argv[:1] == ["import"]:
            return _import(build_import_parser().parse_args(argv[1:]), out)
        return _show(build_parser().parse_args(argv), out)
    except HistoryError as exc:
        print(f"nimsync-tui: {exc}", file=sys.stderr)
        return exc.exit_status


def _import(args: argparse.Namespace, out: TextIO) -> int:
    runs = []
    for given in args.recordings:
        path = given / "results.json" if given.is_dir() else given
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise HistoryError(f"no results.json in {given}: give recording directories made with --record") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise HistoryError(f"cannot read {path}: {exc}") from None
        runs.append(run_of_results(document, str(path), commit=args.commit, machine=args.machine))
    with HistoryStore(args.history or default_path()) as store:
        added = sum(store.add(run) for run in runs)
    print(f"imported {added} run(s) into {store.path}; {len(runs) - added} already there", file=out)
    return ExitStatus.OK


def _show(args: argparse.Namespace, out: TextIO) -> int:
    thresholds = load_config(args.config, Path.cwd()).thresholds
    names = {s.name for s in select_scenarios(args.pattern)}
    machine = args.machine or default_machine()
    with HistoryStore(args.history or default_path(), create=False) as store:
        points = [
            p
            for p in store.points(machine=machine, since=args.since)
            if p.scenario in names and args.impl in (None, p.implementation)
        ]
        machines = store.machines()
    if not points:
        others = f"; it holds machines {', '.join(machines)} (--machine)" if machines else ""
        print(f"no figures of {args.pattern!r} on machine {machine} in {store.path}{others}", file=out)
        return ExitStatus.OK
    series = series_of(
        points, {"throughput": thresholds.throughput, "latency": thresholds.latency, "memory": thresholds.memory}
    )
    if args.format == "json":
        out.write(json.dumps([_series_document(s) for s in series], indent=1) + "\n")
    elif args.format == "csv":
        out.write(_csv(series))
    else:
        commits = list(dict.fromkeys(p.commit for p in points))
        print(f"history in {store.path}, machine {machine}, {len(commits)} commit(s): {', '.join(commits)}", file=out)
        for line in series_table(series):
            print(line, file=out)
    regressed = [s for s in series if s.regressed]
    if args.format == "table":
        if regressed:
            print(
                f"{len(regressed)} regression(s) at the newest commit: "
                + ", ".join(f"{s.row} {s.metric} ({s.implementation})" for s in regressed),
                file=out,
            )
        else:
            print("no regression at the newest commit", file=out)
    return ExitStatus.REGRESSION if regressed else ExitStatus.OK


def _series_document(s: Series) -> dict[str, object]:
    return {
        "machine": s.machine,
        "implementations": list(s.implementations),
        "loop": s.loop,
        "scenario": s.scenario,
        "step": s.step,
        "metric": s.metric,
        "threshold": s.threshold,
        "commits": list(s.commits),
        "values": list(s.values),
        "change_points": [asdict(c) for c in s.change_points],
        "regressed": s.regressed,
    }


def _csv(series: list[Series]) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["machine", "implementation", "loop", "scenario", "step", "metric", "commit", "value", "change"])
    for s in series:
        starts = {c.commit: c for c in s.change_points}
        for commit, ran, value in zip(s.commits, s.implementations, s.values, strict=True):
            point = starts.get(commit)
            change = "" if point is None else ("regression" if point.regression else "change")
            writer.writerow([s.machine, ran, s.loop, s.scenario, s.step, s.metric, commit, value, change])
    return text.getvalue()
