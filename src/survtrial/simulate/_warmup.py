"""First use of the simulation kernels: a message while they compile, the generation and analysis halves side by side.

numba compiles a kernel the first time it meets a combination of argument types (after each
install or upgrade: later runs load it from numba's on-disk cache in well under a second). The
engine's two large halves, the trial generator (``generate_trial``) and the look analysis
(``analyse_looks``), are compiled on their own and the block kernel calls them through their
addresses (:class:`Entry`, numba's first-class functions), so nothing is compiled twice:
:func:`ensure_compiled` compiles the generator and then the block kernel in a second process while
this one compiles the analysis (numba's cache makes the second process's work available here; a
plain ``python -c`` process, so scripts without a ``__main__`` guard are not re-run), and tells
the user what is going on through the notifier the command line installs (:func:`set_notifier`).
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
from numba import typeof, types

_NOTIFY: Callable[[str], None] | None = None
_LOCK = threading.Lock()
_READY: dict[tuple, tuple[Entry, Entry]] = {}


def set_notifier(notify: Callable[[str], None] | None) -> None:
    """Have ``notify(text)`` called before and after a compilation (None: silent)."""
    global _NOTIFY
    _NOTIFY = notify


def _say(text: str) -> None:
    if _NOTIFY is not None:
        _NOTIFY(text)


class Entry(types.WrapperAddressProtocol):
    """A compiled kernel for one tuple of argument types as a first-class function: passed to a
    kernel, it is typed ``FunctionType(signature)`` and called through its address (numba's
    wrapper address protocol), so the caller does not link and re-optimise its code. Compiles the
    kernel, or loads it from numba's cache, when made."""

    def __init__(self, dispatcher: Any, argtypes: tuple):
        # compiled by the argument types alone: the key a call from Python uses in numba's cache
        # (compiling by a full signature would cache a second copy under another key)
        dispatcher.compile(argtypes)
        cres = dispatcher.overloads[argtypes]
        self._signature = cres.signature
        self._address = cres.library.get_pointer_to_function(cres.fndesc.llvm_cfunc_wrapper_name)
        self._keep = cres  # the code stays loaded while the entry lives

    def __wrapper_address__(self) -> int:
        return self._address

    def signature(self):
        return self._signature


def _cached(dispatcher: Any, argtypes: tuple) -> bool:
    """The dispatcher has a compiled version for these argument types, in memory or in numba's cache."""
    if argtypes in dispatcher.overloads:
        return True
    try:  # the cache's index holds the signature (numba's own lookup, without loading the code)
        cache = dispatcher._cache
        key = cache._index_key(argtypes, dispatcher.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except Exception:  # an unreadable cache, or another numba: compile with the message
        return False


def generation_call(gen: Any) -> tuple:
    """Arguments of ``generate_trial`` as the block kernel passes them, for a trial of two patients."""
    from survtrial.simulate import _generate, _rng

    bufs = _generate.buffers.py_func(2, gen.strat_cum.size * gen.n_arms)  # plain numpy: nothing to compile
    return (_rng.block_state(0, 0), np.int64(2), gen, gen.horizon, gen.min_events, bufs)


def analysis_call(gen: Any, ana: Any, out: Any) -> tuple:
    """Arguments of ``analyse_looks`` as the block kernel passes them, for an empty trial."""
    from survtrial.simulate import _generate, _looks

    enrol, cell, _row, exit_t, cause, _u, pref, grid, cand = _generate.buffers.py_func(
        2, gen.strat_cum.size * gen.n_arms)[:9]
    n_strata = gen.strat_cum.size
    ws = _looks.workspace.py_func(2, n_strata * gen.n_arms, n_strata if ana.stratified else 1, ana.test_kind.size)
    return (np.int64(0), enrol, cell, exit_t, cause, pref, grid, cand, np.int64(0), np.int64(n_strata),
            np.int64(gen.n_arms), ana, ws, out, np.int64(0))


def _types(args: tuple) -> tuple:
    return tuple(typeof(a) for a in args)


def block_types(gen: Any, ana: Any, out: Any) -> tuple:
    """Argument types of ``simulate_block`` for these bundles: the two halves as first-class
    functions of their argument types (neither returns a value)."""
    from survtrial.simulate import _rng

    draw = types.FunctionType(types.none(*_types(generation_call(gen))))
    analyse = types.FunctionType(types.none(*_types(analysis_call(gen, ana, out))))
    return (typeof(_rng.block_state(0, 0)), typeof(np.zeros(0, dtype=np.int64)), typeof(gen), typeof(ana),
            typeof(out), draw, analyse)


def compile_generation(gen: Any) -> None:
    """Compile (or load) the generator for this generation bundle's types (a trial of two patients)."""
    from survtrial.simulate._generate import generate_trial

    generate_trial(*generation_call(gen))


def compile_block(gen: Any, ana: Any, out: Any) -> None:
    """Compile (or load) ``simulate_block`` for these bundles' types (the halves need not be compiled)."""
    from survtrial.simulate import _kernels

    _kernels.simulate_block.compile(block_types(gen, ana, out))


def _child() -> None:
    """Entry point of the compiling process: (generation bundle, analysis bundle, outputs) come
    pickled on stdin; it compiles the generator, then the block kernel."""
    gen, ana, out = pickle.loads(sys.stdin.buffer.read())
    compile_generation(gen)
    compile_block(gen, ana, out)


def _start_compiler(gen: Any, ana: Any, out: Any) -> subprocess.Popen | None:
    """A Python process compiling the generator and the block kernel (it sees this process's
    import path); None if it cannot start."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        proc = subprocess.Popen([sys.executable, "-c", "from survtrial.simulate._warmup import _child; _child()"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        proc.stdin.write(pickle.dumps((gen, ana, out)))
        proc.stdin.close()
    except OSError:
        return None
    return proc


def compile_analysis(gen: Any, ana: Any, out: Any) -> None:
    """Compile (or load) the look analysis for these bundles' types on an empty trial."""
    from survtrial.simulate import _looks

    _looks.analyse_looks(*analysis_call(gen, ana, out))


def _small(out: Any) -> Any:
    """Outputs of the same types with no rows (what the compiling process needs of them)."""
    return type(out)(*(a[:0] for a in out))


def ensure_compiled(state: np.ndarray, sizes: np.ndarray, gen: Any, ana: Any, out: Any) -> tuple[Entry, Entry]:
    """The generator and the look analysis for these bundles' types as first-class functions for
    ``simulate_block`` (see :class:`Entry`), compiled side by side (the generator in a second
    process) when not in numba's cache; ``simulate_block`` itself compiled or loaded too."""
    from survtrial.simulate import _kernels
    from survtrial.simulate._generate import generate_trial
    from survtrial.simulate._looks import analyse_looks

    key = (typeof(gen), typeof(ana), typeof(out))
    entries = _READY.get(key)
    if entries is not None:
        return entries
    with _LOCK:
        entries = _READY.get(key)
        if entries is not None:
            return entries
        gen_types, ana_types = _types(generation_call(gen)), _types(analysis_call(gen, ana, out))
        need_gen, need_ana = not _cached(generate_trial, gen_types), not _cached(analyse_looks, ana_types)
        need_block = not _cached(_kernels.simulate_block, block_types(gen, ana, out))
        t0 = time.perf_counter()
        if need_gen or need_ana or need_block:
            _say("compiling the simulation kernels for this kind of model (once per installation; "
                 "later runs load them from numba's cache)...")
            child = _start_compiler(gen, ana, _small(out)) if need_gen or need_block else None
            if need_ana:
                compile_analysis(gen, ana, out)
            if child is not None:
                child.wait()  # if it failed, what it did not compile is compiled here
        entries = (Entry(generate_trial, gen_types), Entry(analyse_looks, ana_types))
        _kernels.simulate_block(state, sizes[:0], gen, ana, out, *entries)  # loads (or compiles) the block kernel
        if need_gen or need_ana or need_block:
            _say(f"kernels compiled in {time.perf_counter() - t0:.0f} s")
        _READY[key] = entries
        return entries
