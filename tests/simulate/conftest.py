"""Fixtures for the simulation tests: the packaged AALL1731 scenario."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def aall1731():
    """The packaged AALL1731 scenario (loaded and calibrated once)."""
    from survtrial.simulate.scenario import load_scenario

    return load_scenario("aall1731")
