"""PNG and SVG of a run's spectrum and timeline, for slides and READMEs (matplotlib, the extra ``report``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..monitor.snapshot import RunView
from .views import LogViews

_NS_PER_US = 1e3
_FORMATS = ("png", "svg")


def _pyplot() -> Any:
    try:
        import matplotlib  # noqa: PLC0415 - an optional extra, loaded only for a report

        matplotlib.use("Agg")  # files only: never a window
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        raise ConfigError("chart images need matplotlib: pip install 'nimsync-tui[report]'") from None
    return plt


def _spectrum(plt: Any, run: RunView) -> Any:
    figure, axes = plt.subplots(figsize=(8, 4.5))
    curve = run.total
    axes.plot(1.0 / np.maximum(1.0 - curve.levels / 100.0, 1e-12), curve.values_ns / _NS_PER_US, label=run.label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks([10.0**k for k in range(6)], ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"])
    axes.set(xlabel="percentile", ylabel="latency (µs)", title=f"{run.label}: latency by percentile")
    return figure


def _timeline(plt: Any, run: RunView) -> Any:
    figure, axes = plt.subplots(figsize=(8, 4.5))
    line = run.over_time
    for name, values in (("p50", line.p50), ("p90", line.p90), ("p99", line.p99), ("p99.9", line.p999),
                         ("max", line.max)):  # fmt: skip
        axes.plot(line.t_s, values / _NS_PER_US, label=name)
    axes.set_yscale("log")
    axes.legend()
    axes.set(xlabel="seconds", ylabel="latency (µs)", title=f"{run.label}: latency over time")
    return figure


def write_images(views: LogViews, stem: Path) -> list[Path]:
    """``<stem>.<tag>.spectrum.png|svg`` and ``<stem>.<tag>.timeline.png|svg`` for each tag; returns the paths."""
    plt = _pyplot()
    written = []
    for run in views.runs:
        if run.total.empty:
            continue
        for kind, draw in (("spectrum", _spectrum), ("timeline", _timeline)):
            figure = draw(plt, run)
            for fmt in _FORMATS:
                path = stem.with_name(f"{stem.name}.{run.label}.{kind}.{fmt}")
                figure.savefig(path, format=fmt, bbox_inches="tight")
                written.append(path)
            plt.close(figure)
    return written
