"""Where figures were measured: the fingerprint a result and a baseline carry."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import psutil

from .. import __version__

COMPARABLE_KEYS = ("python", "implementation", "trio", "nimsync_tui", "numpy", "cpu_model", "cores", "governor")
"""Facts that must match for two runs' figures to be compared as like for like (the load: see :func:`differences`)."""

_GOVERNOR = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")


def fingerprint() -> dict[str, Any]:
    """The machine, its software and its state now; figures mean little without it."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "trio": _version("trio"),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "hdrhistogram": _version("hdrhistogram"),
        "nimsync_tui": __version__,
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_bytes": psutil.virtual_memory().total,
        "governor": _governor(),
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
    }


LOAD_DIFFERENCE = 1.0
"""A one-minute load average this much apart (a core's worth of other work) is worth a warning."""


def differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """``key: before -> now`` for each comparable fact that differs, and a load at start a core apart."""
    found = [
        f"{key}: {before.get(key)} -> {now.get(key)}" for key in COMPARABLE_KEYS if before.get(key) != now.get(key)
    ]
    load_before, load_now = _one_minute_load(before), _one_minute_load(now)
    if load_before is not None and load_now is not None and abs(load_now - load_before) >= LOAD_DIFFERENCE:
        found.append(f"load at start: {load_before:.2f} -> {load_now:.2f}")
    return found


def _one_minute_load(env: dict[str, Any]) -> float | None:
    load = env.get("load_at_start")
    if isinstance(load, list) and load and isinstance(load[0], int | float):
        return float(load[0])
    return None


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _governor() -> str | None:
    # Absent in most containers and VMs: the host decides, and we cannot see it.
    try:
        return _GOVERNOR.read_text(encoding="ascii").strip()
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
