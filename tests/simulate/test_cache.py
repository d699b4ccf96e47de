"""The kernel cache guard: cached kernels are dropped when any kernel source changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from survtrial.simulate import _cache


def _copy_sources(tmp_path: Path) -> Path:
    src = Path(_cache.__file__).parent
    for path in _cache.kernel_sources(src):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "__pycache__").mkdir()
    return tmp_path


def test_every_kernel_module_is_watched():
    names = {p.name for p in _cache.kernel_sources(Path(_cache.__file__).parent)}
    kernels = {"_rng.py", "_sorting.py", "_generate.py", "_passes.py", "_estimates.py", "_looks.py", "_kernels.py"}
    assert kernels <= names
    assert "engine.py" not in names


def test_cache_dropped_only_when_a_kernel_source_changes(tmp_path):
    folder = _copy_sources(tmp_path)
    cached = folder / "__pycache__" / "_kernels.simulate_block-1.py311.nbi"
    cached.write_text("x")
    assert _cache.drop_stale_kernel_cache(folder)  # no stamp yet: dropped, stamp written
    assert not cached.exists()
    cached.write_text("x")
    assert not _cache.drop_stale_kernel_cache(folder)  # sources unchanged: kept
    assert cached.exists()
    with open(folder / "_rng.py", "a") as f:  # an edit of a module the kernels inline
        f.write("\n# edited\n")
    assert _cache.drop_stale_kernel_cache(folder)
    assert not cached.exists()
