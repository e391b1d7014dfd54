"""A stand-in for the monitor app, served the way ``nimsync-tui --serve`` serves the real one.

``python standin.py serve [--host H] [--port P] [--max-sessions N] [APP OPTIONS]``
runs the real server (:func:`nimsync_tui.serve.server.serve`) with this file's
``app`` role as each tab's command. The app runs real runner processes
(:class:`RunnerProcess`) and shows each measured interval's percentiles; ``n``
switches to the next planned scenario, ``q`` quits. It lets the browser tests
exercise serving before, and independently of, the real app.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.widgets import Static

from nimsync_tui.cli import build_parser
from nimsync_tui.core.histogram import decode_histogram, summarize
from nimsync_tui.core.protocol import IntervalRecord
from nimsync_tui.run.config import Overrides, RunSpec, plan_runs
from nimsync_tui.run.process import RunnerProcess
from nimsync_tui.serve.options import add_serve_options, app_arguments, serve_options
from nimsync_tui.serve.server import serve


class StandIn(App[None]):
    """Scenario name on one line, the last interval's percentiles on the next."""

    BINDINGS = [("n", "next_scenario", "next scenario"), ("q", "quit", "quit")]  # noqa: RUF012 (Textual's API)

    def __init__(self, specs: list[RunSpec]) -> None:
        super().__init__()
        self._specs = specs
        self._index = 0
        self._runner: RunnerProcess | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="scenario")
        yield Static("waiting for the first interval", id="live")

    def on_mount(self) -> None:
        self._follow(self._index)

    def action_next_scenario(self) -> None:
        self._index = (self._index + 1) % len(self._specs)
        self._follow(self._index)

    def on_unmount(self) -> None:
        if self._runner is not None:
            self._runner.stop()

    @work(thread=True, exclusive=True)
    def _follow(self, index: int) -> None:
        spec = self._specs[index]
        if self._runner is not None:
            self._runner.stop()
        self.call_from_thread(self._show, index, f"scenario {spec.scenario}", "waiting for the first interval")
        with RunnerProcess(spec) as runner:
            self._runner = runner
            for event in runner.events():
                if isinstance(event, IntervalRecord) and event.phase == "measure":
                    s = summarize(decode_histogram(event.histogram))
                    live = f"live p50 {s.p50 / 1e3:.1f} µs  p99 {s.p99 / 1e3:.1f} µs  ({event.ops_per_s:,.0f} ops/s)"
                    self.call_from_thread(self._show, index, f"scenario {spec.scenario}", live)

    def _show(self, index: int, scenario: str, live: str) -> None:
        if index == self._index:  # a stopping runner's last interval is not the new scenario's
            self.query_one("#scenario", Static).update(scenario)
            self.query_one("#live", Static).update(live)


def _specs(argv: list[str]) -> list[RunSpec]:
    args = build_parser().parse_args(argv)
    return plan_runs(args.pattern, Overrides(impl=args.impl), interval_s=args.interval, duration_s=args.duration)


def main(argv: list[str]) -> int:
    role, rest = argv[0], argv[1:]
    if role == "app":
        StandIn(_specs(rest)).run()
        return 0
    parser = argparse.ArgumentParser()
    add_serve_options(parser)
    parser.add_argument("--record")  # serve_options checks it is absent
    options = serve_options(parser.parse_known_args(["--serve", *rest])[0])
    assert options is not None
    return serve([sys.executable, "-P", str(Path(__file__).resolve()), "app", *app_arguments(rest)], options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
