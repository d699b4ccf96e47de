"""First use of the kernels: the message, the generator and block kernel compiled in a second process, same results."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from survtrial.simulate import _warmup
from survtrial.simulate.engine import build_model, simulate_range

sys.path.insert(0, str(Path(__file__).parent))
from engine_scenarios import scenario


def test_cold_path_says_so_and_gives_the_same_records(monkeypatch):
    # numba's cache already holds the kernels here (a cold cache takes a minute): pretend it does
    # not, so the whole path runs (message, compiling process, analysis, block kernel), cheaply
    model = build_model(scenario(n=200), {"events": [20, 40]}, landmarks=[])
    before = simulate_range(model, 3, 0, 40)
    messages: list[str] = []
    monkeypatch.setattr(_warmup, "_cached", lambda dispatcher, args: False)
    monkeypatch.setattr(_warmup, "_READY", {})
    started = []
    real_start = _warmup._start_compiler

    def start(gen):
        compiler = real_start(gen)
        started.append(compiler)
        return compiler

    monkeypatch.setattr(_warmup, "_start_compiler", start)
    _warmup.set_notifier(messages.append)
    try:
        after = simulate_range(model, 3, 0, 40)
    finally:
        _warmup.set_notifier(None)
    pd.testing.assert_frame_equal(before, after)
    assert messages[0].startswith("compiling the simulation kernels") and messages[1].startswith("kernels compiled in")
    assert len(started) == 1 and started[0] is not None and started[0].proc.returncode == 0  # the compiling process ran
    simulate_range(model, 3, 0, 10)
    assert len(messages) == 2  # once per kind of model and process


def test_the_generator_has_one_type_for_every_model():
    # start_early compiles the generator for the canonical bundle before any model is built:
    # that is only useful if every model's bundle has the same numba type
    from numba import typeof

    from survtrial.simulate._generation import build_generation
    from survtrial.simulate.scenario import load_scenario

    canonical = typeof(_warmup.canonical_generation())
    from test_generate import _delayed_scenario

    from survtrial.simulate.scenario import scenario_from_dict

    cured = scenario_from_dict(_delayed_scenario({"low.control": 0.2}))  # the cure array filled: same type
    models = (scenario(n=200, strata=("all",)), scenario(n=300), cured, load_scenario("aall1731"),
              load_scenario("delayed_effect"), load_scenario("colon"))
    for sc in models:
        assert typeof(build_generation(sc).args) == canonical, sc.name


def test_early_start_compiles_in_a_second_process_and_gives_the_same_records(monkeypatch):
    model = build_model(scenario(n=200), {"events": [20, 40]}, landmarks=[])
    before = simulate_range(model, 5, 0, 30)
    messages: list[str] = []
    monkeypatch.setattr(_warmup, "_cached", lambda dispatcher, args: False)
    monkeypatch.setattr(_warmup, "_READY", {})
    monkeypatch.setattr(_warmup, "_EARLY", None)
    _warmup.set_notifier(messages.append)
    try:
        _warmup.start_early()
        early = _warmup._EARLY
        assert early is not None and early.proc.poll() is None  # compiling while the model would be built
        after = simulate_range(model, 5, 0, 30)
    finally:
        _warmup.set_notifier(None)
    pd.testing.assert_frame_equal(before, after)
    assert early.proc.returncode == 0 and _warmup._EARLY is None  # used once, then finished
    assert messages[0].startswith("compiling the simulation kernels") and messages[1].startswith("kernels compiled in")
    assert len(messages) == 2


def test_an_unused_early_compiler_is_stopped(monkeypatch):
    monkeypatch.setattr(_warmup, "_cached", lambda dispatcher, args: False)
    monkeypatch.setattr(_warmup, "_EARLY", None)
    _warmup.start_early()
    early = _warmup._EARLY
    _warmup._stop_unused(early)  # what the exit handler does when the command failed before simulating
    assert early.proc.returncode is not None
    monkeypatch.setattr(_warmup, "_EARLY", None)


def test_a_first_call_that_compiles_says_so_once():
    from numba import njit

    @njit  # not cached: compiled on the first call for each argument type
    def twice(x):
        return 2 * x

    messages = []
    _warmup.set_notifier(messages.append)
    try:
        assert _warmup.call_compiled(twice, 3) == 6
        assert _warmup.call_compiled(twice, 4) == 8  # compiled already: silent
    finally:
        _warmup.set_notifier(None)
    assert len(messages) == 2
    assert messages[0].startswith("compiling the simulation kernels") and messages[1].startswith("kernels compiled in")
    assert _warmup.call_compiled(twice, 2.5) == 5.0  # no notifier: silent, and a new type compiles as usual
    assert len(messages) == 2
