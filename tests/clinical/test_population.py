"""Synthetic population: valid cohort rows, reproducible, and shares that follow the stated assumptions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from survtrial.clinical.patient import validate_records
from survtrial.clinical.population import PopulationAssumptions, synthetic_cohort
from survtrial.errors import InputError


def test_rows_are_valid_cohort_rows_and_reproducible():
    df = synthetic_cohort(500, rng=11)
    assert len(validate_records(df)) == 500
    assert synthetic_cohort(500, rng=11).equals(df)
    assert not synthetic_cohort(500, rng=12).equals(df)
    assert df["age_years"].between(1, 10, inclusive="left").all()
    assert (df["wbc_per_ul"] < 50000).all()
    assert not df.loc[df["sex"] == "F", "testicular"].any()


def test_shares_follow_the_assumptions(reference):
    """Each share within 4 binomial standard errors of its assumption (n = 20,000)."""
    n = 20000
    a = PopulationAssumptions()
    df = synthetic_cohort(n, rng=7)

    def tol(p: float) -> float:
        return 4 * math.sqrt(p * (1 - p) / n)

    boys = reference["population"]["percent_boys"] / 100
    assert a.boys_share == boys
    assert abs((df["sex"] == "M").mean() - boys) < tol(boys)
    for label, p in a.cytogenetics:
        assert abs((df["cytogenetics"] == label).mean() - p) < tol(p), label
    for label, p in a.cns:
        assert abs((df["cns_status"] == label).mean() - p) < tol(p), label
    # flow MRD is either 0 (below the limit) or at least the limit
    flow = df["eoi_bm_flow_mrd_pct"]
    assert ((flow == 0) | (flow >= a.flow_limit_pct)).all()


def test_high_risk_share_when_all_b_all_is_drawn():
    n = 20000
    a = PopulationAssumptions()
    df = synthetic_cohort(n, rng=8, include_nci_high_risk=True)
    high = ~((df["age_years"] < 10) & (df["wbc_per_ul"] < 50000))
    p = a.nci_high_risk_share
    assert abs(high.mean() - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert df["age_years"].max() < 18 and df["age_years"].min() >= 1


def test_bad_assumptions_and_arguments():
    with pytest.raises(InputError, match="sum to 1"):
        PopulationAssumptions(cns=(("CNS1", 0.5), ("CNS2", 0.2), ("CNS3", 0.1)))
    with pytest.raises(InputError, match="share in"):
        PopulationAssumptions(nci_high_risk_share=1.5)
    with pytest.raises(InputError, match="integer >= 1"):
        synthetic_cohort(0)
    assert set(PopulationAssumptions().describe()) >= {"cytogenetics", "cns", "boys_share"}
    assert isinstance(synthetic_cohort(3, rng=np.random.default_rng(1)).iloc[0]["patient_id"], str)
