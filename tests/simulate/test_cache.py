"""The kernel cache guard: cached kernels are dropped when any kernel source changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from survtrial.simulate import _cache


def _copy_sources(tmp_path: Path) -> Path:
    src = Path(_cache.__file__).parent
    for name in _cache.KERNEL_MODULES:
        shutil.copy(src / name, tmp_path / name)
    (tmp_path / "__pycache__").mkdir()
    return tmp_path


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
