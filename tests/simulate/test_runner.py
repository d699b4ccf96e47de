"""Runner: identical results for any chunk size, thread count or Dask cluster; atomic chunks; resume after SIGKILL
with every chunk checked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from survtrial.errors import InputError
from survtrial.simulate.engine import build_model
from survtrial.simulate.runner import connect_scheduler, run_simulation

sys.path.insert(0, str(Path(__file__).parent))
from engine_scenarios import scenario, small_scenario, write_yaml

# every kind of test the engine computes, decisions by MaxCombo: each test's columns must be
# bit-identical for any chunking, thread count, Dask cluster or resumed run
TESTS = ["logrank", "fh(0,0.5)", "mb(1y)", "maxcombo", "rmst(1.5y)", "milestone(1y)", "cox"]
DESIGN = {"events": [20, 45, 70], "beta_spending": "OF", "power": 0.8, "tests": TESTS, "decision_test": "maxcombo"}
MODEL = build_model(scenario(n=300), DESIGN)


def test_every_test_is_recorded():
    cols = set(run_simulation(MODEL, n_sims=10, seed=1).trials.columns)
    for slug in ("logrank", "fh_0_0.5", "mb_1y", "maxcombo", "rmst_1.5y", "milestone_1y", "cox"):
        assert {f"{slug}_z_1", f"{slug}_p_3", f"{slug}_rejected"} <= cols, slug


def test_chunk_sizes_and_workers_give_identical_results(tmp_path):
    ref = run_simulation(MODEL, n_sims=2500, seed=17, chunk_size=1000)
    odd = run_simulation(MODEL, n_sims=2500, seed=17, chunk_size=700)  # chunks start inside seed blocks
    pd.testing.assert_frame_equal(ref.trials, odd.trials)
    two = run_simulation(MODEL, n_sims=2500, seed=17, chunk_size=600, workers=2, out=tmp_path / "two")
    pd.testing.assert_frame_equal(ref.trials, two.trials)
    files = sorted(p.name for p in (tmp_path / "two" / "chunks").iterdir())
    assert files == [f"chunk-{a:012d}-{min(a + 600, 2500):012d}.parquet" for a in range(0, 2500, 600)]
    assert ref.trials["trial"].tolist() == list(range(2500))


def test_local_dask_cluster_gives_the_same_result():
    distributed = pytest.importorskip("distributed")
    ref = run_simulation(MODEL, n_sims=1500, seed=4, chunk_size=500)
    with distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        res = run_simulation(MODEL, n_sims=1500, seed=4, chunk_size=400, scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(ref.trials, res.trials)


def test_unreachable_scheduler_is_an_input_error():
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"):
        connect_scheduler("tcp://127.0.0.1:9", timeout=1)


def test_out_dir_guards(tmp_path):
    run_simulation(MODEL, n_sims=50, seed=1, out=tmp_path / "run", chunk_size=25)
    with pytest.raises(InputError, match="already holds a simulation run"):
        run_simulation(MODEL, n_sims=50, seed=1, out=tmp_path / "run", chunk_size=25)
    with pytest.raises(InputError, match=r"different settings \(seed\)"):
        run_simulation(MODEL, n_sims=50, seed=2, out=tmp_path / "run", chunk_size=25, resume=True)
    again = run_simulation(MODEL, n_sims=50, seed=1, out=tmp_path / "run", chunk_size=25, resume=True)
    assert len(again.trials) == 50
    # a run started by a version drawing other trials from the same seed is not resumed
    manifest = tmp_path / "run" / "run.json"
    old = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**old, "random_stream": "an older stream"}))
    with pytest.raises(InputError, match=r"different settings \(random_stream\)"):
        run_simulation(MODEL, n_sims=50, seed=1, out=tmp_path / "run", chunk_size=25, resume=True)


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    sc = write_yaml(tmp_path / "small.yaml", small_scenario(n=300))
    design = write_yaml(tmp_path / "design.yaml", DESIGN)
    out = tmp_path / "run"
    n_sims, chunk = 40_000, 1000
    cmd = [sys.executable, "-c", "from survtrial.cli import app; app()", "simulate", str(sc), "--design", str(design),
           "--n-sims", str(n_sims), "--chunk-size", str(chunk), "--seed", "9", "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    chunks = out / "chunks"
    while time.monotonic() < deadline and proc.poll() is None:
        if chunks.is_dir() and len(list(chunks.glob("chunk-*.parquet"))) >= 5:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(chunks.glob("chunk-*.parquet")))
    assert 5 <= done < n_sims // chunk  # killed mid-way
    assert not (out / "summary.csv").exists()
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert len(list(chunks.glob("chunk-*.parquet"))) == n_sims // chunk
    assert not list(chunks.glob(".chunk-*"))  # no temporary files left
    after = run_simulation(build_model(sc, design), n_sims=n_sims, seed=9,
                           out=out, chunk_size=chunk, resume=True)
    whole = run_simulation(build_model(sc, design), n_sims=n_sims, seed=9, chunk_size=5000)
    pd.testing.assert_frame_equal(after.trials, whole.trials)
    summary = pd.read_csv(out / "summary.csv")
    rej = summary.loc[summary["measure"] == "rejection_probability", "estimate"].iloc[0]
    assert rej == pytest.approx(whole.trials["rejected"].mean(), rel=1e-12)


def test_resume_checks_every_chunk(tmp_path):
    # a truncated chunk, a chunk of a run with another seed, a chunk of another design and a
    # chunk without run metadata (an older version's): each is found, simulated again and the
    # result equals an undamaged run; resuming with another seed is refused
    import shutil

    import pyarrow.parquet as pq

    from survtrial.simulate.runner import check_chunk

    chunk = 500
    whole = run_simulation(MODEL, n_sims=3000, seed=8, chunk_size=chunk)
    run = tmp_path / "run"
    run_simulation(MODEL, n_sims=3000, seed=8, chunk_size=chunk, out=run, workers=2)
    other_seed = run_simulation(MODEL, n_sims=3000, seed=9, chunk_size=chunk, out=tmp_path / "seed9")
    assert not other_seed.trials.equals(whole.trials)
    other_design = build_model(scenario(n=300), {"events": [20, 45, 70]})
    run_simulation(other_design, n_sims=3000, seed=8, chunk_size=chunk, out=tmp_path / "design")
    files = sorted((run / "chunks").glob("chunk-*.parquet"))
    assert len(files) == 6
    # 1: truncated (a killed copy, say)
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])
    # 2: the same trials from the run with seed 9
    shutil.copy(tmp_path / "seed9" / "chunks" / files[1].name, files[1])
    # 3: the same trials of another design (same seed)
    shutil.copy(tmp_path / "design" / "chunks" / files[2].name, files[2])
    # 4: no run metadata
    table = pq.read_table(files[3])
    pq.write_table(table.replace_schema_metadata({k: v for k, v in table.schema.metadata.items()
                                                 if k != b"survtrial.chunk"}), files[3])
    # 5: a chunk of another chunking lying in the folder
    shutil.copy(files[4], run / "chunks" / "chunk-000000000000-000000000250.parquet")
    digest = json.loads((run / "run.json").read_text())
    assert check_chunk(files[0], "any digest", 8, 0, 500).startswith("unreadable")
    notes: list[str] = []
    resumed = run_simulation(MODEL, n_sims=3000, seed=8, chunk_size=chunk, out=run, resume=True, notes=notes.append)
    pd.testing.assert_frame_equal(resumed.trials, whole.trials)
    text = "\n".join(notes)
    assert f"{files[0].name}: unreadable" in text
    assert f"{files[1].name}: written by another run (seed 9)" in text
    assert f"{files[2].name}: written by another run" in text
    assert f"{files[3].name}: no run metadata" in text
    assert "chunk-000000000000-000000000250.parquet: not a chunk of this run; removed" in text
    assert len(notes) == 5
    assert resumed.summary().overall.equals(whole.summary().overall)
    # every file checks out now, and the manifest is the one written at the start
    assert json.loads((run / "run.json").read_text()) == digest
    again: list[str] = []
    run_simulation(MODEL, n_sims=3000, seed=8, chunk_size=chunk, out=run, resume=True, notes=again.append)
    assert again == []
    with pytest.raises(InputError, match=r"different settings \(seed\)"):
        run_simulation(MODEL, n_sims=3000, seed=9, chunk_size=chunk, out=run, resume=True)


def test_threads_give_the_same_result_as_one_worker():
    one = run_simulation(MODEL, n_sims=4300, seed=12, chunk_size=1000)
    for workers in (2, 3):
        many = run_simulation(MODEL, n_sims=4300, seed=12, chunk_size=700, workers=workers)
        pd.testing.assert_frame_equal(one.trials, many.trials)
