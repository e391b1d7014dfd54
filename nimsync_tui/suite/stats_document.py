"""``--stats --output FILE``: the statistical analysis of a run (and of its compare) as one JSON document."""

from __future__ import annotations

import json
from dataclasses import asdict

from .baseline import BaselineFigures
from .compare import Comparison
from .report import SuiteReport, row_document


def stats_json(now: BaselineFigures, report: SuiteReport, comparison: Comparison | None) -> str:
    """``--stats --output FILE``: the statistical analysis of the run (and of the compare) as JSON."""
    document = {
        "tool": "nimsync-tui",
        "recorded_at": now.recorded_at,
        "environment": now.environment,
        "run": now.run,
        "scenarios": [row_document(row) for row in report.rows],
        "comparison": None
        if comparison is None
        else {
            "warning": comparison.warning,
            "checkpoint_rules": comparison.checkpoint_rules,
            "metrics": [asdict(m) for m in comparison.metrics],
        },
    }
    return json.dumps(document, indent=2) + "\n"
