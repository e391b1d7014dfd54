"""An app that will not quit, served as ``--serve`` serves the real one: the server must kill it and its loads.

``python stubborn_app.py serve`` serves it on a free port. Each session's app
ignores the quit request and SIGTERM, and starts two runners (an open-loop load) it never stops:
one in its process group, one that escapes into a session of its own. Each
runner holds the write end of its own stdin, so the app's death does not stop
it (a runner stops when its stdin closes): only the server's kill does.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nimsync_tui.run.config import Overrides, RunSpec, plan_runs
from nimsync_tui.serve.options import ServeOptions
from nimsync_tui.serve.server import serve


def _runner(spec: RunSpec, *, own_session: bool) -> subprocess.Popen[bytes]:
    read_end, write_end = os.pipe()
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "nimsync_tui.run.runner", spec.to_json()],
        stdin=read_end,
        stdout=subprocess.DEVNULL,
        pass_fds=(write_end,),  # its stdin never reaches end of file
        start_new_session=own_session,
    )


def app() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # An open loop of 100 round trips a second: a real load that runs until killed, mostly asleep. (A
    # closed-loop one kept both cores busy through the server's 10 s of grace periods, for nothing.)
    (spec,) = plan_runs("pingpong-latency", Overrides(rate=100.0), interval_s=0.5, duration_s=math.inf)
    runners = [_runner(spec, own_session=False), _runner(spec, own_session=True)]
    print("__GANGLION__", flush=True)  # the web driver's greeting: textual-serve now relays the session
    print("runners", *(r.pid for r in runners), file=sys.stderr, flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    if sys.argv[1:] == ["app"]:
        app()
    else:
        sys.exit(serve([sys.executable, "-P", str(Path(__file__).resolve()), "app"], ServeOptions(port=0)))
