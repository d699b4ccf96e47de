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

    def start(gen, ana, out):
        proc = real_start(gen, ana, out)
        started.append(proc)
        return proc

    monkeypatch.setattr(_warmup, "_start_compiler", start)
    _warmup.set_notifier(messages.append)
    try:
        after = simulate_range(model, 3, 0, 40)
    finally:
        _warmup.set_notifier(None)
    pd.testing.assert_frame_equal(before, after)
    assert messages[0].startswith("compiling the simulation kernels") and messages[1].startswith("kernels compiled in")
    assert len(started) == 1 and started[0] is not None and started[0].returncode == 0  # the compiling process ran
    simulate_range(model, 3, 0, 10)
    assert len(messages) == 2  # once per kind of model and process
