"""Twin: a packaged scenario with its delay changed; the arms' curves by the textbook formula; interim stopping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from survtrial.app.simulation import ScenarioJob
from survtrial.app.twin import delay_of, twin_curves, twin_names, twin_scenario, twin_simulation_design
from survtrial.errors import InputError
from survtrial.simulate import run_simulation


def test_twins_with_a_delay():
    assert set(twin_names()) == {"aall1731", "delayed_effect"}
    assert delay_of("delayed_effect") == 1.0 and delay_of("aall1731") == 0.25


def test_curves_follow_the_changed_delay():
    sc = twin_scenario("delayed_effect", 0.5)
    years = np.array([0.25, 0.5, 1.0, 2.0, 3.0])
    got = twin_curves(sc, years)
    # delayed_effect.yaml: control exponential through S(3) = 0.60; experimental HR 1 before the delay, 0.6 after
    lam = -math.log(0.60) / 3
    control = np.exp(-lam * years)
    experimental = np.exp(-lam * np.minimum(years, 0.5) - 0.6 * lam * np.maximum(years - 0.5, 0))
    np.testing.assert_allclose(got["control"], control, rtol=1e-10)
    np.testing.assert_allclose(got["experimental"], experimental, rtol=1e-10)


def test_bad_delays_are_messages():
    with pytest.raises(InputError, match="delay: 0 must be a number of years > 0"):
        twin_scenario("delayed_effect", 0)
    with pytest.raises(InputError, match=r"delay: 1\.5 years must be before the profile.s next cut point at 1 years"):
        twin_scenario("aall1731", 1.5)


def test_interim_stopping_is_the_engines_for_the_same_seed():
    sc = twin_scenario("delayed_effect", 0.5)
    design = twin_simulation_design(sc)
    assert design == {"planned_events": 300, "information_fractions": [0.5, 1.0], "alpha": 0.025,
                      "alpha_spending": "asOF"}
    job = ScenarioJob(sc, design, 200, seed=3).start()
    assert job.wait(120) and job.state == "done", job.error
    direct = run_simulation(sc, design, 200, seed=3).summary()
    np.testing.assert_array_equal(job.result.by_look["rejection"], direct.by_look["rejection"])
