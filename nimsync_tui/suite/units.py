"""How a figure is printed, by the unit its metric name ends in (``docs/metrics.md``'s naming)."""

from __future__ import annotations


def format_figure(metric: str, value: float | None) -> str:
    """``value`` of ``metric`` with its unit: ``2.31 µs``, ``812,345 ops/s``, ``1.50 MiB``, ``0.073``."""
    if value is None:
        return "not measured"
    if metric.endswith("_ns"):
        return f"{value / 1e3:,.3f} µs" if abs(value) < 1e6 else f"{value / 1e6:,.3f} ms"
    if metric.endswith("_ops_s"):
        return f"{value:,.0f} ops/s"
    if metric.endswith("_bytes"):
        return f"{value / 2**20:,.2f} MiB" if abs(value) >= 2**20 else f"{value:,.0f} B"
    if metric.endswith("_s"):
        return f"{value:,.3f} s"
    if metric.endswith("_percent"):
        return f"{value:.1f} %"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:.3g}"
