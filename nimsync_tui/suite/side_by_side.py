"""Several implementations on one scenario: one table each, with every figure's ratio to the first.

Rows of one run that measure the same suite row (``spsc-throughput@trio`` and
``spsc-throughput@asyncio`` both measure ``spsc-throughput``) form a table,
in the order the run gave them; the first implementation is the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

from .report import RowReport
from .results import suite_row


def _micros(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1e3:,.2f} µs"


def _ratio(value: float | None, first: float | None) -> str:
    return "n/a" if value is None or not first else f"x{value / first:.2f}"


def _cell(name: str) -> str:
    """What distinguishes a row of the table's scenario apart from its implementation (a ``--matrix`` cell)."""
    base, _, rest = name.partition("@")
    _, plus, cell = rest.partition("+")
    return base + (plus + cell if plus else "")


def side_by_side(rows: Sequence[RowReport]) -> list[str]:
    """The tables of every suite row measured on more than one implementation (none otherwise)."""
    groups: dict[str, list[RowReport]] = {}
    for row in rows:
        if "@" in row.result.name:
            groups.setdefault(_cell(row.result.name), []).append(row)
    lines: list[str] = []
    for name, members in groups.items():
        if len(members) < 2:
            continue
        results = [m.result for m in members]
        first = results[0]
        lines.append(
            f"{suite_row(name)}: {len(results)} implementations side by side, ratios to {first.implementation}"
        )
        header = ("implementation", "loop", "ops/s", "ratio", "p50", "ratio", "p99", "ratio", "reps")
        table = [header]
        for r, member in zip(results, members, strict=True):
            lat, ref = r.latency_ns, first.latency_ns
            table.append(
                (
                    r.implementation,
                    r.loop,
                    f"{r.throughput_ops_s:,.0f}",
                    _ratio(r.throughput_ops_s, first.throughput_ops_s),
                    _micros(lat.p50),
                    _ratio(lat.p50, ref.p50),
                    _micros(lat.p99),
                    _ratio(lat.p99, ref.p99),
                    str(len(member.repetitions)),
                )
            )
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        for line in table:
            cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
            lines.append("  " + "  ".join(cells))
        lines.extend(f"  {r.checkpoint_rule}" for r in results)
    return lines
