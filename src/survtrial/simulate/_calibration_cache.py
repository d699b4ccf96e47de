"""A scenario's calibration kept on disk, so that a new process does not solve it again.

Solving a scenario's targets (curve targets, landmarks, accrual from numbers at risk) takes about
0.4 s for AALL1731's twin, a tenth of a ``survtrial reproduce``. The result depends on the
scenario's content (its :attr:`~survtrial.simulate.scenario.Scenario.digest`), the code that solves
it (every module of ``survtrial.simulate``) and the numerical libraries; the file's name carries
all three, so an edited scenario, a new survtrial or a new numpy/scipy never reads an old answer.

Where: ``SURVTRIAL_CACHE_DIR`` if set, else ``__pycache__/calibrated`` beside these modules (where
Python and numba keep their compiled code, trusted as they are). A folder that cannot be written
(a read-only install) means no cache: the scenario is solved in every process, as without it. A
file that cannot be read back as the calibration of this scenario is ignored and removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from functools import cache
from pathlib import Path
from typing import Any

KEEP = 64  # files kept; the oldest beyond are removed


def folder() -> Path:
    """The cache folder (created when first written)."""
    env = os.environ.get("SURVTRIAL_CACHE_DIR")
    return Path(env) / "calibrated" if env else Path(__file__).resolve().parent / "__pycache__" / "calibrated"


@cache
def code_digest() -> str:
    """SHA-256 (16 hex digits) of the modules that solve a scenario, and of Python's, numpy's and
    scipy's versions."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    import numpy
    import scipy

    h.update(f"numpy={numpy.__version__} scipy={scipy.__version__}".encode())
    h.update(sys.version.encode())
    return h.hexdigest()[:16]


def _path(digest: str) -> Path:
    return folder() / f"{digest}-{code_digest()}.pkl"


def load(digest: str, name: str) -> Any | None:
    """The calibration stored for the scenario with this digest and name, or None."""
    from survtrial.simulate._model import CalibratedScenario

    path = _path(digest)
    try:
        with path.open("rb") as f:
            value = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged file is a cache miss, and goes
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    if not isinstance(value, CalibratedScenario) or value.name != name:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return value


def store(digest: str, value: Any) -> None:
    """Keep ``value`` for the scenario with this digest (atomically; silently not, where the folder
    cannot be written)."""
    path = _path(digest)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        files = sorted(path.parent.glob("*.pkl"), key=lambda p: p.stat().st_mtime)
        for old in files[:-KEEP]:
            old.unlink()
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
