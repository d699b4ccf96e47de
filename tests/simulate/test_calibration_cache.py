"""A scenario's calibration kept on disk: read back equal to a fresh solve, keyed by the scenario's
content and the code, damaged or foreign files ignored, an unwritable folder no error."""

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from survtrial.simulate import _calibration_cache, calibrate
from survtrial.simulate.calibrate import calibrate_scenario
from survtrial.simulate.scenario import load_scenario


def _same(a, b, where="calibration"):
    """Deep equality, exact: dataclasses and objects by their attributes, arrays by dtype and value."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dict__") or hasattr(a, "__slots__"):
        names = list(getattr(a, "__dict__", {})) + [n for n in getattr(a, "__slots__", ()) if hasattr(a, n)]
        assert names, where
        for n in names:
            _same(getattr(a, n), getattr(b, n), f"{where}.{n}")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, where


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SURVTRIAL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(calibrate, "_CACHE", {})
    return tmp_path / "calibrated"


def test_a_stored_calibration_reads_back_equal_to_a_fresh_solve(cache_dir, monkeypatch):
    sc = load_scenario("aall1731")
    solved = calibrate_scenario(sc)
    files = list(cache_dir.glob("*.pkl"))
    assert [f.name.split("-")[0] for f in files] == [sc.digest]
    monkeypatch.setattr(calibrate, "_CACHE", {})  # as in a new process
    calls = []
    monkeypatch.setattr(calibrate, "_calibrate", lambda s: calls.append(s) or solved)
    read = calibrate_scenario(sc)
    assert calls == []  # not solved again
    assert read is not solved
    _same(read, solved)


def test_a_new_process_reads_the_stored_calibration_without_solving(cache_dir):
    sc = load_scenario("aall1731")
    solved = calibrate_scenario(sc)
    code = (
        "import pickle, sys\n"
        "from survtrial.simulate import calibrate\n"
        "from survtrial.simulate.scenario import load_scenario\n"
        "def refuse(s): raise SystemExit('solved again')\n"
        "calibrate._calibrate = refuse\n"
        "sys.stdout.buffer.write(pickle.dumps(calibrate.calibrate_scenario(load_scenario('aall1731'))))\n"
        "print('scipy.optimize' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                         env={**os.environ, "SURVTRIAL_CACHE_DIR": str(cache_dir.parent)})
    _same(pickle.loads(out.stdout), solved)
    assert out.stderr.decode().strip() == "False"  # no solver imported for a stored answer


def test_another_scenario_or_other_code_is_a_miss(cache_dir, monkeypatch):
    sc = load_scenario("aall1731")
    calibrate_scenario(sc)
    other = sc.updated({"dropout.rate": 0.02})
    assert other.digest != sc.digest
    assert _calibration_cache.load(other.digest, other.name) is None
    monkeypatch.setattr(_calibration_cache, "code_digest", lambda: "0" * 16)  # an edited survtrial
    assert _calibration_cache.load(sc.digest, sc.name) is None


def test_a_damaged_or_foreign_file_is_ignored_and_removed(cache_dir, monkeypatch):
    sc = load_scenario("aall1731")
    solved = calibrate_scenario(sc)
    (path,) = cache_dir.glob("*.pkl")
    path.write_bytes(b"not a pickle")
    assert _calibration_cache.load(sc.digest, sc.name) is None
    assert not path.exists()
    path.write_bytes(pickle.dumps({"name": sc.name}))  # readable, but not a calibration
    assert _calibration_cache.load(sc.digest, sc.name) is None
    assert not path.exists()
    _calibration_cache.store(sc.digest, solved)
    assert _calibration_cache.load(sc.digest, "another name") is None  # a digest clash would not be read


def test_an_unwritable_folder_means_no_cache_and_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder would be")
    monkeypatch.setenv("SURVTRIAL_CACHE_DIR", str(blocker))
    monkeypatch.setattr(calibrate, "_CACHE", {})
    sc = load_scenario("aall1731")
    assert calibrate_scenario(sc).name == sc.name
    assert list(tmp_path.iterdir()) == [blocker]


def test_only_the_newest_files_are_kept(cache_dir, monkeypatch):
    monkeypatch.setattr(_calibration_cache, "KEEP", 3)
    sc = load_scenario("aall1731")
    solved = calibrate_scenario(sc)
    for i in range(5):
        _calibration_cache.store(f"{i:016d}", solved)
        os.utime(_calibration_cache._path(f"{i:016d}"), (1000 + i, 1000 + i))
    _calibration_cache.store("9" * 16, solved)
    names = sorted(p.name.split("-")[0] for p in cache_dir.glob("*.pkl"))
    assert names == sorted([sc.digest, f"{4:016d}", "9" * 16])  # the scenario's own file is new too
    assert not list(cache_dir.glob(".*.tmp"))
