"""Keep numba's on-disk cache of the simulation kernels consistent with their sources.

numba invalidates a cached function only when the file defining it changes, but the kernels
inline functions from the other kernel modules: after an edit of ``_rng.py`` alone, the cached
``simulate_block`` would still run the old generator. A digest of all kernel sources is kept
next to the cache; when it differs, the cached kernels are dropped and compiled afresh.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def _kernel_texts(folder: Path) -> list[tuple[Path, bytes]]:
    """(path, contents) of the modules of the folder that define compiled kernels (their text
    mentions ``njit``), each file read once."""
    texts = ((p, p.read_bytes()) for p in sorted(folder.glob("*.py")))
    return [(p, data) for p, data in texts if b"njit" in data]


def kernel_sources(folder: Path) -> list[Path]:
    """The modules of the folder that define compiled kernels."""
    return [p for p, _ in _kernel_texts(folder)]


def drop_stale_kernel_cache(folder: Path | None = None, cache: str | Path | None = None) -> bool:
    """Delete the cached kernels if any kernel source changed since they were cached; True if deleted.

    ``cache`` is the folder numba caches the kernels in (a kernel's ``stats.cache_path``: the
    package's ``__pycache__``, or below ``NUMBA_CACHE_DIR`` when that is set); default the
    ``__pycache__`` of ``folder``. Best effort: an unwritable cache folder (a read-only install)
    is left alone, as numba then does not cache either.
    """
    here = Path(__file__).resolve().parent if folder is None else folder
    digest = hashlib.sha256()
    for path, data in _kernel_texts(here):
        digest.update(path.name.encode())
        digest.update(data)
    cache = here / "__pycache__" if cache is None else Path(cache)
    stamp = cache / "kernels.sources.sha256"
    try:
        if stamp.read_text() == digest.hexdigest():
            return False
    except OSError:
        pass
    try:
        removed = False
        for path in cache.glob("*.nb[ci]"):
            path.unlink(missing_ok=True)
            removed = True
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{stamp.name}.{os.getpid()}"
        tmp.write_text(digest.hexdigest())
        os.replace(tmp, stamp)  # atomic: a process starting now reads the old stamp or the new one
        return removed
    except OSError:
        return False
