"""Fixtures for the report tests (helpers live in report_fixtures.py so test modules can import them)."""

from __future__ import annotations

import pandas as pd
import pytest
from report_fixtures import plain_km, synthetic_trial


@pytest.fixture
def trial():
    return synthetic_trial()


@pytest.fixture
def km_frame(trial) -> pd.DataFrame:
    return plain_km(*trial)
