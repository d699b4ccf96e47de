"""First use of the simulation kernels: a message while they compile, the generation and analysis halves side by side.

numba compiles a kernel the first time it meets a combination of argument types (after each
install or upgrade: later runs load it from numba's on-disk cache in well under a second). The
engine's kernel links two large halves, the trial generator and the look analysis; compiled one
after the other they take most of a minute. :func:`ensure_compiled` compiles the generator in a
second process while this one compiles the analysis, then links them (the cache makes the second
process's work available here; a plain ``python -c`` process, so scripts without a ``__main__``
guard are not re-run), and tells the user what is going on through the notifier the
command line installs (:func:`set_notifier`).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

_NOTIFY: Callable[[str], None] | None = None
_LOCK = threading.Lock()
_READY: set[tuple] = set()


def set_notifier(notify: Callable[[str], None] | None) -> None:
    """Have ``notify(text)`` called before and after a compilation (None: silent)."""
    global _NOTIFY
    _NOTIFY = notify


def _say(text: str) -> None:
    if _NOTIFY is not None:
        _NOTIFY(text)


def _cached(dispatcher: Any, args: tuple) -> bool:
    """The dispatcher has a compiled version for these arguments' types, in memory or in numba's cache."""
    from numba import typeof

    sig = tuple(typeof(a) for a in args)
    if sig in dispatcher.overloads:
        return True
    try:  # the cache's index holds the signature (numba's own lookup, without loading the code)
        cache = dispatcher._cache
        key = cache._index_key(sig, dispatcher.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except Exception:  # an unreadable cache, or another numba: compile with the message
        return False


def _trial_buffers(gen: Any):
    from survtrial.simulate import _kernels

    return _kernels._buffers(2, gen.strat_cum.size * gen.n_arms)


def compile_generation(gen: Any) -> None:
    """Compile (or load) the generator for this generation bundle's types (a trial of two patients)."""
    from survtrial.simulate import _kernels, _rng

    _kernels.warm_generation(_rng.block_state(0, 0), gen)


def _child() -> None:
    """Entry point of the compiling process: the generation bundle comes pickled on stdin."""
    compile_generation(pickle.loads(sys.stdin.buffer.read()))


def _start_generation_compiler(gen: Any) -> subprocess.Popen | None:
    """A Python process compiling the generator (it sees this process's import path); None if it cannot start."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        proc = subprocess.Popen([sys.executable, "-c", "from survtrial.simulate._warmup import _child; _child()"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        proc.stdin.write(pickle.dumps(gen))
        proc.stdin.close()
    except OSError:
        return None
    return proc


def compile_analysis(gen: Any, ana: Any, out: Any) -> None:
    """Compile (or load) the look analysis for these bundles' types on an empty trial."""
    from survtrial.simulate import _looks

    enrol, cell, exit_t, cause, pref, grid, cand, _sup, _n_cand, _scratch = _trial_buffers(gen)
    n_strata = gen.strat_cum.size
    ws = _looks.workspace(2, n_strata * gen.n_arms, n_strata if ana.stratified else 1, ana.test_kind.size)
    _looks.analyse_looks(np.int64(0), enrol, cell, exit_t, cause, pref, grid, cand, np.int64(0), np.int64(n_strata),
                         np.int64(gen.n_arms), ana, ws, out, np.int64(0))


def ensure_compiled(state: np.ndarray, sizes: np.ndarray, gen: Any, ana: Any, out: Any) -> None:
    """Make sure ``simulate_block`` is compiled for these arguments' types, compiling the two halves
    side by side (generator in a spawned process) when it is not in numba's cache."""
    from numba import typeof

    from survtrial.simulate import _kernels

    key = tuple(typeof(a) for a in (gen, ana, out))
    if key in _READY:
        return
    with _LOCK:
        if key in _READY:
            return
        args = (state, sizes[:0], gen, ana, out)
        if not _cached(_kernels.simulate_block, args):
            t0 = time.perf_counter()
            _say("compiling the simulation kernels for this kind of model (once per installation; "
                 "later runs load them from numba's cache)...")
            child = None
            if not _cached(_kernels.warm_generation, (state, gen)):
                child = _start_generation_compiler(gen)
            compile_analysis(gen, ana, out)
            if child is not None:
                child.wait()  # if it failed, simulate_block compiles the generator here
            _kernels.simulate_block(*args)  # links the halves (the generator's from the cache)
            _say(f"kernels compiled in {time.perf_counter() - t0:.0f} s")
        _READY.add(key)
