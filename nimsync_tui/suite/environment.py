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
"""Facts that must match for two runs' figures to be compared as like for like (not the load at start)."""

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


def differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """``key: before -> now`` for each comparable fact that differs."""
    return [f"{key}: {before.get(key)} -> {now.get(key)}" for key in COMPARABLE_KEYS if before.get(key) != now.get(key)]


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
