"""First use of the simulation kernels: a message while they compile, the generation and analysis halves side by side.

numba compiles a kernel the first time it meets a combination of argument types (after each
install or upgrade: later runs load it from numba's on-disk cache in well under a second). The
engine's two large halves, the trial generator (``generate_trial``) and the look analysis
(``analyse_looks``), are compiled on their own and the block kernel calls them through their
addresses (:class:`Entry`, numba's first-class functions), so nothing is compiled twice. A second
process (a plain ``python -c``, so scripts without a ``__main__`` guard are not re-run) compiles
the generator and then the block kernel while this one compiles the analysis; numba's cache makes
its work available here. The generator's argument types are the same for every model
(:func:`~survtrial.simulate._generate.generation_args` fixes them), so a command that will simulate
starts that process as soon as its arguments are checked (:func:`start_early`), while it still
reads its inputs and builds the model; :func:`ensure_compiled` then sends it the model's bundles
for the block kernel. The user is told what is going on through the notifier the command line
installs (:func:`set_notifier`).
"""

from __future__ import annotations

import atexit
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

_COMPILING = ("compiling the simulation kernels for this kind of model (once per installation; later runs load "
              "them from numba's cache)...")
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

    bufs = _generate.buffers(2, gen.strat_cum.size * gen.n_arms)
    return (_rng.block_state(0, 0), np.int64(2), gen, gen.horizon, gen.min_events, bufs)


def analysis_call(gen: Any, ana: Any, out: Any) -> tuple:
    """Arguments of ``analyse_looks`` as the block kernel passes them, for an empty trial."""
    from survtrial.simulate import _generate, _looks

    enrol, cell, _row, exit_t, cause, _u, pref, grid, cand = _generate.buffers(
        2, gen.strat_cum.size * gen.n_arms)[:9]
    n_strata = gen.strat_cum.size
    ws = _looks.workspace(2, n_strata * gen.n_arms, n_strata if ana.stratified else 1, ana.test_kind.size)
    return (np.int64(0), enrol, cell, exit_t, cause, pref, grid, cand, np.int64(0), np.int64(n_strata),
            np.int64(gen.n_arms), ana, ws, out, np.int64(0))


def _types(args: tuple) -> tuple:
    return tuple(typeof(a) for a in args)


def call_compiled(dispatcher: Any, *args: Any) -> Any:
    """``dispatcher(*args)``, saying so (through the notifier) when it first has to compile for these
    argument types, e.g. the patient-level generator of ``survtrial reproduce`` after installing."""
    if _NOTIFY is None or _cached(dispatcher, _types(args)):
        return dispatcher(*args)
    t0 = time.perf_counter()
    _say(_COMPILING)
    out = dispatcher(*args)
    _say(f"kernels compiled in {time.perf_counter() - t0:.0f} s")
    return out


def block_work(sizes: np.ndarray, gen: Any, ana: Any) -> tuple[tuple, tuple]:
    """Work arrays of the generator and of the look analysis for a block of trials of ``sizes``
    patients (plain numpy: the block kernel receives them)."""
    from survtrial.simulate import _generate, _looks

    n_cap = int(sizes.max()) if sizes.size else 0
    n_strata = gen.strat_cum.size
    n_cells = n_strata * gen.n_arms
    return (_generate.buffers(n_cap, n_cells),
            _looks.workspace(n_cap, n_cells, n_strata if ana.stratified else 1, ana.test_kind.size))


def block_types(gen: Any, ana: Any, out: Any) -> tuple:
    """Argument types of ``simulate_block`` for these bundles: the two halves as first-class
    functions of their argument types (neither returns a value), then their work arrays."""
    from survtrial.simulate import _rng

    draw = types.FunctionType(types.none(*_types(generation_call(gen))))
    analyse = types.FunctionType(types.none(*_types(analysis_call(gen, ana, out))))
    bufs, ws = block_work(np.zeros(1, dtype=np.int64), gen, ana)
    return (typeof(_rng.block_state(0, 0)), typeof(np.zeros(0, dtype=np.int64)), typeof(gen), typeof(ana),
            typeof(out), draw, analyse, typeof(bufs), typeof(ws))


def compile_generation(gen: Any) -> None:
    """Compile (or load) the generator for this generation bundle's types (a trial of two patients)."""
    from survtrial.simulate._generate import generate_trial

    generate_trial(*generation_call(gen))


def compile_block(gen: Any, ana: Any, out: Any) -> None:
    """Compile (or load) ``simulate_block`` for these bundles' types (the halves need not be compiled)."""
    from survtrial.simulate import _kernels

    _kernels.simulate_block.compile(block_types(gen, ana, out))


def canonical_generation() -> Any:
    """A generation bundle of the one type every model's has (two arms, one stratum, one piece):
    what the generator is compiled for before the model is known."""
    from survtrial.simulate._generate import generation_args

    one = np.ones(1)
    return generation_args(n_fixed=2, n_mean=2.0, acc_knots=np.array([0.0, 1.0]), acc_cum=np.array([0.0, 1.0]),
                           acc_dens=one, strat_cum=one, stratified_blocks=True, blocks=np.array([[0, 1]]),
                           target=np.array([-1]), n_arms=2, breaks=np.zeros(1), tot_rates=np.ones((2, 1)),
                           tot_cum=np.zeros((2, 1)), p_event=np.ones((2, 1)), type_cum=np.ones((2, 1)),
                           cure=np.empty(0))


def _child() -> None:
    """Entry point of the compiling process. Pickled on stdin: a generation bundle (the generator
    is compiled for its types), then, unless stdin closes first, (generation bundle, analysis
    bundle, outputs): the block kernel is compiled for their types."""
    stream = sys.stdin.buffer
    compile_generation(pickle.load(stream))
    try:
        gen, ana, out = pickle.load(stream)
    except EOFError:  # the command needed no block kernel (or ended)
        return
    compile_generation(gen)
    compile_block(gen, ana, out)


class _Compiler:
    """The second compiling process: generator first, then the block kernel when asked."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.started = time.perf_counter()

    def block(self, gen: Any, ana: Any, out: Any) -> None:
        """Ask for the block kernel of these bundles' types (outputs without rows), then no more."""
        try:
            pickle.dump((gen, ana, _small(out)), self.proc.stdin)
        except OSError:  # it ended early: what it did not compile is compiled here
            pass
        self.close()

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def wait(self) -> int:
        self.close()
        return self.proc.wait()


def _start_compiler(gen: Any) -> _Compiler | None:
    """A Python process compiling the generator for this bundle's types, then the block kernel
    when :meth:`_Compiler.block` asks (it sees this process's import path); None if it cannot start."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        proc = subprocess.Popen([sys.executable, "-c", "from survtrial.simulate._warmup import _child; _child()"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        pickle.dump(gen, proc.stdin)  # small: a few arrays of the model's size, never the trials
        proc.stdin.flush()
    except OSError:
        return None
    return _Compiler(proc)


_EARLY: _Compiler | None = None


def start_early() -> None:
    """Start compiling the generator in a second process now, before the model is built (its
    types never change), unless numba's cache already holds it; the message is given when
    :func:`ensure_compiled` is reached (the command may still refuse its inputs before that).
    :func:`ensure_compiled` uses that process; a process never used is stopped at exit."""
    global _EARLY
    from survtrial.simulate._generate import generate_trial

    with _LOCK:
        if _EARLY is not None:
            return
        gen = canonical_generation()
        if _cached(generate_trial, _types(generation_call(gen))):
            return
        _EARLY = _start_compiler(gen)  # said when the command gets there (it may still refuse its inputs)
        if _EARLY is not None:
            atexit.register(_stop_unused, _EARLY)


def _stop_unused(compiler: _Compiler) -> None:
    """At exit: a compiling process nobody waited for (the command failed before simulating) is stopped."""
    if compiler.proc.poll() is None:
        compiler.proc.kill()
        compiler.proc.wait()


def compile_analysis(gen: Any, ana: Any, out: Any) -> None:
    """Compile (or load) the look analysis for these bundles' types on an empty trial."""
    from survtrial.simulate import _looks

    _looks.analyse_looks(*analysis_call(gen, ana, out))


def _small(out: Any) -> Any:
    """Outputs of the same types with no rows (what the compiling process needs of them)."""
    return type(out)(*(a[:0] for a in out))


def ensure_compiled(state: np.ndarray, sizes: np.ndarray, gen: Any, ana: Any, out: Any, bufs: tuple,
                    ws: tuple) -> tuple[Entry, Entry]:
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
        global _EARLY
        child, _EARLY = _EARLY, None  # the process start_early started, if any (compiling the generator)
        need_gen, need_ana = not _cached(generate_trial, gen_types), not _cached(analyse_looks, ana_types)
        need_block = not _cached(_kernels.simulate_block, block_types(gen, ana, out))
        compiling = need_gen or need_ana or need_block or child is not None
        t0 = child.started if child is not None else time.perf_counter()
        if compiling:
            _say(_COMPILING)
            if child is None:
                if need_gen or need_block:
                    child = _start_compiler(gen)
            if child is not None:
                if need_gen or need_block:
                    child.block(gen, ana, out)  # the real generation bundle too: same types, nothing recompiled
                else:
                    child.close()
            if need_ana:
                compile_analysis(gen, ana, out)
            if child is not None:
                child.wait()  # if it failed, what it did not compile is compiled here
        entries = (Entry(generate_trial, gen_types), Entry(analyse_looks, ana_types))
        # loads (or compiles) the block kernel
        _kernels.simulate_block(state, sizes[:0], gen, ana, out, *entries, bufs, ws)
        if compiling:
            _say(f"kernels compiled in {time.perf_counter() - t0:.0f} s")
        _READY[key] = entries
        return entries
