"""Counts given by users (trials, replicates, workers, draws, population sizes): ranges and memory estimates.

One place for the checks every command applies to its count options: a count outside its range, or
one whose memory estimate exceeds the memory available, is an :class:`InputError` naming the flag,
the value, the estimate and the limit, raised before any work starts.

The memory available is the smallest of the system's available memory (``MemAvailable`` on Linux,
else the physical memory) and the container's limit (cgroup v2 ``memory.max`` minus
``memory.current``); ``SURVTRIAL_MEMORY_LIMIT`` (bytes, or e.g. ``2GiB``, ``512MiB``) replaces it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from survtrial.errors import InputError

__all__ = [
    "WORKER_BYTES",
    "available_memory",
    "check_count",
    "check_memory",
    "check_workers",
    "format_bytes",
    "parse_bytes",
]

WORKER_BYTES = 300 * 2**20  # a worker process with numpy, pandas and the compiled kernels (measured 190-320 MiB)
_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "kib": 2**10, "m": 1e6, "mb": 1e6, "mib": 2**20,
          "g": 1e9, "gb": 1e9, "gib": 2**30, "t": 1e12, "tb": 1e12, "tib": 2**40}


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``; binary units, three significant digits."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if abs(n) < 1024 or unit == "EiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def parse_bytes(text: str, role: str = "SURVTRIAL_MEMORY_LIMIT") -> int:
    """``'2GiB'``, ``'512 MB'`` or ``'1000000'`` as a number of bytes."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise InputError(f"{role}: {text!r} is not a size; write e.g. 2GiB, 512MiB or a number of bytes")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_available() -> int | None:
    root = Path("/sys/fs/cgroup")
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int((root / "memory.current").read_text().strip()), 0)
    except (OSError, ValueError):
        return None


def available_memory() -> int | None:
    """Bytes of memory a new allocation can use (see the module notes); None if it cannot be told."""
    env = os.environ.get("SURVTRIAL_MEMORY_LIMIT")
    if env:
        return parse_bytes(env)
    known = [m for m in (_meminfo_available(), _cgroup_available()) if m is not None]
    return min(known) if known else None


def check_count(value: Any, flag: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``; else an InputError naming ``flag``.

    Examples
    --------
    >>> check_count(5, "--replicates")
    5
    >>> check_count(0, "--replicates")
    Traceback (most recent call last):
    ...
    survtrial.errors.InputError: --replicates must be a whole number >= 1, got 0
    """
    if isinstance(value, bool):
        raise InputError(f"{flag} must be a whole number, got {value!r}")
    if not isinstance(value, int):
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            as_float = float("nan")
        if not as_float.is_integer():
            raise InputError(f"{flag} must be a whole number, got {value!r}")
        value = int(as_float)
    if value < minimum or (maximum is not None and value > maximum):
        rule = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum:,}"
        raise InputError(f"{flag} must be a whole number {rule}, got {value:,}")
    return value


def check_memory(flag: str, value: int, bytes_each: float, *, what: str, fixed: float = 0.0) -> None:
    """Refuse ``value`` units of ``bytes_each`` bytes (plus ``fixed``) when they exceed the memory available.

    The message names the flag, the estimate and the limit, and the largest value that fits.
    """
    limit = available_memory()
    need = fixed + float(value) * bytes_each
    if limit is None or need <= limit:
        return
    fits = max(int((limit - fixed) // bytes_each), 0)
    raise InputError(
        f"{flag} {value:,}: {what} would need about {format_bytes(need)} of memory "
        f"({format_bytes(bytes_each)} each), more than the {format_bytes(limit)} available; "
        f"use at most about {fits:,}"
    )


def check_workers(value: Any, flag: str = "--workers") -> int:
    """A number of worker processes: >= 1, and their memory (``WORKER_BYTES`` each) must fit."""
    n = check_count(value, flag, minimum=1)
    check_memory(flag, n, WORKER_BYTES, what=f"{n:,} worker processes")
    return n
