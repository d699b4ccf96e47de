"""The kernel cache guard: cached kernels are dropped when any kernel source changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from survtrial.simulate import _cache


def _copy_sources(tmp_path: Path) -> Path:
    src = Path(_cache.__file__).parent
    tmp_path.mkdir(exist_ok=True)
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


def test_the_folder_numba_caches_in_is_the_one_watched(tmp_path):
    # with NUMBA_CACHE_DIR set numba caches the kernels elsewhere than __pycache__: the guard is
    # given that folder (the kernels' stats.cache_path)
    from survtrial.simulate import _kernels

    assert Path(_kernels.generate_trial.stats.cache_path) == Path(_kernels.simulate_block.stats.cache_path)
    folder = _copy_sources(tmp_path / "src")
    elsewhere = tmp_path / "numba-cache" / "simulate_0123"
    elsewhere.mkdir(parents=True)
    cached = elsewhere / "_kernels.simulate_block-1.py311.nbi"
    cached.write_text("x")
    assert _cache.drop_stale_kernel_cache(folder, cache=elsewhere)
    assert not cached.exists() and (elsewhere / "kernels.sources.sha256").exists()
    cached.write_text("x")
    assert not _cache.drop_stale_kernel_cache(folder, cache=elsewhere)
    assert cached.exists()
