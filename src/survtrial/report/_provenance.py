"""Provenance of a run (versions, seed, scenario and its hash, command line, time) for reports."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["NOT_RECORDED", "PROVENANCE_LABELS", "provenance", "provenance_text", "scenario_hash"]

#: Provenance rows always shown, in this order ("not recorded" when absent), then any extra keys.
PROVENANCE_LABELS = {
    "generated": "Generated (UTC)",
    "survtrial": "survtrial version",
    "seed": "Random seed",
    "scenario": "Scenario",
    "scenario_hash": "Scenario hash (SHA-256)",
    "command": "Command line",
    "python": "Python",
    "numpy": "NumPy",
    "pandas": "pandas",
    "matplotlib": "Matplotlib",
    "platform": "Platform",
}
NOT_RECORDED = "not recorded"


def scenario_hash(scenario: Any) -> str:
    """SHA-256 (hex) of a scenario: of the bytes of a file/str, or of canonical JSON of a mapping.

    Examples
    --------
    >>> scenario_hash({"b": 1, "a": 2}) == scenario_hash({"a": 2, "b": 1})
    True
    """
    if isinstance(scenario, os.PathLike):
        data = Path(scenario).read_bytes()
    elif isinstance(scenario, bytes):
        data = scenario
    elif isinstance(scenario, str):
        data = scenario.encode("utf-8")
    else:
        data = json.dumps(scenario, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def provenance(
    *, seed: Any = None, scenario: Any = None, scenario_hash: str | None = None,
    command: str | list[str] | None = None, **extra: Any,
) -> dict[str, str]:
    """Provenance of a run: versions, platform and UTC time, plus what the caller knows.

    Parameters
    ----------
    seed, scenario, scenario_hash : optional
        The random seed, scenario name and :func:`scenario_hash` of its content.
    command : str or list of str, optional
        The command line (``sys.argv`` from a CLI); lists are shell-quoted.
    **extra
        Further rows (e.g. ``data_cut="2024-06-30"``).

    Returns
    -------
    dict of str -> str
        Keys of ``PROVENANCE_LABELS`` (missing ones "not recorded") followed by ``extra``.

    Examples
    --------
    >>> p = provenance(seed=20240630, scenario="aall1731")
    >>> p["seed"], p["scenario"], p["command"]
    ('20240630', 'aall1731', 'not recorded')
    """
    import matplotlib
    import numpy
    import pandas

    from survtrial import __version__

    given = {"seed": seed, "scenario": scenario, "scenario_hash": scenario_hash, "command": command}
    out = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "survtrial": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "matplotlib": matplotlib.__version__,
        "platform": platform.platform(terse=True),
    }
    for key, value in {**given, **extra}.items():
        out[key] = provenance_text(value)
    return {k: out.get(k, NOT_RECORDED) for k in PROVENANCE_LABELS} | {k: out[k] for k in extra}


def provenance_text(value: Any) -> str:
    if value is None:
        return NOT_RECORDED
    if isinstance(value, (list, tuple)):
        return shlex.join(str(v) for v in value)
    return str(value)
