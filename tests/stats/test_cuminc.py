"""Tests for Aalen-Johansen cumulative incidence and Gray's test (R cmprsk output, lifelines, loops)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.errors import InputError, StatisticWarning
from survtrial.stats.cuminc import cumulative_incidence, gray_test


def deterministic_set(n, shrink):
    """The data sets the R calls below rebuild with the same integer formulas (many ties)."""
    i = np.arange(n)
    group = i % 3
    time = ((i * 37) % 23 + shrink) / (2 + (group if shrink else 0))
    status = (i // 3 + i // 7) % 3
    return time, status, group


# ----------------------------------------------------------------------------- R cmprsk 2.2-11
# R 4, cmprsk 2.2-11:
#   i <- 0:89; ftime <- ((i * 37) %% 23) / 2; fstatus <- (i %/% 3 + i %/% 7) %% 3
#   group <- i %% 3; strata <- (i %/% 5) %% 2; options(digits = 10)
#   ci <- cuminc(ftime, fstatus, group); timepoints(ci, c(1, 3.5, 6, 10, 11))
R_SET1_TIMES = [1, 3.5, 6, 10, 11]
R_SET1_EST = {  # rows "group cause"
    (0, 1): [0.0, 0.1487179487, 0.2811698718, 0.5082303114, 0.5082303114],
    (1, 1): [0.10344827586, 0.1379310345, 0.2976406534, 0.4773139746, 0.4773139746],
    (2, 1): [0.1, 0.1383333333, 0.2533333333, 0.4526666667, 0.4526666667],
    (0, 2): [0.03333333333, 0.1448717949, 0.1448717949, 0.3214743590, 0.4917696886],
    (1, 2): [0.0, 0.1034482759, 0.1433756806, 0.3430127042, 0.4627949183],
    (2, 2): [0.03333333333, 0.1333333333, 0.2483333333, 0.348, 0.348],
}
R_SET1_VAR = {
    (0, 1): [0.0, 0.004903472536, 0.008738332242, 0.013528377697, 0.01352837770],
    (1, 1): [0.003315304190, 0.004254245729, 0.008307892222, 0.013271301175, 0.01327130118],
    (2, 1): [0.003105996263, 0.004326339438, 0.007265560789, 0.011641278298, 0.01164127830],
    (0, 2): [0.001111111111, 0.004718136423, 0.004718136423, 0.009658167169, 0.01352837770],
    (1, 2): [0.0, 0.003337374831, 0.004675936545, 0.012237503772, 0.01432235628],
    (2, 2): [0.001115371737, 0.004007737842, 0.007097727026, 0.010399256667, 0.01039925667],
}


def test_cif_and_variance_match_cmprsk_timepoints():
    time, status, group = deterministic_set(90, 0)
    res = cumulative_incidence(time, status, group)
    at = res.at(R_SET1_TIMES)
    for (g, c), est in R_SET1_EST.items():
        rows = at[(at.group == g) & (at.cause == c)]
        np.testing.assert_allclose(rows.cif, est, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(rows.std_err**2, R_SET1_VAR[(g, c)], rtol=1e-8, atol=1e-13)


# R: cuminc(ftime, fstatus, group)$Tests  and  cuminc(..., strata = strata, rho = 0.5)$Tests
#          stat          pv df                              stat           pv df
# 1 0.03231205531 0.983973781  2            1 0.08826253046 0.9568283509  2
# 2 0.09172530042 0.955173146  2            2 0.01696060864 0.9915555520  2
def test_gray_test_matches_cmprsk_set1():
    time, status, group = deterministic_set(90, 0)
    strata = (np.arange(90) // 5) % 2
    r = gray_test(time, status, group, cause=None)
    assert r.df == 2 and list(r.causes) == [1, 2]
    np.testing.assert_allclose(r.statistic, [0.03231205531, 0.09172530042], rtol=1e-8)
    np.testing.assert_allclose(r.p_value, [0.983973781, 0.955173146], rtol=1e-8)
    r = gray_test(time, status, group, cause=None, strata=strata, rho=0.5)
    assert r.n_strata == 2
    np.testing.assert_allclose(r.statistic, [0.08826253046, 0.01696060864], rtol=1e-8)


# R 4, cmprsk 2.2-11:
#   i <- 0:119; group <- i %% 3; ftime <- ((i * 37) %% 23 + 1) / (2 + group)
#   fstatus <- (i %/% 3 + i %/% 7) %% 3; strata <- (i %/% 5) %% 2; ci <- cuminc(ftime, fstatus, group)
#   ci$Tests: stat 5.882745981 9.059678728, pv 0.05279319441 0.01078240798
#   cuminc(ftime, fstatus, group, strata = strata)$Tests: stat 5.341760631 8.998338024
#   cuminc(ftime, fstatus, group, rho = -1)$Tests: stat 6.077616772 9.349477490
#   timepoints(ci, c(0.5, 2, 4, 12)): group 2 cause 1 est 0.100 0.12767857143 0.2878188776 NA,
#     var 0.002309333625 0.002939114335 0.006473394101 NA
@pytest.mark.parametrize(
    "kwargs, stat, pv",
    [
        ({}, [5.882745981, 9.059678728], [0.05279319441, 0.01078240798]),
        ({"strata": "strata"}, [5.341760631, 8.998338024], [0.06919128833, 0.01111823182]),
        ({"rho": -1}, [6.077616772, 9.349477490], [0.047891924205, 0.009327961794]),
    ],
)
def test_gray_test_matches_cmprsk_set2(kwargs, stat, pv):
    time, status, group = deterministic_set(120, 1)
    frame = pd.DataFrame({"t": time, "s": status, "g": group, "strata": (np.arange(120) // 5) % 2})
    r = gray_test("t", "s", "g", data=frame, cause=[1, 2], **kwargs)
    np.testing.assert_allclose(r.statistic, stat, rtol=1e-8)
    np.testing.assert_allclose(r.p_value, pv, rtol=1e-8)


def test_landmark_beyond_follow_up_is_nan_like_timepoints():
    time, status, group = deterministic_set(120, 1)
    at = cumulative_incidence(time, status, group).at([0.5, 2, 4, 12])
    rows = at[(at.group == 2) & (at.cause == 1)]
    np.testing.assert_allclose(rows.cif[:3], [0.1, 0.12767857143, 0.2878188776], rtol=1e-9)
    np.testing.assert_allclose(rows.std_err[:3] ** 2, [0.002309333625, 0.002939114335, 0.006473394101], rtol=1e-8)
    assert np.isnan(rows.cif.iloc[3]) and np.isnan(rows.std_err.iloc[3])


# R: c2 <- cuminc(c(1,1,1,2,2,3,3,3,4,5,5,6,6,6), c(1,2,0,1,1,2,1,0,0,1,2,1,1,2))
# ties of both causes at one time, and everybody left fails at t = 6 (all-cause KM drops to 0).
#   c2[[1]]: est at t = 1,2,3,5,6: 0.07142857143 0.22727272727 0.30519480519 0.41428571429 0.63246753247
#            var: 0.005102040816 0.014513408669 0.017785461292 0.024560296846 0.026412885815
#   c2[[2]]: est at t = 1,3,5,6: 0.07142857143 0.14935064935 0.25844155844 0.36753246753
#            var: 0.005102040816 0.010465508517 0.020168325181 0.026412885815
def test_ties_and_survival_dropping_to_zero_match_cmprsk():
    t = [1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 6, 6]
    s = [1, 2, 0, 1, 1, 2, 1, 0, 0, 1, 2, 1, 1, 2]
    f = cumulative_incidence(t, s).to_frame()
    c1 = f[(f.cause == 1) & f.time.isin([1, 2, 3, 5, 6])]
    np.testing.assert_allclose(
        c1.cif, [0.07142857143, 0.22727272727, 0.30519480519, 0.41428571429, 0.63246753247], rtol=1e-9
    )
    np.testing.assert_allclose(
        c1.std_err**2, [0.005102040816, 0.014513408669, 0.017785461292, 0.024560296846, 0.026412885815], rtol=1e-9
    )
    c2 = f[(f.cause == 2) & f.time.isin([1, 3, 5, 6])]
    np.testing.assert_allclose(c2.cif, [0.07142857143, 0.14935064935, 0.25844155844, 0.36753246753], rtol=1e-9)
    np.testing.assert_allclose(
        c2.std_err**2, [0.005102040816, 0.010465508517, 0.020168325181, 0.026412885815], rtol=1e-9
    )
    assert list(f.columns) == [
        "group", "cause", "time", "n_risk", "n_event", "cif", "std_err", "std_err_ij", "lower", "upper",
    ]  # fmt: skip
    assert f.n_risk.tolist()[:6] == [14, 11, 9, 6, 5, 3]
    assert f[f.cause == 1].n_event.tolist() == [1, 2, 1, 0, 1, 2]


# ----------------------------------------------------------------------------- other references


def test_cif_matches_lifelines_aalen_johansen(lifelines):
    # lifelines fits one cause at a time; with untied times it does not jitter, so its CIF is the
    # same Aalen-Johansen estimate. Its variance is the Greenwood-type delta method of Collett
    # (terms d/(n(n-d))), whereas cmprsk (and survtrial) use Aalen-type d/n^2 terms with cmprsk's
    # tie correction; the two agree only asymptotically, so only the CIF is compared here.
    rng = np.random.default_rng(7)
    n = 300
    t = rng.exponential(2.0, n)
    e = rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])
    res = cumulative_incidence(t, e).to_frame()
    for cause in (1, 2):
        ajf = lifelines.AalenJohansenFitter(calculate_variance=False).fit(t, e, event_of_interest=cause)
        ours = res[res.cause == cause].set_index("time").cif
        theirs = ajf.cumulative_density_.iloc[:, 0]
        theirs = theirs[theirs.index > 0]
        np.testing.assert_allclose(ours.loc[theirs.index].to_numpy(), theirs.to_numpy(), rtol=1e-12, atol=1e-14)


def _plain_km(t, dead):
    """All-cause Kaplan-Meier, as a plain loop over distinct times."""
    out = {}
    s = 1.0
    for u in sorted(set(t)):
        n = sum(1 for x in t if x >= u)
        d = sum(1 for x, y in zip(t, dead, strict=True) if x == u and y)
        s *= 1 - d / n
        out[u] = s
    return out


def _plain_cif_variance(t, e, cause):
    """Double programming of the cmprsk (Aalen-type delta-method) variance with plain loops.

    Var F(t) = sum_{t_i <= t} S(t_i-)^2 c_i [ d1_i (1 + (F(t_i) - F(t)) / S(t_i))^2
               + d2_i ((F(t_i) - F(t)) / S(t_i))^2 ] / n_i^2, c_i = 1 - (d_i - 1)/(n_i - 1) per
    event type (tie correction), where d1 counts events of the cause and d2 of the other causes;
    like cmprsk, the value only changes at times with an event of the cause.
    """
    times = sorted(set(t))
    s_prev, f, rows = 1.0, 0.0, []
    for u in times:
        n = sum(1 for x in t if x >= u)
        d1 = sum(1 for x, y in zip(t, e, strict=True) if x == u and y == cause)
        d2 = sum(1 for x, y in zip(t, e, strict=True) if x == u and y not in (0, cause))
        f += s_prev * d1 / n
        s = s_prev * (1 - (d1 + d2) / n)
        rows.append((u, n, d1, d2, s_prev, s, f))
        s_prev = s
    out, var = {}, 0.0
    for j, (u, _, d1j, _, _, _, fj) in enumerate(rows):
        if d1j > 0:
            var = 0.0
            for _, n, d1, d2, sp, s, fi in rows[: j + 1]:
                b = 1 / s if s > 0 else 0.0
                if d1 > 0:
                    c = 1 - (d1 - 1) / (n - 1) if d1 > 1 else 1.0
                    var += sp**2 * c * d1 / n**2 * (1 + (fi - fj) * b) ** 2
                if d2 > 0 and s > 0:
                    c = 1 - (d2 - 1) / (n - 1) if d2 > 1 else 1.0
                    var += sp**2 * c * d2 / n**2 * ((fi - fj) * b) ** 2
        out[u] = (fj, var)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_variance_double_programmed(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 25, 70).astype(float).tolist()
    e = rng.choice([0, 1, 2, 3], 70, p=[0.2, 0.4, 0.2, 0.2]).tolist()
    f = cumulative_incidence(t, e).to_frame()
    for cause in (1, 2, 3):
        expect = _plain_cif_variance(t, e, cause)
        rows = f[f.cause == cause]
        np.testing.assert_allclose(rows.cif, [expect[u][0] for u in rows.time], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(rows.std_err**2, [expect[u][1] for u in rows.time], rtol=1e-9, atol=1e-15)


def test_log_log_limits_by_hand():
    res = cumulative_incidence([1, 2, 3, 4, 5, 6], [1, 2, 0, 1, 1, 0], conf_level=0.9)
    f = res.to_frame()
    row = f[(f.cause == 1) & (f.time == 4)].iloc[0]
    z = 1.6448536269514722
    k = z * row.std_err / (row.cif * np.log(row.cif))
    assert row.lower == pytest.approx(row.cif ** np.exp(-k), rel=1e-12)
    assert row.upper == pytest.approx(row.cif ** np.exp(k), rel=1e-12)
    assert row.lower < row.cif < row.upper
    first = f[(f.cause == 2) & (f.time == 1)].iloc[0]  # before any event of cause 2: 0 with SE 0
    assert (first.cif, first.std_err, first.lower, first.upper) == (0.0, 0.0, 0.0, 0.0)
    lo95, hi95 = res.confidence_interval(0.95)
    lo90, hi90 = res.confidence_interval()
    assert np.all(lo95[res.cif > 0] <= lo90[res.cif > 0]) and np.all(hi95[res.cif > 0] >= hi90[res.cif > 0])


# ----------------------------------------------------------------------------- properties

data_sets = st.integers(5, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 12), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
    )
)


@settings(max_examples=50, deadline=None)
@given(data_sets)
def test_aalen_johansen_identity(ds):
    t, e, _ = ds
    t = np.asarray(t, float)
    e = np.asarray(e)
    if not (e > 0).any():
        return
    f = cumulative_incidence(t, e).to_frame()
    km = _plain_km(t.tolist(), (e > 0).tolist())
    total = f.groupby("time").cif.sum()
    for u, s in km.items():
        assert total[u] + s == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(data_sets)
def test_single_cause_is_one_minus_km(ds):
    t, e, _ = ds
    e = (np.asarray(e) > 0).astype(int)
    if not e.any():
        return
    f = cumulative_incidence(np.asarray(t, float), e).to_frame()
    km = _plain_km(list(t), e.tolist())
    for u, cif in zip(f.time, f.cif, strict=True):
        assert cif == pytest.approx(1.0 - km[u], abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(data_sets, st.randoms(use_true_random=False))
def test_row_order_and_group_labels_do_not_matter(ds, rnd):
    t, e, g = (np.asarray(x) for x in ds)
    if len(set(g.tolist())) < 2 or not (e == 1).any():
        return
    perm = np.asarray(rnd.sample(range(t.size), t.size))
    a = cumulative_incidence(t, e, g).to_frame()
    b = cumulative_incidence(t[perm], e[perm], g[perm]).to_frame()
    pd.testing.assert_frame_equal(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticWarning)  # a singular variance gives NaN in both
        x = gray_test(t, e, g)
        y = gray_test(t[perm], e[perm], 1 - g[perm])  # relabel the groups
    np.testing.assert_allclose(x.statistic, y.statistic, rtol=1e-7, atol=1e-12)


def test_singular_variance_is_nan_whatever_the_group_labels():
    # found by the property above: the one subject of group 1 is censored at time 0, so the score
    # variance is 0 exactly, computed as 2.3e-32 in one labelling and 0 in the other
    t = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1], dtype=float)
    e = np.array([0, 0, 0, 0, 2, 2, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1])
    g = (np.arange(18) == 12).astype(int)
    for labels in (g, 1 - g):
        with pytest.warns(StatisticWarning, match="singular"):
            assert np.isnan(gray_test(t, e, labels).statistic[0])


def test_integer_weights_equal_repeated_rows():
    time, status, group = deterministic_set(90, 0)
    w = (np.arange(90) % 3) + 1
    a = cumulative_incidence(time, status, group, weights=w).to_frame()
    rep = np.repeat(np.arange(90), w)
    b = cumulative_incidence(time[rep], status[rep], group[rep]).to_frame()
    # the jackknife SE is not a frequency-weight quantity: R's survfit sums w_i^2 U_i^2 per subject
    # (checked against R with weights in test_nph_parity.py), a repeated row counts w_i U_i^2
    pd.testing.assert_frame_equal(a.drop(columns="std_err_ij"), b.drop(columns="std_err_ij"), rtol=1e-12)


def test_one_stratum_equals_unstratified():
    time, status, group = deterministic_set(120, 1)
    a = gray_test(time, status, group, cause=None)
    b = gray_test(time, status, group, cause=None, strata=np.zeros(120))
    np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-12)


# ----------------------------------------------------------------------------- labels and input


def test_string_labels_and_cause_mapping():
    time, status, group = deterministic_set(90, 0)
    names = np.array(["censored", "marrow relapse", "death"])[status]
    arm = np.array(["chemo", "blina", "other"])[group]
    a = cumulative_incidence(time, names, arm, censor_code="censored", causes=["marrow relapse", "death"])
    b = cumulative_incidence(time, status, arm, causes={1: "marrow relapse", 2: "death"})
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert list(a.causes) == ["marrow relapse", "death"] and list(a.groups) == ["blina", "chemo", "other"]
    r = gray_test(time, names, arm, censor_code="censored", cause="death")
    assert r.statistic[0] == pytest.approx(gray_test(time, status, group, cause=2).statistic[0], rel=1e-12)
    assert "CumulativeIncidenceResult(3 group(s) x 2 cause(s))" in repr(a)
    assert "chi2=" in repr(r) and list(r.to_frame().columns) == ["cause", "statistic", "df", "p_value"]


def test_polars_frame_input():
    pl = pytest.importorskip("polars")
    time, status, group = deterministic_set(90, 0)
    frame = pl.DataFrame({"t": time, "s": status, "g": group})
    a = cumulative_incidence("t", "s", "g", data=frame).to_frame()
    b = cumulative_incidence(time, status, group).to_frame()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"event": [0, 1, 3, -1]}, "event position 3: event code -1 is not allowed"),
        ({"event": [0, 1, 1.5, 2]}, "event position 2: event code 1.5 is not allowed"),
        ({"event": [0, 1, 3, 2], "causes": [1, 2]}, r"event position 2: event code 3 is neither a listed cause"),
        ({"event": [0, 1, np.nan, 2]}, "event position 2: missing event code"),
        ({"event": ["c", "relapse", "death", "c"]}, "censoring code 0 is not among the labels"),
        ({"event": [0, 1, 2, 1], "causes": [0, 1]}, "also the censoring code"),
        ({"event": [0, 1, 2, 1], "censor_code": "none"}, "is a label but event holds numbers"),
        ({"time": [1.0, -2.0, 3.0, 4.0]}, "time position 1: invalid time"),
        ({"group": ["a", "b"]}, "arrays of different lengths"),
        ({"conf_level": 1.5}, "conf_level=1.5 must be strictly between 0 and 1"),
    ],
)
def test_bad_input_messages(kwargs, match):
    args = {"time": [1.0, 2.0, 3.0, 4.0], "event": [0, 1, 2, 1], **kwargs}
    with pytest.raises(InputError, match=match):
        cumulative_incidence(**args)


def test_gray_test_bad_input_and_singular_variance():
    with pytest.raises(InputError, match="at least 2"):
        gray_test([1, 2, 3], [1, 0, 1], [0, 0, 0])
    with pytest.raises(InputError, match="cause=3 does not occur"):
        gray_test([1, 2, 3, 4], [1, 0, 1, 2], [0, 0, 1, 1], cause=3)
    with pytest.raises(InputError, match=r"times=.*finite times >= 0"):
        cumulative_incidence([1, 2], [1, 0]).at(-1)
    # cause 2 occurs only in group 1 at its last time: no information, variance 0.
    with pytest.warns(StatisticWarning, match="singular"):
        r = gray_test([1, 2, 3, 4], [1, 0, 1, 2], [0, 0, 1, 1], cause=2)
    assert np.isnan(r.statistic[0]) and np.isnan(r.p_value[0])


@pytest.mark.parametrize("seed", [4, 5])
def test_values_at_by_plain_loop_and_without_jackknife(seed):
    """values_at (groups x causes x times) against the plain-loop CIF and variance, NaN beyond a
    group's follow-up; jackknife=False leaves every other number as it is and std_err_ij None."""
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 25, 90).astype(float)
    e = rng.choice([0, 1, 2], 90, p=[0.3, 0.4, 0.3])
    g = np.where(rng.random(90) < 0.5, "a", "b")
    t[g == "b"] = np.minimum(t[g == "b"], 20.0)
    res = cumulative_incidence(t, e, g)
    times = [0.5, 3.0, 10.0, 20.0, 22.0]
    v = res.values_at(times)
    for i, grp in enumerate(res.groups):
        tg, eg = t[g == grp].tolist(), e[g == grp].tolist()
        for k, cause in enumerate(res.causes):
            loop = _plain_cif_variance(tg, eg, cause)
            for j, at in enumerate(times):
                if at > max(tg):
                    assert np.isnan(v["cif"][i, k, j]) and np.isnan(v["std_err"][i, k, j])
                    continue
                done = [u for u in loop if u <= at]
                f, var = loop[max(done)] if done else (0.0, 0.0)
                assert v["cif"][i, k, j] == pytest.approx(f, rel=1e-12, abs=1e-15)
                assert v["std_err"][i, k, j] ** 2 == pytest.approx(var, rel=1e-9, abs=1e-15)
    frame = res.at(times)
    for name in ("cif", "std_err", "std_err_ij"):
        np.testing.assert_array_equal(frame[name].to_numpy(), v[name].ravel())
    quick = cumulative_incidence(t, e, g, jackknife=False)
    assert quick.std_err_ij is None and "std_err_ij" not in quick.values_at(times)
    for name in ("time", "n_risk", "n_event", "cif", "std_err"):
        np.testing.assert_array_equal(getattr(quick, name), getattr(res, name))
    np.testing.assert_array_equal(quick.at(times)["cif"].to_numpy(), frame["cif"].to_numpy())
