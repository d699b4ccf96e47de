"""Absolute benefit recomputed from the reference figures; packaged copy equals the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from scipy.stats import norm

from survtrial.clinical.benefit import PUBLISHED, absolute_benefit
from survtrial.errors import InputError


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "source_note":
                yield from _leaves(v, (*path, k))
    else:
        yield path, node


def test_packaged_figures_equal_the_reference(reference):
    pkg = yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))
    leaves = list(_leaves(pkg))
    assert len(leaves) > 20
    for path, value in leaves:
        ref = reference
        for k in path:
            assert k in ref, f"{'.'.join(path)} not in the reference"
            ref = ref[k]
        assert value == ref, ".".join(path)


def _group_figures(reference, group):
    res = reference["results_first_interim"]
    src = res["dfs_3y"] if group == "all" else res["dfs_3y_by_risk"][group]
    return src["chemo"]["value"], src["chemo"]["se"], src["blina"]["value"], src["blina"]["se"]


@pytest.mark.parametrize("group", ["all", "SR-Avg", "SR-High"])
@pytest.mark.parametrize("level", [0.90, 0.95])
def test_group_benefit_recomputed_from_the_reference(reference, group, level):
    s0, se0, s1, se1 = _group_figures(reference, group)
    b = absolute_benefit(group, level=level)
    z = norm.ppf(1 - (1 - level) / 2)
    diff, se = s1 - s0, math.sqrt(se0**2 + se1**2)
    assert (b.dfs_chemo, b.dfs_blina) == (s0, s1)
    assert b.difference == pytest.approx(diff, abs=1e-12)
    assert b.se_difference == pytest.approx(se, rel=1e-12)
    assert b.difference_ci == pytest.approx((diff - z * se, diff + z * se), rel=1e-12)
    assert b.confidence_interval(level) == pytest.approx(b.difference_ci)
    assert b.nnt.estimate == pytest.approx(100 / diff)
    assert b.nnt.interval() == pytest.approx((100 / (diff + z * se), 100 / (diff - z * se)))
    assert b.relative_reduction == pytest.approx(1 - (100 - s1) / (100 - s0))


def test_hazard_ratios(reference):
    hr = reference["results_first_interim"]["dfs_hazard_ratio"]
    b = absolute_benefit()
    assert b.hr == hr["value"] and b.hr_ci == tuple(hr["ci95"])
    # at another level: log-scale SE recovered from the published 95% CI
    se = (math.log(hr["ci95"][1]) - math.log(hr["ci95"][0])) / (2 * norm.ppf(0.975))
    b90 = absolute_benefit(level=0.90)
    z90 = norm.ppf(0.95)
    assert b90.hr_ci == pytest.approx((hr["value"] * math.exp(-z90 * se), hr["value"] * math.exp(z90 * se)))
    # groups: HR implied under proportional hazards, log S1 / log S0, delta-method CI
    s0, se0, s1, se1 = (x / 100 for x in _group_figures(reference, "SR-Avg"))
    g = absolute_benefit("SR-Avg")
    assert g.hr == pytest.approx(math.log(s1) / math.log(s0))
    se_log = math.sqrt((se0 / (s0 * math.log(s0))) ** 2 + (se1 / (s1 * math.log(s1))) ** 2)
    z95 = 1.959963984540054
    assert g.hr_ci == pytest.approx((g.hr * math.exp(-z95 * se_log), g.hr * math.exp(z95 * se_log)))
    assert "implied" in g.hr_source


def test_ci_crossing_zero_uses_altman_convention(reference):
    # SR-High has the widest interval; find the lowest level at which it crosses zero from the figures
    s0, se0, s1, se1 = _group_figures(reference, "SR-High")
    diff, se = s1 - s0, math.hypot(se0, se1)
    level = 2 * norm.cdf(diff / se) - 1 + 0.005  # just past the level where the lower limit hits 0
    b = absolute_benefit("SR-High", level=level)
    assert b.difference_ci[0] < 0 < b.difference_ci[1]
    assert b.nnt.crosses_zero
    assert b.nnt.harm_bound == pytest.approx(100 / -b.difference_ci[0])
    assert b.nnt.benefit_bound == pytest.approx(100 / b.difference_ci[1])
    assert "to \u221e to NNTB" in str(b.nnt)


def test_sr_fav_and_non_randomized_children_get_no_estimate():
    fav = absolute_benefit("SR-Fav")
    assert not fav.established and math.isnan(fav.difference) and fav.nnt is None
    assert "not randomized" in fav.reason and "not established" in fav.reason
    child = {"age_years": 5, "wbc_per_ul": 4000, "sex": "F", "cytogenetics": "other", "cns_status": "CNS1",
             "testicular": False, "day8_pb_mrd_pct": 0.01, "eoi_bm_flow_mrd_pct": 0, "eoi_hts_mrd": "undetectable",
             "eoc_bm_mrd_pct": 0}
    b = absolute_benefit(patient=child)
    assert not b.established and b.risk_group == "SR-Avg" and b.reason.startswith("SR-Avg, not randomized")
    b2 = absolute_benefit(patient=dict(child, eoi_hts_mrd="detectable"))
    assert b2.established and b2.risk_group == "SR-Avg"
    assert b2.difference == absolute_benefit("SR-Avg").difference
    b3 = absolute_benefit(patient=dict(child, eoi_hts_mrd=None))
    assert not b3.established and b3.reason == "SR-Avg; randomization cannot be decided: needs eoi_hts_mrd"


def test_bad_arguments():
    with pytest.raises(InputError, match="unknown; use one of"):
        absolute_benefit("SR-Low")
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        absolute_benefit("all", level=95)
    with pytest.raises(InputError, match="method"):
        absolute_benefit("all", method="bayes")
    with pytest.raises(InputError, match="not both"):
        absolute_benefit("all", patient={"age_years": 3})
    assert absolute_benefit("sr_avg").risk_group == "SR-Avg"


def test_bootstrap_matches_its_closed_form(reference):
    """With independent normal draws on the log(-log) scale, P(S1 > S0) = P(eta1 < eta0) has the closed
    form Phi((eta0 - eta1) / sqrt(g0^2 + g1^2)); the implied-HR percentiles are lognormal quantiles.
    Tolerances: 4 Monte-Carlo standard errors."""
    n = 100_000
    s0, se0, s1, se1 = (x / 100 for x in _group_figures(reference, "SR-High"))
    eta0, eta1 = math.log(-math.log(s0)), math.log(-math.log(s1))
    g0, g1 = se0 / (s0 * -math.log(s0)), se1 / (s1 * -math.log(s1))
    sd = math.hypot(g0, g1)
    p = norm.cdf((eta0 - eta1) / sd)
    b = absolute_benefit("SR-High", method="bootstrap", n_draws=n, rng=20250101)
    assert abs(b.probability_benefit - p) < 4 * math.sqrt(p * (1 - p) / n)
    for q, got in zip((0.025, 0.975), b.hr_ci, strict=True):
        expect = eta1 - eta0 + norm.ppf(q) * sd
        mc_se = math.sqrt(q * (1 - q) / n) / (norm.pdf(norm.ppf(q)) / sd)
        assert abs(math.log(got) - expect) < 4 * mc_se
    # the difference draws, recomputed independently with the same stream, give the same percentiles
    gen = np.random.default_rng(20250101)
    e0, e1 = gen.normal(eta0, g0, n), gen.normal(eta1, g1, n)
    d = 100 * (np.exp(-np.exp(e1)) - np.exp(-np.exp(e0)))
    assert b.difference_ci == pytest.approx(tuple(np.quantile(d, [0.025, 0.975])), rel=1e-12)
    assert absolute_benefit("SR-High", method="bootstrap", n_draws=1000, rng=5).difference_ci == \
        absolute_benefit("SR-High", method="bootstrap", n_draws=1000, rng=5).difference_ci


def test_to_frame_and_repr():
    b = absolute_benefit("SR-Avg")
    f = b.to_frame()
    assert f.shape[0] == 1 and f.loc[0, "nnt_text"] == str(b.nnt)
    assert len(repr(b).splitlines()) <= 4
