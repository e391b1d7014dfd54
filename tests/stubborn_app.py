"""An app that will not quit, served as ``--serve`` serves the real one: the server must kill it and its loads.

``python stubborn_app.py serve`` serves it on a free port. Each session's app
ignores the quit request and SIGTERM, and starts two runners it never stops:
one in its process group, one that escapes into a session of its own.
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from pathlib import Path

from nimsync_tui.run.config import Overrides, plan_runs
from nimsync_tui.run.process import RunnerProcess
from nimsync_tui.serve.options import ServeOptions
from nimsync_tui.serve.server import serve


def app() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    (spec,) = plan_runs("spsc-throughput", Overrides(), interval_s=0.5, duration_s=math.inf)
    in_group = RunnerProcess(spec)
    escaped = subprocess.Popen(
        [sys.executable, "-P", "-m", "nimsync_tui.run.runner", spec.to_json()],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    print("__GANGLION__", flush=True)  # the web driver's greeting: textual-serve now relays the session
    print(f"runners {in_group.pid} {escaped.pid}", file=sys.stderr, flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    if sys.argv[1:] == ["app"]:
        app()
    else:
        sys.exit(serve([sys.executable, "-P", str(Path(__file__).resolve()), "app"], ServeOptions(port=0)))
