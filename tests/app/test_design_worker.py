"""The design computed in the background: the same result as computing it in place, the latest inputs first."""

from __future__ import annotations

import threading

import numpy as np
from test_inputs import ENROLL, FAIL, VALUES, tables

from survtrial.app.design_worker import DesignWorker
from survtrial.app.panel import compute
from survtrial.design import maxcombo_design


def test_a_maxcombo_design_in_the_background_is_the_design_apis():
    values = VALUES | {"test": "maxcombo"}
    worker = DesignWorker()
    n = worker.submit(values, ENROLL, FAIL)
    assert worker.wait(n, timeout=300)
    d = worker.get(n)["view"].design
    expected = maxcombo_design(tables(), ["fh(0, 0)", "fh(0, 0.5)"], analysis_times=36,
                               information_fractions=[0.4, 0.7, 1], alpha=0.025, power=0.9, alpha_spending="OF",
                               beta_spending="HSD(-2)", binding_futility=False)
    for name in ("n", "events", "time", "upper", "lower", "upper_h1", "lower_h1"):
        np.testing.assert_array_equal(getattr(d, name), getattr(expected, name), err_msg=name)
    assert worker.get(n)["view"].headline == compute(values, ENROLL, FAIL)["view"].headline
    assert not worker.busy()


def test_submit_returns_at_once_and_the_latest_request_wins():
    release, started = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow(x: int) -> dict:
        calls.append(x)
        started.set()
        release.wait(60)
        return {"x": x}

    worker = DesignWorker(slow)
    first = worker.submit(1)
    assert started.wait(60)
    assert worker.get(first) is None and worker.busy()  # still computing: the caller was not held up
    second, third = worker.submit(2), worker.submit(3)
    release.set()
    assert worker.wait(third, timeout=60) and worker.get(third) == {"x": 3}
    assert not worker.wait(second, timeout=0) and worker.get(second) is None and worker.get(first) is None
    assert calls == [1, 3]  # request 2 was overtaken before it started: never computed


def test_an_unexpected_error_is_a_message():
    def broken(_: int) -> dict:
        raise ZeroDivisionError("division by zero")

    worker = DesignWorker(broken)
    n = worker.submit(0)
    assert worker.wait(n, timeout=60)
    assert worker.get(n) == {"error": "the design could not be computed (ZeroDivisionError: division by zero)",
                             "field": "design"}
