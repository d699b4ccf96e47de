"""Tests for restricted mean survival time (R survfit output, lifelines, hand computation)."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.errors import InputError
from survtrial.stats.rmst import restricted_mean_survival_time

# Gehan (1965) / Freireich et al. (1963) remission times in weeks, as R's MASS::gehan
# (6-MP arm: 0 = censored; the control arm has no censoring).
GEHAN_6MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
GEHAN_6MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
GEHAN_CONTROL = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def gehan() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": GEHAN_6MP + GEHAN_CONTROL,
            "cens": GEHAN_6MP_EVENT + [1] * 21,
            "treat": ["6-MP"] * 21 + ["control"] * 21,
        }
    )


def test_gehan_copy_agrees_with_packaged_example_data():
    from importlib import resources

    path = resources.files("survtrial") / "data" / "gehan.csv"
    if not path.is_file():
        pytest.skip("survtrial/data/gehan.csv not packaged")
    packaged = pd.read_csv(path)
    for label, times, events in (
        ("6-MP", GEHAN_6MP, GEHAN_6MP_EVENT),
        ("placebo", GEHAN_CONTROL, [1] * 21),
    ):
        arm = packaged[packaged.group == label]
        assert sorted(zip(arm.time, arm.event, strict=True)) == sorted(zip(times, events, strict=True))


# R 4.x, survival:
#   library(MASS); options(digits = 10)
#   fit <- survfit(Surv(time, cens) ~ treat, data = gehan)
#   summary(fit, rmean = tau)$table[, c("rmean", "se(rmean)")]
R_GEHAN = {
    10: {"6-MP": (9.277310924, 0.3267691154), "control": (6.619047619, 0.7330122689)},
    23: {"6-MP": (17.909243697, 1.553189978), "control": (8.666666667, 1.377390041)},
    35: {"6-MP": (23.287394958, 2.827467623), "control": (8.666666667, 1.377390041)},
}


@pytest.mark.parametrize("tau", sorted(R_GEHAN))
def test_gehan_matches_r_survfit_rmean(tau):
    r = restricted_mean_survival_time("time", "cens", "treat", data=gehan(), tau=tau, reference="control")
    for label, (rmean, se) in R_GEHAN[tau].items():
        i = list(r.groups).index(label)
        assert r.rmst[i] == pytest.approx(rmean, rel=1e-9)
        assert r.std_err[i] == pytest.approx(se, rel=1e-9)


def test_gehan_difference_and_ratio_from_r_group_values():
    # survRM2::rmst2 conventions (difference arm - reference with SE sqrt(v1 + v0); ratio on the
    # log scale, delta method), double-programmed from the R survfit values at tau = 10.
    r = restricted_mean_survival_time("time", "cens", "treat", data=gehan(), tau=10, reference="control")
    (m1, s1), (m0, s0) = R_GEHAN[10]["6-MP"], R_GEHAN[10]["control"]
    z = 1.959963984540054
    d, sd = m1 - m0, math.sqrt(s1**2 + s0**2)
    assert r.reference == "control" and r.compared == "6-MP"
    assert r.difference == pytest.approx(d, rel=1e-9)
    assert r.difference_se == pytest.approx(sd, rel=1e-9)
    lo, hi = r.confidence_interval(which="difference")
    assert (lo, hi) == pytest.approx((d - z * sd, d + z * sd), rel=1e-9)
    assert r.p_value == pytest.approx(math.erfc(abs(d / sd) / math.sqrt(2)), rel=1e-8)
    lr_se = math.sqrt((s1 / m1) ** 2 + (s0 / m0) ** 2)
    assert r.ratio == pytest.approx(m1 / m0, rel=1e-9)
    assert r.log_ratio_se == pytest.approx(lr_se, rel=1e-9)
    lo, hi = r.confidence_interval(which="ratio")
    assert (lo, hi) == pytest.approx((m1 / m0 * math.exp(-z * lr_se), m1 / m0 * math.exp(z * lr_se)), rel=1e-9)
    assert r.p_value_ratio == pytest.approx(math.erfc(abs(math.log(m1 / m0) / lr_se) / math.sqrt(2)), rel=1e-8)
    comp = r.to_frame("comparisons")
    assert comp.comparison.tolist() == ["6-MP - control", "6-MP / control"]
    assert comp.estimate.tolist() == pytest.approx([d, m1 / m0], rel=1e-9)


def generated_set():
    """Rebuilt in R with the same integer formulas (ties; arm 1's last time censored)."""
    i = np.arange(80)
    time = ((i * 29) % 31 + 1) / 4
    status = ((i % 5 != 0) & (i % 7 != 3)).astype(int)
    arm = i % 2
    status[(time == 7.75) & (arm == 1)] = 0
    return time, status, arm


# R 4.x, survival:
#   i <- 0:79; time <- ((i * 29) %% 31 + 1) / 4
#   status <- as.integer((i %% 5) != 0 & (i %% 7) != 3); arm <- i %% 2
#   status[time == 7.75 & arm == 1] <- 0L
#   f2 <- survfit(Surv(time, status) ~ arm); summary(f2, rmean = tau)$table[, c("rmean", "se(rmean)")]
#   summary(survfit(Surv(time, status) ~ 1), rmean = 5)$table[c("rmean", "se(rmean)")]
R_GENERATED = {
    2: [(1.844644637, 0.06633726646), (1.894762895, 0.05358089954)],
    4.5: [(3.551643662, 0.2209687381), (3.750814196, 0.1977667206)],
    7.75: [(4.783713584, 0.4040385528), (4.936203266, 0.3784264828)],
}


@pytest.mark.parametrize("tau", sorted(R_GENERATED))
def test_generated_set_matches_r_survfit_rmean(tau):
    time, status, arm = generated_set()
    r = restricted_mean_survival_time(time, status, arm, tau=tau)
    np.testing.assert_allclose(r.rmst, [v[0] for v in R_GENERATED[tau]], rtol=1e-9)
    np.testing.assert_allclose(r.std_err, [v[1] for v in R_GENERATED[tau]], rtol=1e-9)
    assert r.reference == 0 and r.compared == 1  # default: arm 1 - arm 0, as survRM2


def test_generated_set_pooled_matches_r():
    time, status, _ = generated_set()
    r = restricted_mean_survival_time(time, status, tau=5)
    assert r.rmst[0] == pytest.approx(3.9291786040, rel=1e-9)
    assert r.std_err[0] == pytest.approx(0.1716586474, rel=1e-9)
    assert np.isnan(r.difference) and r.compared is None


def test_hand_computed_tiny_case():
    # t = 1 (event), 2 (censored), 3 (event), 4 (event); tau = 3.5.
    # S = 1 on [0,1), 3/4 on [1,3), 3/8 on [3,3.5): RMST = 1 + 3/4*2 + 3/8*1/2 = 2.6875.
    # Greenwood terms d/(n(n-d)): t=1: 1/(4*3) = 1/12; t=3: 1/(2*1) = 1/2.
    # Areas to tau: from t=1: 3/2 + 3/16 = 27/16; from t=3: 3/16.
    # Var = (27/16)^2 / 12 + (3/16)^2 / 2 = 0.2548828125.
    r = restricted_mean_survival_time([1, 2, 3, 4], [1, 0, 1, 1], tau=3.5)
    assert r.rmst[0] == pytest.approx(2.6875, rel=1e-14)
    assert r.std_err[0] ** 2 == pytest.approx((27 / 16) ** 2 / 12 + (3 / 16) ** 2 / 2, rel=1e-14)
    # tau before the first time: the area is tau with no uncertainty.
    r = restricted_mean_survival_time([1, 2, 3, 4], [1, 0, 1, 1], tau=0.5)
    assert (r.rmst[0], r.std_err[0]) == (0.5, 0.0)
    # The curve reaches 0 at t = 4 (last observation is an event), so any tau is allowed.
    r = restricted_mean_survival_time([1, 2, 3, 4], [1, 0, 1, 1], tau=10)
    assert r.rmst[0] == pytest.approx(1 + 0.75 * 2 + 0.375 * 1, rel=1e-14)


def test_lifelines_cross_check(lifelines):
    from lifelines.utils import restricted_mean_survival_time as lifelines_rmst

    rng = np.random.default_rng(11)
    n = 80
    t = rng.exponential(2, n).round(2)
    e = (rng.random(n) < 0.7).astype(int)
    kmf = lifelines.KaplanMeierFitter().fit(t, e)
    assert restricted_mean_survival_time(t, e, tau=3.0).rmst[0] == pytest.approx(
        lifelines_rmst(kmf, 3.0), rel=1e-12
    )
    # lifelines' "variance" is Var[min(T, tau)] under the fitted curve (a property of the
    # distribution), not the variance of the estimate. Without censoring the estimate is the
    # sample mean of min(T, tau) and R's se(rmean)^2 is exactly its (ddof = 0) variance / n.
    t2 = rng.exponential(2, n).round(2)
    r = restricted_mean_survival_time(t2, np.ones(n, int), tau=3.0)
    y = np.minimum(t2, 3.0)
    assert n * r.std_err[0] ** 2 == pytest.approx(y.var(), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy quad over a step function warns (IntegrationWarning)
        kmf2 = lifelines.KaplanMeierFitter().fit(t2, np.ones(n))
        mean, var = lifelines_rmst(kmf2, 3.0, return_variance=True)
    assert mean == pytest.approx(r.rmst[0], rel=1e-12)
    # lifelines integrates t S(t) by adaptive quadrature over the step function; its own error
    # here is about 2e-4 relative, hence the tolerance.
    assert var == pytest.approx(n * r.std_err[0] ** 2, rel=1e-3)


def test_aall1731_scale_simulation_recovers_true_difference(reference):
    # Exponential DFS in each arm calibrated to the published 3-year DFS (YAML), trial-sized arms,
    # administrative censoring after 1 to 5 years of follow-up; tau = 3 years (the YAML's assumed
    # horizon). The estimate must lie within 4 of its SEs of the exact area between the curves.
    dfs = reference["results_first_interim"]["dfs_3y"]
    n_c, n_b = reference["population"]["randomized_chemo"], reference["population"]["randomized_blina"]
    lam = {arm: -math.log(dfs[arm]["value"] / 100) / 3 for arm in ("chemo", "blina")}
    rng = np.random.default_rng(20240601)
    arm = np.array(["chemo"] * n_c + ["blina"] * n_b)
    rate = np.where(arm == "chemo", lam["chemo"], lam["blina"])
    event_time = rng.exponential(1 / rate)
    follow = rng.uniform(1.0, 5.0, arm.size)
    time = np.minimum(event_time, follow)
    event = (event_time <= follow).astype(int)
    tau = 3.0
    r = restricted_mean_survival_time(time, event, arm, tau=tau, reference="chemo")
    truth = sum(sign * (1 - math.exp(-lam[a] * tau)) / lam[a] for a, sign in (("blina", 1), ("chemo", -1)))
    assert abs(r.difference - truth) < 4 * r.difference_se
    assert r.compared == "blina" and r.difference > 0


# ----------------------------------------------------------------------------- properties

samples = st.integers(3, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 30), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
    )
)


@settings(max_examples=50, deadline=None)
@given(samples, st.floats(0.01, 1.0), st.floats(0.01, 1.0))
def test_rmst_monotone_in_tau(ds, a, b):
    t, e = np.asarray(ds[0], float), np.asarray(ds[1])
    e[np.argmax(t)] = 0  # last time censored: tau must stay within follow-up
    lo_tau, hi_tau = sorted((a * t.max(), b * t.max()))
    r1 = restricted_mean_survival_time(t, e, tau=lo_tau).rmst[0]
    r2 = restricted_mean_survival_time(t, e, tau=hi_tau).rmst[0]
    assert r1 <= r2 + 1e-12
    assert r2 - r1 <= hi_tau - lo_tau + 1e-12  # S <= 1
    assert r2 <= hi_tau + 1e-12


@settings(max_examples=50, deadline=None)
@given(samples, st.randoms(use_true_random=False))
def test_row_order_does_not_matter_and_groups_are_separate(ds, rnd):
    t, e = np.asarray(ds[0], float), np.asarray(ds[1])
    g = np.arange(t.size) % 2
    tau = float(min(t[g == k].max() for k in set(g.tolist())))  # within every group's follow-up
    perm = np.asarray(rnd.sample(range(t.size), t.size))
    a = restricted_mean_survival_time(t, e, g, tau=tau)
    b = restricted_mean_survival_time(t[perm], e[perm], g[perm], tau=tau)
    np.testing.assert_allclose(a.rmst, b.rmst, rtol=1e-12)
    np.testing.assert_allclose(a.std_err, b.std_err, rtol=1e-12)
    for k in (0, 1):
        sel = g == k
        if not sel.any():
            continue
        one = restricted_mean_survival_time(t[sel], e[sel], tau=tau)
        assert one.rmst[0] == pytest.approx(a.rmst[k], rel=1e-12)
        assert one.std_err[0] == pytest.approx(a.std_err[k], rel=1e-12, abs=1e-15)


# ----------------------------------------------------------------------------- interface and input


def test_frames_repr_and_more_than_two_groups():
    time, status, arm = generated_set()
    three = np.where(np.arange(80) % 5 == 0, 2, arm)
    r = restricted_mean_survival_time(time, status, three, tau=4.5, reference=1)
    assert r.reference == 1 and list(r.compared) == [0, 2]
    assert r.difference.shape == (2,)
    assert r.to_frame("comparisons").comparison.tolist() == ["0 - 1", "0 / 1", "2 - 1", "2 / 1"]
    g = restricted_mean_survival_time(time, status, arm, tau=4.5, conf_level=0.9).to_frame()
    assert list(g.columns) == ["group", "n", "n_event", "tau", "rmst", "std_err", "lower", "upper"]
    assert g.n.tolist() == [40, 40]
    z = 1.6448536269514722
    np.testing.assert_allclose(g.lower, g.rmst - z * g.std_err, rtol=1e-12)
    text = repr(restricted_mean_survival_time(time, status, arm, tau=4.5))
    assert text.startswith("RMSTResult(tau=4.5;") and "1 - 0:" in text and len(text.splitlines()) == 2


def test_polars_input():
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(gehan())
    r = restricted_mean_survival_time("time", "cens", "treat", data=frame, tau=10)
    assert r.rmst[0] == pytest.approx(R_GEHAN[10]["6-MP"][0], rel=1e-9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"tau": 7.8}, r"tau=7.8 is beyond the follow-up of group 1, whose last observed time is 7.75.*"
                       r"Last follow-up time per group: 0 [0-9.]+, 1 7.75"),
        ({"tau": 0}, "tau=0 must be a finite time > 0"),
        ({"tau": float("nan")}, "must be a finite time > 0"),
        ({"tau": "3y"}, "tau='3y' is not a number"),
        ({"tau": 3, "reference": "chemo"}, "reference='chemo' is not a group"),
        ({"tau": 3, "conf_level": 95}, "conf_level=95 must be strictly between 0 and 1"),
    ],
)
def test_bad_input_messages(kwargs, match):
    time, status, arm = generated_set()
    with pytest.raises(InputError, match=match):
        restricted_mean_survival_time(time, status, arm, **kwargs)


def test_bad_event_codes_and_lengths():
    with pytest.raises(InputError, match="event position 1: event code"):
        restricted_mean_survival_time([1, 2, 3], [1, 2, 0], tau=2)
    with pytest.raises(InputError, match="different lengths"):
        restricted_mean_survival_time([1, 2, 3], [1, 0, 0], [0, 1], tau=2)
    with pytest.raises(InputError, match="which='median'"):
        restricted_mean_survival_time([1, 2, 3], [1, 0, 0], tau=2).confidence_interval(which="median")
