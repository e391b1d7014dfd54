"""``--report FILE.html``: one self-contained file with a log's charts, tables and verdicts.

Drawn with plotly (the optional extra ``report``), whose script is inlined once: the
file opens offline and asks nothing of any other place.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core.files import write_atomically
from ..errors import ConfigError
from ..monitor.snapshot import RunView
from .views import LogViews

_NS_PER_US = 1e3
_NINES = (0, 1, 2, 3, 4, 5)
_NINES_LABELS = ("0%", "90%", "99%", "99.9%", "99.99%", "99.999%")
_TABLE_ROWS: tuple[tuple[str, Callable[[Any], float]], ...] = (
    ("p50", lambda t: t.p50), ("p90", lambda t: t.p90), ("p99", lambda t: t.p99), ("p99.9", lambda t: t.p999),
    ("p99.99", lambda t: t.p9999), ("max", lambda t: t.max), ("mean", lambda t: t.mean), ("stddev", lambda t: t.stddev),
)  # fmt: skip


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go  # type: ignore[import-untyped]  # noqa: PLC0415 - an optional extra
    except ImportError:
        raise ConfigError("--report needs plotly: pip install 'nimsync-tui[report]'") from None
    return go


def spectrum_figure(go: Any, run: RunView) -> Any:
    """Latency by percentile on HdrHistogram's axes: 1/(1-p) and the latency, both logarithmic."""
    figure = go.Figure()
    for name, curve in (("run", run.total), ("corrected", run.corrected)):
        if not curve.empty:
            x = 1.0 / np.maximum(1.0 - curve.levels / 100.0, 1e-12)
            figure.add_scatter(x=x, y=curve.values_ns / _NS_PER_US, name=name, mode="lines")
    figure.update_xaxes(type="log", tickvals=[10.0**k for k in _NINES], ticktext=_NINES_LABELS, title="percentile")
    figure.update_yaxes(type="log", title="latency (µs)")
    return _titled(figure, f"{run.label}: latency by percentile")


def timeline_figure(go: Any, run: RunView) -> Any:
    """Each interval's p50, p90, p99, p99.9 and max over time (log latency axis)."""
    line = run.over_time
    figure = go.Figure()
    for name, values in (("p50", line.p50), ("p90", line.p90), ("p99", line.p99), ("p99.9", line.p999),
                         ("max", line.max)):  # fmt: skip
        figure.add_scatter(x=line.t_s, y=values / _NS_PER_US, name=name, mode="lines")
    figure.update_xaxes(title="seconds")
    figure.update_yaxes(type="log", title="latency (µs)")
    return _titled(figure, f"{run.label}: latency over time")


def rate_figure(go: Any, run: RunView) -> Any:
    """Throughput per interval, or a log without it: values recorded per interval."""
    figure = go.Figure()
    if run.throughput.empty:
        figure.add_scatter(x=run.over_time.t_s, y=run.over_time.count, name="values per interval", mode="lines")
        figure.update_xaxes(title="seconds")
        return _titled(figure, f"{run.label}: values per interval")
    figure.add_scatter(x=run.throughput.t_s, y=run.throughput.values, name="ops/s", mode="lines")
    figure.update_xaxes(title="seconds")
    return _titled(figure, f"{run.label}: throughput per interval (ops/s)")


def memory_figure(go: Any, run: RunView) -> Any:
    """The load process's RSS over time."""
    figure = go.Figure()
    figure.add_scatter(x=run.rss.t_s, y=run.rss.values / 2**20, name="RSS (MiB)", mode="lines")
    figure.update_xaxes(title="seconds")
    return _titled(figure, f"{run.label}: memory of the load process (MiB)")


def _titled(figure: Any, title: str) -> Any:
    figure.update_layout(title=title, height=380, margin={"l": 60, "r": 20, "t": 50, "b": 40})
    return figure


def _table(run: RunView) -> str:
    t = run.table
    cells = "".join(f"<tr><th>{name}</th><td>{value(t) / _NS_PER_US:,.3f} µs</td></tr>" for name, value in _TABLE_ROWS)
    totals = f"<tr><th>count</th><td>{t.count:,}</td></tr><tr><th>overflow</th><td>{t.overflow:,}</td></tr>"
    return f"<table><caption>{html.escape(run.label)}: the whole run</caption>{cells}{totals}</table>"


def report_html(views: LogViews) -> str:
    """The report as one HTML document, plotly's script inlined once."""
    go = _plotly()
    parts: list[str] = []
    script = True  # the first chart carries the library; the others use it
    for run in views.runs:
        parts.append(f"<h2>{html.escape(run.label)}</h2>{_table(run)}")
        charts = [spectrum_figure(go, run), timeline_figure(go, run), rate_figure(go, run)]
        if not run.rss.empty:
            charts.append(memory_figure(go, run))
        for chart in charts:
            parts.append(chart.to_html(full_html=False, include_plotlyjs=script, config={"displaylogo": False}))
            script = False
    title = html.escape(f"nimsync-tui report: {views.source.name}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
        "th,td{padding:2px 12px;text-align:right;border-bottom:1px solid #ddd}pre{background:#f4f4f4;padding:1em}"
        f"</style></head><body><h1>{title}</h1>"
        f"<p>values in {html.escape(views.value_unit)} as recorded, shown in µs</p>"
        f"<h2>Verdicts</h2><pre>{html.escape(views.verdicts)}</pre>{''.join(parts)}</body></html>\n"
    )


def write_report(views: LogViews, path: Path) -> Path:
    """Write the report to ``path`` (whole or not at all: an existing file is replaced only once it is written)."""
    write_atomically(path, report_html(views))
    return path
