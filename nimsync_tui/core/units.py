"""The units a log's values may be recorded in: the log does not say, ``--value-unit`` does."""

from __future__ import annotations

__all__ = ["VALUE_UNITS_NS"]

VALUE_UNITS_NS = {"ns": 1.0, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
"""Nanoseconds per unit a log's values may be recorded in (``--value-unit``)."""
