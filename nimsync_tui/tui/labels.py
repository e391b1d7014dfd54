"""The scenario list's rows fitted to its width: the state mark and the verdict are never the part cut."""

from __future__ import annotations

STATE_MARKS = {"running": "▶", "done": "✓", "stopped": "■", "failed": "✗"}
"""The mark before a scenario's name for each state of its run (none before it ran, nor in replay)."""
STATE_WORDS = {"▶": "running", "✓": "done", "■": "stopped", "✗": "failed"}
"""What each mark means, for the list's legend."""
ELLIPSIS = "…"


def fit_name(name: str, width: int) -> str:
    """``name`` in at most ``width`` cells.

    A tag (``memory-leak.round-10``) keeps its part after the first dot, which is what tells
    its rows apart, and loses the middle; a plain name loses its end.
    """
    if len(name) <= width:
        return name
    if width <= 1:
        return ELLIPSIS[:width]
    head, dot, tail = name.partition(".")
    if dot and len(tail) + 2 <= width:
        return head[: width - len(tail) - 2] + ELLIPSIS + "." + tail
    if dot:
        return ELLIPSIS + name[len(name) - width + 1 :]
    return name[: width - 1] + ELLIPSIS


def row_text(state: str, name: str, verdict: str, width: int) -> str:
    """One list row in ``width`` cells: mark, name (shortened when it must be), verdict.

    A replayed tag has no run state, so no room is kept for a mark.
    """
    prefix = "" if state == "replay" else f"{STATE_MARKS.get(state, ' ')} "
    suffix = f" {verdict}" if verdict else ""
    return f"{prefix}{fit_name(name, max(width - len(prefix) - len(suffix), 1))}{suffix}"


def marks_legend(states: list[str]) -> str:
    """The marks the list shows now, with what each means (``▶ running ■ stopped``)."""
    return " ".join(f"{mark} {STATE_WORDS[mark]}" for state, mark in STATE_MARKS.items() if state in states)
