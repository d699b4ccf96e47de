"""Run a simulation in chunks: local threads or a Dask cluster, one Parquet file per chunk, resumable.

Local runs use threads: the compiled kernels release the GIL, so ``workers`` threads of one
process simulate side by side, with no worker processes to start, no model to pickle and the
kernels loaded once (a persistent pool serves every run of the process). In memory, the threads
write straight into the arrays of the whole run; with ``out``, each chunk becomes
``chunks/chunk-<start>-<stop>.parquet`` (temporary name, then an atomic rename), next to
``run.json``, which records what the run is (scenario and design digests, tests, seed, number
of trials, chunk size). Every chunk file carries in its Parquet metadata the digest of that
manifest, the seed and its trial range; ``resume=True`` keeps the chunks whose metadata, row count
and range check out and simulates the others again (a truncated file, a chunk of another run),
so a resumed run equals an uninterrupted one: every trial's random numbers depend only on the
seed and the trial index.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from survtrial.errors import InputError
from survtrial.simulate.engine import (
    TRIALS_PER_SEED_BLOCK,
    EngineModel,
    SimulationResult,
    _outputs,
    _range_stats,
    _records,
    build_model,
    check_seed,
    record_schema,
    simulate_range,
    simulate_table,
)

__all__ = ["DEFAULT_CHUNK_SIZE", "connect_scheduler", "run_simulation"]

DEFAULT_CHUNK_SIZE = 50 * TRIALS_PER_SEED_BLOCK
MANIFEST = "run.json"
META_KEY = b"survtrial.chunk"
PIECE = 20 * TRIALS_PER_SEED_BLOCK  # trials simulated and written at a time inside a chunk
TASK = 10 * TRIALS_PER_SEED_BLOCK  # trials per task of an in-memory local run (balances the threads)

_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """The process's persistent pool of simulation threads (grown when more workers are asked for)."""
    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is None or _POOL_SIZE < workers:
            if _POOL is not None:
                _POOL.shutdown(wait=False)
            _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="survtrial-sim")
            _POOL_SIZE = workers
        return _POOL


def _chunk_meta(digest: str, seed: int, start: int, stop: int) -> bytes:
    return json.dumps({"run": digest, "seed": seed, "start": start, "stop": stop}, sort_keys=True).encode()


def _chunk_task(model: EngineModel, seed: int, start: int, stop: int, folder: Path | None = None,
                digest: str = ""):
    """Simulate one chunk: its records, or (with ``folder``) write them as a Parquet file and return None.

    Written chunks are built piece by piece (row groups of at most PIECE trials), so memory grows
    with PIECE, not with the chunk size; the file's metadata records the run's digest, the seed
    and the range.
    """
    if folder is None:
        return simulate_range(model, seed, start, stop)
    import pyarrow.parquet as pq

    final = _chunk_path(folder, start, stop)
    tmp = folder / f".{final.name}.tmp-{os.getpid()}-{threading.get_ident()}"
    writer = None
    schema = record_schema(model)
    schema = schema.with_metadata({**(schema.metadata or {}), META_KEY: _chunk_meta(digest, seed, start, stop)})
    try:
        for a in range(start, stop, PIECE):
            table = simulate_table(model, seed, a, min(a + PIECE, stop), schema)
            if writer is None:
                # dictionary encoding only where it pays (the decision labels): 40% faster writes
                writer = pq.ParquetWriter(tmp, table.schema, use_dictionary=["decision"])
            writer.write_table(table)
            del table
        writer.close()
        writer = None
        os.replace(tmp, final)
    finally:
        if writer is not None:
            writer.close()
        if tmp.exists():
            tmp.unlink()
    return None


def connect_scheduler(address: str, timeout: float = 10.0):
    """A ``distributed.Client`` on an existing Dask scheduler; InputError if it cannot be reached."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - optional dependency
        raise InputError("--scheduler needs dask.distributed: pip install 'survtrial[dask]'") from None
    try:
        return Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise InputError(
            f"cannot reach the Dask scheduler at {address!r} ({type(err).__name__}: {err}); "
            "check the address (e.g. tcp://127.0.0.1:8786) and that the scheduler is running"
        ) from None


def _chunks(n_sims: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n_sims)) for a in range(0, n_sims, size)]


def _chunk_path(folder: Path, start: int, stop: int) -> Path:
    return folder / f"chunk-{start:012d}-{stop:012d}.parquet"


def _write_chunk(folder: Path, start: int, stop: int, frame: pd.DataFrame, meta: bytes) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    final = _chunk_path(folder, start, stop)
    tmp = folder / f".{final.name}.tmp-{os.getpid()}"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: meta})
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def _manifest(model: EngineModel, seed: int, n_sims: int, chunk_size: int) -> dict[str, Any]:
    return {"kind": "survtrial simulation", **model.identity, "seed": seed, "n_sims": n_sims, "chunk_size": chunk_size}


def _digest(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:32]


def check_chunk(path: Path, digest: str, seed: int, start: int, stop: int) -> str | None:
    """Why the chunk file cannot be kept (None if it can): unreadable (truncated), no or other
    run metadata (another run, another seed or range), or not ``stop - start`` rows."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        raw = (meta.metadata or {}).get(META_KEY)
    except (OSError, ValueError) as err:  # pyarrow raises ArrowInvalid (a ValueError) for a truncated file
        return f"unreadable ({type(err).__name__})"
    if raw is None:
        return "no run metadata"
    try:
        got = json.loads(raw)
    except ValueError:
        return "unreadable run metadata"
    if got.get("run") != digest:
        return "written by another run" + (f" (seed {got.get('seed')})" if got.get("seed") != seed else "")
    if (got.get("seed"), got.get("start"), got.get("stop")) != (seed, start, stop):
        return f"metadata for seed {got.get('seed')}, trials {got.get('start')}..{got.get('stop')}"
    if meta.num_rows != stop - start:
        return f"{meta.num_rows} rows instead of {stop - start}"
    return None


def _prepare_out(out: Path, manifest: dict[str, Any], resume: bool) -> Path:
    path = out / MANIFEST
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a directory; choose a directory for the run")
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = None
        if not resume:
            raise InputError(
                f"{out} already holds a simulation run ({MANIFEST}); pass --resume to continue it, "
                "or choose another --out"
            )
        if old != manifest:
            diff = sorted(k for k in set(manifest) | set(old or {}) if (old or {}).get(k) != manifest.get(k))
            raise InputError(
                f"cannot resume the run in {out}: it was started with different settings ({', '.join(diff)}); "
                "rerun with those settings, or choose another --out"
            )
    out.mkdir(parents=True, exist_ok=True)
    folder = out / "chunks"
    folder.mkdir(exist_ok=True)
    if not path.is_file():
        tmp = out / f".{MANIFEST}.tmp-{os.getpid()}"
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
        os.replace(tmp, path)
    for stale in folder.glob(".chunk-*.tmp-*"):  # left by a killed run
        stale.unlink(missing_ok=True)
    return folder


def _dask(tasks: list[tuple[int, int]], model: EngineModel, seed: int,
          client: Any) -> Iterator[tuple[int, int, pd.DataFrame | None]]:
    """Chunks on a Dask cluster: the records come back here to be written (the cluster may not share this disk)."""
    remote = client.scatter(model, broadcast=True)
    ahead = max(2, 2 * len(client.scheduler_info().get("workers", {})))
    pending = list(tasks)
    window: list[tuple[Any, tuple[int, int]]] = []
    try:
        while pending or window:
            while pending and len(window) < ahead:
                a, b = pending.pop(0)
                window.append((client.submit(_chunk_task, remote, seed, a, b, pure=False), (a, b)))
            fut, (a, b) = window.pop(0)
            yield a, b, fut.result()
    finally:
        client.cancel([f for f, _ in window])


def _threads(fn: Callable[[int, int], Any], tasks: list[tuple[int, int]],
             workers: int) -> Iterator[tuple[int, int, Any]]:
    """``fn(a, b)`` for every task on ``workers`` threads (in this thread for one), as they finish."""
    if workers <= 1 or len(tasks) <= 1:
        for a, b in tasks:
            yield a, b, fn(a, b)
        return
    pool = _pool(workers)
    pending = list(tasks)
    running: dict[Any, tuple[int, int]] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                a, b = pending.pop(0)
                running[pool.submit(fn, a, b)] = (a, b)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                a, b = running.pop(fut)
                yield a, b, fut.result()
    finally:
        for fut in running:
            fut.cancel()
        wait(running)  # a thread cannot be stopped: let the running kernels finish


def _read_chunks(folder: Path, chunks: list[tuple[int, int]]) -> list[pd.DataFrame]:
    return [pd.read_parquet(_chunk_path(folder, a, b)) for a, b in chunks]


def run_simulation(
    scenario: Any,
    design: Any = None,
    n_sims: int = 1000,
    *,
    seed: Any = None,
    out: str | Path | None = None,
    chunk_size: int | None = None,
    workers: int = 1,
    scheduler: str | Any | None = None,
    resume: bool = False,
    hazard_ratio: float | None = None,
    landmarks: Any = None,
    tests: Any = None,
    decision_test: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    notes: Callable[[str], None] | None = None,
) -> SimulationResult:
    """Simulate ``n_sims`` trials in chunks, in parallel, optionally saved as a resumable Parquet dataset.

    Parameters
    ----------
    scenario, design, hazard_ratio, landmarks, tests, decision_test
        As in :func:`~survtrial.simulate.engine.build_model` (or an EngineModel as ``scenario``).
    n_sims : int
        Number of trials (>= 1).
    seed : int, optional
        Run seed. Results are bit-identical for any chunk size, worker count or scheduler.
    out : path, optional
        Directory for ``run.json`` and ``chunks/*.parquet``; None keeps everything in memory.
    chunk_size : int, optional
        Trials per chunk file (default 50,000). Multiples of ``TRIALS_PER_SEED_BLOCK`` (1000)
        waste nothing; other sizes redraw part of a block.
    workers : int
        Local threads (the kernels release the GIL); 1 runs in this thread.
    scheduler : str or distributed.Client, optional
        Address of an existing Dask scheduler (e.g. ``tcp://127.0.0.1:8786``) or a Client; the
        chunks then run on its workers and come back here to be written.
    resume : bool
        Continue the run in ``out``: chunk files that check out (the run's digest, seed, range and
        row count in their metadata) are read, not recomputed; others are simulated again.
    progress : callable, optional
        Called as ``progress(trials_done, n_sims)`` after each chunk (finished chunks of a resumed
        run count at once).
    notes : callable, optional
        Called with a sentence for each chunk of a resumed run that is simulated again, and why.

    Returns
    -------
    SimulationResult
        Trials in index order.

    Examples
    --------
    >>> res = run_simulation("aall1731", {"events": [40, 80]}, 300, seed=5, chunk_size=100)
    >>> res.trials.equals(run_simulation("aall1731", {"events": [40, 80]}, 300, seed=5).trials)
    True
    """
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims <= 0:
        raise InputError(f"n_sims must be a positive integer, got {n_sims!r}")
    n_sims = int(n_sims)
    size = DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise InputError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers must be an integer >= 1, got {workers!r}")
    s = check_seed(seed)
    model = scenario if isinstance(scenario, EngineModel) else build_model(
        scenario, design, hazard_ratio=hazard_ratio, landmarks=landmarks, tests=tests, decision_test=decision_test)
    own_client = isinstance(scheduler, str)
    client = connect_scheduler(scheduler) if own_client else scheduler
    try:
        if out is None:
            return _in_memory(model, s, n_sims, size, workers, client, progress)
        return _to_folder(model, s, n_sims, size, workers, client, Path(out), resume, progress, notes)
    finally:
        if own_client and client is not None:
            client.close()


def _in_memory(model: EngineModel, seed: int, n_sims: int, size: int, workers: int, client: Any,
               progress: Callable[[int, int], None] | None) -> SimulationResult:
    done = 0
    if progress is not None:
        progress(0, n_sims)
    if client is not None:
        frames = {}
        for a, b, frame in _dask(_chunks(n_sims, size), model, seed, client):
            frames[a] = frame
            done += b - a
            if progress is not None:
                progress(done, n_sims)
        trials = pd.concat([frames[a] for a in sorted(frames)], ignore_index=True)
        return SimulationResult(trials, model, seed)
    # threads write the kernel outputs of their tasks into the arrays of the whole run
    stats = _outputs(model, n_sims)
    # tasks of whole seed blocks, at most TASK trials, at least four per thread when there are enough
    step = max(TRIALS_PER_SEED_BLOCK, min(size, TASK, -(-n_sims // (4 * workers * TRIALS_PER_SEED_BLOCK))
                                          * TRIALS_PER_SEED_BLOCK))

    def task(a: int, b: int) -> None:
        _range_stats(model, seed, a, b, into={k: v[a:b] for k, v in stats.items()})

    for a, b, _ in _threads(task, _chunks(n_sims, step), workers):
        done += b - a
        if progress is not None:
            progress(done, n_sims)
    return SimulationResult(_records(model, np.arange(n_sims, dtype=np.int64), stats), model, seed)


def _to_folder(model: EngineModel, seed: int, n_sims: int, size: int, workers: int, client: Any, out: Path,
               resume: bool, progress: Callable[[int, int], None] | None,
               notes: Callable[[str], None] | None) -> SimulationResult:
    manifest = _manifest(model, seed, n_sims, size)
    digest = _digest(manifest)
    folder = _prepare_out(out, manifest, resume)
    chunks = _chunks(n_sims, size)
    todo = []
    done = 0
    for a, b in chunks:
        path = _chunk_path(folder, a, b)
        if not path.exists():
            todo.append((a, b))
            continue
        why = check_chunk(path, digest, seed, a, b)
        if why is None:
            done += b - a
        else:
            if notes is not None:
                notes(f"chunk {path.name}: {why}; simulating trials {a}..{b - 1} again")
            path.unlink()
            todo.append((a, b))
    for stray in folder.glob("chunk-*.parquet"):  # files of another chunking are not this run's
        if stray.name not in {_chunk_path(folder, a, b).name for a, b in chunks}:
            if notes is not None:
                notes(f"chunk {stray.name}: not a chunk of this run; removed")
            stray.unlink()
    if progress is not None:
        progress(done, n_sims)
    if client is not None:
        for a, b, frame in _dask(todo, model, seed, client):
            _write_chunk(folder, a, b, frame, _chunk_meta(digest, seed, a, b))
            done += b - a
            if progress is not None:
                progress(done, n_sims)
    else:
        def task(a: int, b: int) -> None:
            _chunk_task(model, seed, a, b, folder, digest)

        for a, b, _ in _threads(task, todo, workers):
            done += b - a
            if progress is not None:
                progress(done, n_sims)
    frames = _read_chunks(folder, chunks)
    trials = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    return SimulationResult(trials, model, seed)
