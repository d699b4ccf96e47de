"""Tests for Cox regression: R coxph outputs, lifelines, double-programmed likelihoods, properties."""

import itertools
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from survtrial.errors import ConvergenceWarning, InputError, StatisticWarning
from survtrial.stats import _cox_kernel as kern
from survtrial.stats._concordance import concordance_with_se
from survtrial.stats._cox_robust import score_residuals
from survtrial.stats.cox import cox_ph

HERE = Path(__file__).resolve().parent
GENERATED = HERE.parent / "data" / "cox_generated.csv"


# Gehan (1965) / Freireich et al. (1963) remission times in weeks with the matched pair, as R's
# MASS::gehan (rows in pair order: control then 6-MP within each pair).
GEHAN_ROWS = """\
1,1,1,control 1,10,1,6-MP 2,22,1,control 2,7,1,6-MP 3,3,1,control 3,32,0,6-MP 4,12,1,control
4,23,1,6-MP 5,8,1,control 5,22,1,6-MP 6,17,1,control 6,6,1,6-MP 7,2,1,control 7,16,1,6-MP
8,11,1,control 8,34,0,6-MP 9,8,1,control 9,32,0,6-MP 10,12,1,control 10,25,0,6-MP 11,2,1,control
11,11,0,6-MP 12,5,1,control 12,20,0,6-MP 13,4,1,control 13,19,0,6-MP 14,15,1,control
14,6,1,6-MP 15,8,1,control 15,17,0,6-MP 16,23,1,control 16,35,0,6-MP 17,5,1,control
17,6,1,6-MP 18,11,1,control 18,13,1,6-MP 19,4,1,control 19,9,0,6-MP 20,1,1,control
20,6,0,6-MP 21,8,1,control 21,10,0,6-MP"""


def gehan() -> pd.DataFrame:
    rows = [r.split(",") for r in GEHAN_ROWS.split()]
    return pd.DataFrame(
        {
            "pair": [int(r[0]) for r in rows],
            "time": [float(r[1]) for r in rows],
            "cens": [int(r[2]) for r in rows],
            "treat": [r[3] for r in rows],
        }
    )


def test_gehan_copy_agrees_with_packaged_example_data():
    from importlib import resources

    path = resources.files("survtrial") / "data" / "gehan.csv"
    if not path.is_file():
        pytest.skip("survtrial/data/gehan.csv not packaged")
    packaged = pd.read_csv(path).replace({"group": {"placebo": "control"}})
    mine = gehan()
    key = ["pair", "time", "treat"]
    a = packaged.rename(columns={"group": "treat", "event": "cens"}).sort_values(key)
    assert a[[*key, "cens"]].to_numpy().tolist() == mine.sort_values(key)[[*key, "cens"]].to_numpy().tolist()


# ---------------------------------------------------------------------------------------------
# Gehan: published values and R output.
#   Efron 1.572 (SE 0.412) and Breslow 1.509 are the textbook values for this data set (e.g.
#   Therneau & Grambsch 2000; Collett, Modelling Survival Data). R 4 / survival 3.5-3:
#     library(survival); library(MASS); options(digits = 12)
#     for (tt in c("efron", "breslow", "exact")) {
#       f <- coxph(Surv(time, cens) ~ treat, data = gehan, ties = tt)
#       cat(tt, coef(f), sqrt(vcov(f)), f$loglik, f$iter, f$score, f$concordance["concordance"]) }
#   efron   1.57212514883 0.412396717709 -93.1842699968 -85.0084245774 4 17.2465367957 0.690042075736
#   breslow 1.50919141259 0.409564406367 -93.9850504782 -86.3796220711 4 15.930539564  0.690042075736
#   exact   1.62824395159 0.433131296485 -82.6692792528 -74.5431011645 3 16.7929409892 0.690042075736
GEHAN_R = {
    "efron": (1.57212514883, 0.412396717709, -93.1842699968, -85.0084245774, 4, 17.2465367957),
    "breslow": (1.50919141259, 0.409564406367, -93.9850504782, -86.3796220711, 4, 15.930539564),
    "exact": (1.62824395159, 0.433131296485, -82.6692792528, -74.5431011645, 3, 16.7929409892),
}


def test_gehan_published_coefficients():
    g = gehan()
    efron = cox_ph("time", "cens", "treat", data=g)
    breslow = cox_ph("time", "cens", "treat", data=g, ties="breslow")
    assert efron.names == ("treat[T.control]",)
    assert round(float(efron.coef[0]), 3) == 1.572
    assert round(float(efron.se[0]), 3) == 0.412
    assert round(float(breslow.coef[0]), 3) == 1.509


@pytest.mark.parametrize("ties", ["efron", "breslow", "exact"])
def test_gehan_matches_r_coxph(ties):
    coef, se, ll0, ll, it, score = GEHAN_R[ties]
    f = cox_ph("time", "cens", "treat", data=gehan(), ties=ties, concordance=True)
    assert f.coef[0] == pytest.approx(coef, rel=1e-9)
    assert f.se[0] == pytest.approx(se, rel=1e-9)
    assert f.loglik_null == pytest.approx(ll0, rel=1e-10)
    assert f.loglik == pytest.approx(ll, rel=1e-10)
    assert f.iterations == it
    assert f.converged
    assert f.score_test.statistic == pytest.approx(score, rel=1e-9)
    assert f.likelihood_ratio_test.statistic == pytest.approx(2 * (ll - ll0), rel=1e-9)
    assert f.concordance == pytest.approx(0.690042075736, rel=1e-10)


def test_gehan_cluster_pairs_matches_r_summary():
    # R: summary(coxph(Surv(time, cens) ~ treat, data = gehan, cluster = pair))
    #   coef 1.572125149 exp(coef) 4.816873898 se(coef) 0.412396718 robust se 0.391136167
    #   z 4.01938 Pr(>|z|) 5.8351e-05; lower .95 2.23784276 upper .95 10.3681432
    #   Wald test = 16.16 (f$wald.test 16.1554209412), Robust = 14.57 (f$rscore 14.5717210368)
    f = cox_ph("time", "cens", "treat", data=gehan(), cluster="pair")
    assert f.robust_se[0] == pytest.approx(0.391136167317, rel=1e-9)
    assert f.se[0] == pytest.approx(0.412396717709, rel=1e-9)
    assert f.z[0] == pytest.approx(4.01938, abs=5e-6)
    assert f.p_value[0] == pytest.approx(5.8351e-05, rel=1e-4)
    ci = f.confidence_interval()
    assert ci.low[0] == pytest.approx(2.23784276, rel=1e-8)
    assert ci.high[0] == pytest.approx(10.3681432, rel=1e-8)
    assert f.wald_test.statistic == pytest.approx(16.1554209412, rel=1e-9)
    assert f.robust_score_test.statistic == pytest.approx(14.5717210368, rel=1e-9)


def test_gehan_strata_pairs_matches_r():
    # R: f <- coxph(Surv(time, cens) ~ treat + strata(pair), data = gehan)
    #    cat(coef(f), sqrt(vcov(f)), f$loglik) -> 1.79175946923 0.623609564462 -14.5560907918 -8.61244268406
    f = cox_ph("time", "cens", "treat", data=gehan(), strata="pair")
    assert f.coef[0] == pytest.approx(1.79175946923, rel=1e-9)
    assert f.se[0] == pytest.approx(0.623609564462, rel=1e-9)
    assert f.loglik_null == pytest.approx(-14.5560907918, rel=1e-10)
    assert f.loglik == pytest.approx(-8.61244268406, rel=1e-10)


def test_gehan_baseline_hazard_matches_r_basehaz():
    # R: head(basehaz(coxph(Surv(time, cens) ~ treat, data = gehan), centered = FALSE))
    #    hazard 0.01670879032 0.03488078103 0.04460019550 0.06552049866 0.08878703390 0.12735046010
    #    time   1 2 3 4 5 6
    b = cox_ph("time", "cens", "treat", data=gehan()).baseline_cumulative_hazard()
    assert b["time"].head(6).tolist() == [1, 2, 3, 4, 5, 6]
    r = [0.01670879032, 0.03488078103, 0.04460019550, 0.06552049866, 0.08878703390, 0.12735046010]
    np.testing.assert_allclose(b["cumulative_hazard"].head(6), r, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# Generated data (tests/data/cox_generated.csv: 300 rows, times rounded to 0.1 so that ties are
# frequent, non-integer weights, 100 clusters, 3 sites). R output of tests/stats/cox_reference.R
# (survival 3.5-3), which also documents every call; "se" is the model-based SE.
R_GEN = {
    "efron": {
        "coef": [0.0840044503, -0.9210238630, -0.6237691642, 0.6828634620],
        "se": [0.0334897135, 0.1772681404, 0.2722288595, 0.1787853427],
        "loglik": (-751.16632917, -718.58856186), "score": 66.97000788, "wald": 62.44995821, "iter": 4,
        "concordance": 0.7020028870},
    "breslow": {
        "coef": [0.0822634366, -0.9086293713, -0.6123621898, 0.6750725547],
        "se": [0.0334218707, 0.1772452325, 0.2721518472, 0.1787360397],
        "loglik": (-752.95352190, -721.24843032), "score": 65.08237896, "wald": 60.79497873, "iter": 4,
        "concordance": 0.7018946229},
    "exact": {
        "coef": [0.0852205821, -0.9349809045, -0.6251435380, 0.7027494854],
        "se": [0.0340326908, 0.1794348040, 0.2744676187, 0.1825524388],
        "loglik": (-608.15323321, -575.53418243), "score": 66.74282583, "wald": 61.97142684, "iter": 4,
        "concordance": 0.7019307109},
    "strata": {
        "coef": [0.0888476797, -0.9649636372], "se": [0.0339979817, 0.1769489346],
        "loglik": (-592.05391733, -572.85153281), "score": 38.45903211, "wald": 36.17093831, "iter": 3,
        "concordance": 0.6530733499},
    "weights": {
        "coef": [0.0912554399, -0.9194269815, -0.8495604520, 0.5551769643],
        "se": [0.0301650630, 0.1582085574, 0.2471818519, 0.1580840969],
        "robust_se": [0.0364160321, 0.1828079478, 0.2840989745, 0.1939350408], "rscore": 58.95150365,
        "loglik": (-1006.59458559, -964.91281822), "score": 82.31847590, "wald": 56.26172882, "iter": 4,
        "concordance": 0.7016998771},
    "cluster": {
        "coef": [0.0840044503, -0.9210238630, -0.6237691642, 0.6828634620],
        "se": [0.0334897135, 0.1772681404, 0.2722288595, 0.1787853427],
        "robust_se": [0.0311885013, 0.1715011865, 0.2797828218, 0.1564131360], "rscore": 42.32034028,
        "loglik": (-751.16632917, -718.58856186), "score": 66.97000788, "wald": 69.33175794, "iter": 4,
        "concordance": 0.7020028870},
    "robust": {
        "coef": [0.0830289144, -0.9564594176], "se": [0.0330429302, 0.1761219412],
        "robust_se": [0.0343405714, 0.1717592346], "rscore": 36.36498211,
        "loglik": (-751.16632917, -732.17608624), "score": 37.91692379, "wald": 36.87137285, "iter": 3,
        "concordance": 0.6492060628},
    "all": {
        "coef": [0.0881761542, -0.9283764157], "se": [0.0304569663, 0.1566800862],
        "robust_se": [0.0340676314, 0.1730877529], "rscore": 29.58712192,
        "loglik": (-804.37516192, -781.53756793), "score": 45.34785416, "wald": 41.76464609, "iter": 3,
        "concordance": 0.6542226458},
}
THREE = ["age", "arm", "risk"]
TWO = ["age", "arm"]
GEN_CALLS = {
    "efron": {"covariates": THREE},
    "breslow": {"covariates": THREE, "ties": "breslow"},
    "exact": {"covariates": THREE, "ties": "exact"},
    "strata": {"covariates": TWO, "strata": "site"},
    "weights": {"covariates": THREE, "weights": "w"},
    "cluster": {"covariates": THREE, "cluster": "family"},
    "robust": {"covariates": TWO, "robust": True},
    "all": {"covariates": TWO, "strata": "site", "weights": "w", "cluster": "family", "ties": "breslow"},
}


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    return pd.read_csv(GENERATED)


@pytest.mark.parametrize("case", list(R_GEN))
def test_generated_matches_r_coxph(generated, case):
    r = R_GEN[case]
    f = cox_ph("time", "event", data=generated, reference={"arm": "chemo"}, concordance=True,
               **GEN_CALLS[case])
    # R prints 10 decimals; the iterates are the same, so agreement is to the printed digits
    np.testing.assert_allclose(f.coef, r["coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(f.se, r["se"], rtol=1e-8, atol=1e-10)
    if "robust_se" in r:
        np.testing.assert_allclose(f.robust_se, r["robust_se"], rtol=1e-8, atol=1e-10)
        assert f.robust_score_test.statistic == pytest.approx(r["rscore"], rel=1e-8)
    else:
        assert f.robust_se is None and f.robust_score_test is None
    assert (f.loglik_null, f.loglik) == pytest.approx(r["loglik"], rel=1e-10)
    assert f.score_test.statistic == pytest.approx(r["score"], rel=1e-8)
    assert f.wald_test.statistic == pytest.approx(r["wald"], rel=1e-8)
    assert f.wald_test.df == len(r["coef"])
    assert f.iterations == r["iter"]
    assert f.concordance == pytest.approx(r["concordance"], rel=1e-9)


def test_generated_names_follow_reference_choice(generated):
    f = cox_ph("time", "event", THREE, data=generated, reference={"arm": "chemo"})
    assert f.names == ("age", "arm[T.blina]", "risk[T.favourable]", "risk[T.high]")
    g = cox_ph("time", "event", THREE, data=generated)  # default: first sorted level "blina"
    assert g.names[1] == "arm[T.chemo]"
    assert g.coef[1] == pytest.approx(-f.coef[1], rel=1e-10)
    h = cox_ph("time", "event", THREE, data=generated, reference={"risk": "high"})
    assert h.names[2:] == ("risk[T.average]", "risk[T.favourable]")


def test_generated_baseline_hazard_matches_r(generated):
    # R (tests/stats/cox_reference.R): basehaz(coxph(Surv(time, event) ~ age + arm + strata(site),
    #   data = d), centered = FALSE) at times 0.5, 1, 2, 4
    r = {
        "site=north": [0.1591299990, 0.2998019864, 0.4631993915, 0.9122984645],
        "site=south": [0.1196082462, 0.2550172897, 0.3504636483, 0.8349493710],
        "site=west": [0.0645914482, 0.2148173562, 0.4320219642, 0.6059147142],
    }
    f = cox_ph("time", "event", TWO, data=generated, reference={"arm": "chemo"}, strata="site")
    b = f.baseline_cumulative_hazard()
    assert list(b.columns) == ["stratum", "time", "cumulative_hazard"]
    for stratum, values in r.items():
        sub = b[(b.stratum == stratum) & b.time.isin([0.5, 1, 2, 4])]
        np.testing.assert_allclose(sub.cumulative_hazard, values, rtol=1e-8)
    # R: basehaz(coxph(Surv(time, event) ~ age + arm, data = d, weights = w), centered = TRUE):
    #    R centres at fit$means, where 0/1 columns have mean 0 (R's nocenter)
    f = cox_ph("time", "event", TWO, data=generated, reference={"arm": "chemo"}, weights="w")
    assert f.means[1] == 0.0
    b = f.baseline_cumulative_hazard(centered=True)
    sub = b[b.time.isin([0.5, 1, 2, 4])]
    np.testing.assert_allclose(sub.cumulative_hazard, [0.1993405375, 0.4131867316, 0.6645882383,
                                                        1.2656446598], rtol=1e-8)


def test_polars_and_pandas_categorical_inputs_agree(generated):
    pl = pytest.importorskip("polars")
    base = cox_ph("time", "event", THREE, data=generated, reference={"arm": "chemo"})
    f_pl = cox_ph("time", "event", THREE, data=pl.from_pandas(generated), reference={"arm": "chemo"})
    np.testing.assert_allclose(f_pl.coef, base.coef, rtol=1e-12)
    cat = generated.assign(arm=pd.Categorical(generated.arm, categories=["chemo", "blina"]))
    f_cat = cox_ph("time", "event", THREE, data=cat)  # declared order: "chemo" is the reference
    assert f_cat.names == base.names
    np.testing.assert_allclose(f_cat.coef, base.coef, rtol=1e-12)
    X = pd.get_dummies(generated[["age", "arm"]], drop_first=False)[["age", "arm_blina"]].astype(float)
    f_arr = cox_ph(generated.time, generated.event.to_numpy(), X.to_numpy(), names=["age", "blina"])
    f_two = cox_ph("time", "event", TWO, data=generated, reference={"arm": "chemo"})
    np.testing.assert_allclose(f_arr.coef, f_two.coef, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# lifelines CoxPHFitter (Efron) on continuous times: its convergence criterion (step norm,
# precision passed below) limits agreement; 1e-6 is well above what is reached.
@pytest.mark.parametrize(
    "lifelines_kw, ours",
    [({}, {}), ({"weights_col": "w", "robust": True}, {"weights": "w"}), ({"strata": ["s"]}, {"strata": "s"})],
)
def test_matches_lifelines(lifelines_kw, ours, lifelines):
    rng = np.random.default_rng(5)
    n = 400
    X = rng.normal(size=(n, 3))
    T = rng.exponential(1 / np.exp(X @ [0.5, -0.4, 0.2]))
    C = rng.exponential(1.5, n)
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        t=np.minimum(T, C), e=(T <= C).astype(int), w=rng.uniform(0.5, 2, n), s=rng.integers(0, 3, n)
    )
    cols = ["a", "b", "c", "t", "e"] + (["w"] if "weights_col" in lifelines_kw else [])
    cols += ["s"] if "strata" in lifelines_kw else []
    cph = lifelines.CoxPHFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph.fit(df[cols], "t", "e", fit_options={"precision": 1e-12}, **lifelines_kw)
    f = cox_ph("t", "e", ["a", "b", "c"], data=df, **ours)
    se = f.robust_se if "weights" in ours else f.se
    np.testing.assert_allclose(f.coef, cph.params_.to_numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(se, cph.standard_errors_.to_numpy(), rtol=1e-6)
    assert f.loglik == pytest.approx(cph.log_likelihood_, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Double programming: the textbook partial likelihoods as plain loops.
def plain_loglik_score_info(t, d, X, w, strata, beta, ties):
    """Efron/Breslow log partial likelihood, score and information by loops (R coxfit6 algebra)."""
    n, p = X.shape
    ll, U, info = 0.0, np.zeros(p), np.zeros((p, p))
    for s in np.unique(strata):
        idx = [i for i in range(n) if strata[i] == s]
        for tt in sorted({t[i] for i in idx if d[i] == 1}):
            risk = [i for i in idx if t[i] >= tt]
            dead = [i for i in idx if t[i] == tt and d[i] == 1]
            m = len(dead)
            wtave = sum(w[i] for i in dead) / m
            for i in dead:
                ll += w[i] * (X[i] @ beta)
                U += w[i] * X[i]
            for j in range(m):
                f = j / m if ties == "efron" else 0.0
                s0 = s1 = s2 = 0.0
                for i in risk:
                    share = (1 - f) if i in dead else 1.0
                    ri = share * w[i] * math.exp(X[i] @ beta)
                    s0 += ri
                    s1 = s1 + ri * X[i]
                    s2 = s2 + ri * np.outer(X[i], X[i])
                ll -= wtave * math.log(s0)
                U -= wtave * s1 / s0
                info += wtave * (s2 / s0 - np.outer(s1, s1) / s0**2)
    return ll, U, info


def plain_exact_loglik(t, d, X, strata, beta):
    """Exact partial likelihood: sum over all d-subsets of the risk set (Kalbfleisch-Prentice)."""
    ll = 0.0
    for s in np.unique(strata):
        idx = [i for i in range(len(t)) if strata[i] == s]
        for tt in sorted({t[i] for i in idx if d[i] == 1}):
            risk = [i for i in idx if t[i] >= tt]
            dead = [i for i in idx if t[i] == tt and d[i] == 1]
            ll += sum(X[i] @ beta for i in dead)
            ll -= math.log(sum(math.exp(sum(X[i] @ beta for i in c)) for c in itertools.combinations(risk, len(dead))))
    return ll


def _tied_data(seed, n=40, p=2, n_strata=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    t = rng.integers(1, 8, n).astype(float)
    d = (rng.random(n) < 0.7).astype(int)
    w = rng.uniform(0.5, 2.0, n)
    s = rng.integers(0, n_strata, n)
    return t, d, X, w, s


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("seed", [1, 2])
def test_kernel_matches_plain_loops(ties, seed):
    t, d, X, w, s = _tied_data(seed)
    beta = np.array([0.3, -0.6])
    cd, _ = kern.prepare(t, d, X, s, w, ties)
    got = kern.evaluate(cd, beta)
    ll, U, info = plain_loglik_score_info(t, d, X, w, s, beta, ties)
    # centring shifts eta by a constant within strata: loglik, score and information unchanged
    assert got.loglik == pytest.approx(ll, rel=1e-12)
    np.testing.assert_allclose(got.score, U, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.info, info, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", [3, 4])
def test_exact_ties_match_subset_enumeration(seed):
    t, d, X, _, s = _tied_data(seed, n=24)
    f = cox_ph(t, d, X, strata=s, ties="exact")
    assert f.loglik == pytest.approx(plain_exact_loglik(t, d, X, s, f.coef), rel=1e-12)
    assert f.loglik_null == pytest.approx(plain_exact_loglik(t, d, X, s, np.zeros(2)), rel=1e-12)
    # score and information by central differences of the enumerated likelihood
    cd, _ = kern.prepare(t, d, X, s, np.ones(t.size), "exact")
    beta = np.array([0.4, -0.2])
    got = kern.evaluate(cd, beta)
    h = 1e-5
    E = np.eye(2) * h
    num_score = [(plain_exact_loglik(t, d, X, s, beta + e) - plain_exact_loglik(t, d, X, s, beta - e)) / (2 * h)
                 for e in E]
    np.testing.assert_allclose(got.score, num_score, rtol=1e-6, atol=1e-7)
    num_info = [[-(kern.evaluate(cd, beta + e).score[j] - kern.evaluate(cd, beta - e).score[j]) / (2 * h)
                 for j in range(2)] for e in E]
    np.testing.assert_allclose(got.info, num_info, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_weighted_score_residuals_add_up_to_the_score(ties):
    t, d, X, w, s = _tied_data(7)
    cd, _ = kern.prepare(t, d, X, s, w, ties)
    for beta in (np.zeros(2), np.array([0.5, 0.25])):
        terms = kern.evaluate(cd, beta)
        L = score_residuals(cd, terms)
        np.testing.assert_allclose((L * cd.w).sum(axis=1), terms.score, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["pad", "loop"])
def test_segmented_cumsums_match_plain_loops(mode):
    rng = np.random.default_rng(11)
    seg_id = np.sort(rng.integers(0, 6, 200))
    a = rng.normal(size=(3, 200))
    seg = kern.Segments(seg_id)
    assert seg.mode == "pad"
    seg.mode = mode  # the loop path is normally taken only for very unbalanced strata
    fwd, rev = seg.cumsum(a), seg.cumsum(a, reverse=True)
    for j in range(200):
        same = seg_id == seg_id[j]
        np.testing.assert_allclose(fwd[:, j], a[:, same & (np.arange(200) <= j)].sum(axis=1), rtol=1e-12)
        np.testing.assert_allclose(rev[:, j], a[:, same & (np.arange(200) >= j)].sum(axis=1), rtol=1e-12)


def plain_concordance(t, d, score, strata, w):
    """Harrell's C by the double loop over pairs (R concordance conventions)."""
    conc = disc = tied = 0.0
    for i in range(len(t)):
        if not d[i]:
            continue
        for j in range(len(t)):
            if j == i or strata[i] != strata[j]:
                continue
            if t[j] > t[i] or (t[j] == t[i] and not d[j]):
                pw = w[i] * w[j]
                if score[i] > score[j]:
                    conc += pw
                elif score[i] < score[j]:
                    disc += pw
                else:
                    tied += pw
    return (conc + tied / 2) / (conc + disc + tied)


def _concordance_case(seed, n, weighted):
    """Random tied times, events, scores, two strata, weights and clusters with a comparable pair."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 6, n).astype(float)
    d = rng.integers(0, 2, n)
    score = rng.integers(0, 4, n).astype(float)
    s = rng.integers(0, 2, n)
    w = rng.uniform(0.5, 2, n) if weighted else np.ones(n)
    cluster = rng.integers(0, max(1, n // 3), n)
    assume(any(d[i] and s[j] == s[i] and (t[j] > t[i] or (t[j] == t[i] and not d[j]))
               for i in range(n) for j in range(n) if j != i))
    return t, d, score, s, w, cluster


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 60), st.booleans())
def test_concordance_matches_double_loop(seed, n, weighted):
    t, d, score, s, w, _ = _concordance_case(seed, n, weighted)
    assert concordance_with_se(t, d, score, s, w)[0] == pytest.approx(plain_concordance(t, d, score, s, w), rel=1e-12)


def plain_concordance_se(t, d, score, strata, w, cluster):
    """R's infinitesimal-jackknife SE of C from per-observation pair counts by the double loop."""
    n = len(t)
    cnt = np.zeros((n, 3))  # partners' weight: concordant, discordant, tied in score
    for i in range(n):
        for j in range(n):
            if j == i or strata[i] != strata[j] or not d[i]:
                continue
            if t[j] > t[i] or (t[j] == t[i] and not d[j]):
                k = 0 if score[i] > score[j] else 1 if score[i] < score[j] else 2
                cnt[i, k] += w[j]
                cnt[j, k] += w[i]
    c, dd, tt = (w @ cnt) / 2
    npair = c + dd + tt
    somers = (c - dd) / npair
    dfbeta = w * ((cnt[:, 0] - cnt[:, 1]) / npair - somers / npair * cnt.sum(axis=1))
    per_cluster = np.bincount(cluster, weights=dfbeta)
    return np.sqrt(per_cluster @ per_cluster / 4)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 50), st.booleans())
def test_concordance_se_matches_double_loop(seed, n, weighted):
    t, d, score, s, w, cluster = _concordance_case(seed, n, weighted)
    c, se = concordance_with_se(t, d, score, s, w, cluster)
    assert c == pytest.approx(plain_concordance(t, d, score, s, w), rel=1e-12)
    assert se == pytest.approx(plain_concordance_se(t, d, score, s, w, cluster), rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------------------------
# Properties.
def plain_logrank(t, d, g):
    """Two-group log-rank chi-square (O - E)^2 / V by a loop over the distinct event times."""
    o_e = v = 0.0
    for tt in sorted(set(t[d == 1])):
        at = t >= tt
        n_, n1 = at.sum(), (at & (g == 1)).sum()
        dd = ((t == tt) & (d == 1)).sum()
        d1 = ((t == tt) & (d == 1) & (g == 1)).sum()
        o_e += d1 - dd * n1 / n_
        v += dd * (n1 / n_) * (1 - n1 / n_) * (n_ - dd) / max(n_ - 1, 1)
    return o_e, v


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(4, 50))
def test_score_test_equals_logrank_without_ties(seed, n):
    rng = np.random.default_rng(seed)
    t = rng.permutation(n).astype(float) + 1
    d = (rng.random(n) < 0.7).astype(int)
    g = rng.integers(0, 2, n)
    assume(0 < g.sum() < n and d.sum() > 0)
    o_e, v = plain_logrank(t, d, g)
    assume(v > 1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = cox_ph(t, d, g, names=["g"])
    assert f.score_test.statistic == pytest.approx(o_e**2 / v, rel=1e-9)
    try:
        from survtrial.stats.logrank import logrank_test
    except ImportError:
        return
    assert logrank_test(t, d, g).statistic == pytest.approx(f.score_test.statistic, rel=1e-9)


def _random_fit_data(seed, n):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    t = rng.integers(1, 15, n).astype(float)
    d = (rng.random(n) < 0.6).astype(int)
    d[:2] = 1
    w = rng.uniform(0.5, 2, n)
    s = rng.integers(0, 2, n)
    return t, d, X, w, s


def _fit(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cox_ph(*args, **kw)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(20, 80), st.sampled_from(["efron", "breslow", "exact"]))
def test_row_order_does_not_matter(seed, n, ties):
    t, d, X, w, s = _random_fit_data(seed, n)
    kw = {} if ties == "exact" else {"weights": w}
    a = _fit(t, d, X, strata=s, ties=ties, **kw)
    assume(a.converged and np.all(np.abs(a.coef) < 5))
    perm = np.random.default_rng(seed + 1).permutation(n)
    kw = {} if ties == "exact" else {"weights": w[perm]}
    b = _fit(t[perm], d[perm], X[perm], strata=s[perm], ties=ties, **kw)
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-8)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.01, 100.0), st.sampled_from(["efron", "breslow"]))
def test_scaling_a_covariate_scales_its_coefficient(seed, c, ties):
    t, d, X, w, _s = _random_fit_data(seed, 60)
    a = _fit(t, d, X, ties=ties, weights=w)
    assume(a.converged and np.all(np.abs(a.coef) < 5))
    b = _fit(t, d, X * [c, 1.0], ties=ties, weights=w)
    np.testing.assert_allclose(b.coef, a.coef / [c, 1.0], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(b.se, a.se / [c, 1.0], rtol=1e-7)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-11)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_one_stratum_equals_unstratified_and_breslow_weights_equal_replication(seed):
    t, d, X, _, _ = _random_fit_data(seed, 40)
    a = _fit(t, d, X)
    assume(a.converged and np.all(np.abs(a.coef) < 5))
    b = _fit(t, d, X, strata=np.zeros(40, dtype=int))
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-12, atol=1e-12)
    # Breslow with integer case weights == the same rows replicated (Efron's weighted ties differ)
    k = np.random.default_rng(seed).integers(1, 4, 40)
    rep = np.repeat(np.arange(40), k)
    c = _fit(t, d, X, weights=k, ties="breslow")
    e = _fit(t[rep], d[rep], X[rep], ties="breslow")
    np.testing.assert_allclose(c.coef, e.coef, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(c.se, e.se, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# Ill-posed fits and bad input.
def test_monotone_likelihood_warns_naming_the_covariate():
    # every event in arm 1: the arm coefficient diverges (R: "Loglik converged before variable 1")
    rng = np.random.default_rng(3)
    arm = np.repeat([0, 1], 20)
    t = rng.exponential(1, 40)
    age = rng.normal(size=40)
    with pytest.warns(ConvergenceWarning, match=r"\['arm'\]"):
        f = cox_ph(t, arm, np.column_stack([arm, age]), names=["arm", "age"])
    assert f.coef[0] > 10  # large but finite, as R's 21.06 for the same data
    assert abs(f.coef[1]) < 1


def test_zero_events_gives_nan_and_a_warning():
    with pytest.warns(StatisticWarning, match="no events"):
        f = cox_ph([1.0, 2.0, 3.0], [0, 0, 0], [0, 1, 1], names=["arm"])
    assert np.isnan(f.coef).all() and np.isnan(f.se).all() and f.n_events == 0
    assert "events=0" in repr(f)


def test_uninformative_covariate_is_nan_with_a_warning():
    # z differs only between subjects censored before the first event: no information
    t = np.array([0.5, 0.5, 1, 2, 3, 4, 5, 6.0])
    d = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    z = np.array([1, 2, 0, 0, 0, 0, 0, 0.0])
    x = np.array([0, 1, 0, 1, 1, 0, 1, 0.0])
    with pytest.warns(StatisticWarning, match="'z'"):
        f = cox_ph(t, d, np.column_stack([x, z]), names=["x", "z"])
    assert np.isnan(f.coef[1]) and np.isfinite(f.coef[0])
    assert f.coef[0] == pytest.approx(cox_ph(t, d, x, names=["x"]).coef[0], rel=1e-12)
    with pytest.warns(StatisticWarning, match="'z'"):
        g = cox_ph(t, d, z, names=["z"])
    assert np.isnan(g.coef).all() and np.isnan(g.wald_test.statistic)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"covariates": "const"}, "'const' is constant"),
        ({"covariates": "missing"}, "'missing' is all missing"),
        ({"covariates": "text_num"}, "covariate 'text_num' row 1: non-numeric"),
        ({"covariates": "arm", "reference": {"arm": "placebo"}}, "level not found"),
        ({"covariates": "age", "reference": {"age": 1}}, "'age' is numeric"),
        ({"covariates": ["age", "age2"]}, "'age2' is a linear combination"),
        ({"covariates": "age", "ties": "exact", "weights": "w"}, "exact.*weights"),
        ({"covariates": "age", "cluster": "arm", "robust": False}, "cluster"),
        ({"covariates": "age", "ties": "efron2"}, "ties="),
        ({"covariates": "nope"}, "column 'nope' not found"),
        ({"covariates": "age", "conf_level": 95}, "strictly between 0 and 1"),
    ],
)
def test_bad_input_raises_input_error(kwargs, match):
    df = pd.DataFrame({
        "t": [1.0, 2, 3, 4, 5, 6], "e": [1, 0, 1, 1, 0, 1], "age": [3.0, 5, 2, 8, 4, 6],
        "const": [1.0] * 6, "missing": [np.nan] * 6, "arm": ["a", "b", "a", "b", "a", "b"],
        "text_num": np.array([1, "x", 2, 3, 4, 5], dtype=object), "w": [1.0, 2, 1, 1, 1.5, 1],
    }).assign(age2=lambda f: 2 * f.age + 1)
    with pytest.raises(InputError, match=match):
        cox_ph("t", "e", data=df, **kwargs)


# ---------------------------------------------------------------------------------------------
# Result object.
def test_result_table_interval_and_repr():
    f = cox_ph("time", "cens", ["treat"], data=gehan(), conf_level=0.9)
    tab = f.to_frame()
    assert list(tab.index) == ["treat[T.control]"]
    assert list(tab.columns) == ["coef", "hazard_ratio", "se", "z", "p_value", "hr_lower", "hr_upper"]
    ci90 = f.confidence_interval()
    ci95 = f.confidence_interval(0.95, scale="coef")
    z95 = 1.959963984540054
    assert ci95.low[0] == pytest.approx(f.coef[0] - z95 * f.se[0], rel=1e-12)
    assert tab.hr_lower.iloc[0] == pytest.approx(ci90.low[0]) and ci90.low[0] > math.exp(ci95.low[0])
    text = repr(f)
    assert len(text.splitlines()) == 2 and "treat[T.control]: HR 4.817" in text and "90% CI" in text
    with pytest.raises(InputError):
        f.confidence_interval(scale="log")


# ---------------------------------------------------------------------------------------------
# Monte-Carlo: the Wald interval of a trial-sized Cox model covers the true hazard ratio.
@pytest.mark.slow
def test_interval_coverage_at_aall1731_size(reference):
    hr = reference["results_first_interim"]["dfs_hazard_ratio"]["value"]
    s3 = reference["results_first_interim"]["dfs_3y"]["chemo"]["value"] / 100
    n0 = reference["population"]["randomized_chemo"]
    n1 = reference["population"]["randomized_blina"]
    lam0 = -math.log(s3) / 3  # exponential control hazard with the published 3-year DFS
    rng = np.random.default_rng(20250101)
    reps, covered = 300, 0
    arm = np.repeat([0, 1], [n0, n1])
    for _ in range(reps):
        t = rng.exponential(1 / (lam0 * np.where(arm == 1, hr, 1.0)))
        c = rng.uniform(1, 5, arm.size)  # staggered entry, analysis at 1-5 years of follow-up
        ci = cox_ph(np.minimum(t, c), (t <= c).astype(int), arm, names=["blina"]).confidence_interval()
        covered += ci.low[0] <= hr <= ci.high[0]
    # binomial Monte-Carlo SE of a 95% coverage over 300 replicates: sqrt(.95 * .05 / 300) = 0.0126
    assert abs(covered / reps - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / reps)


# R survival 3.5.3, the package's gehan.csv (pair, time, event, group):
#   g$trt <- as.integer(g$group == "6-MP"); g$w <- 0.5 + ((g$pair * 7) %% 10) / 8
#   g$x <- (((g$pair * 13 + g$time) %% 7) - 3) / 2
#   coxph(Surv(time, event) ~ <model>, data = g, ...)$concordance[c("concordance", "std")]
CONCORDANCE_R = {
    "plain": (0.690042075736325, 0.0411353889478791),  # ~ trt
    "weighted": (0.69006046793729, 0.047837379609672),  # ~ trt + x, weights = w
    "strata": (0.515923566878981, 0.0710313055457932),  # ~ x + strata(trt)
    "cluster": (0.697054698457223, 0.0589681857611857),  # ~ trt + x, cluster = pair
    "all": (0.688125108400301, 0.0813769639173832),  # ~ trt + x + strata(pair %% 3), weights = w, cluster = pair
}


@pytest.mark.parametrize("model", list(CONCORDANCE_R))
def test_concordance_and_its_se_match_r_coxph(model):
    from importlib.resources import files

    g = pd.read_csv(files("survtrial") / "data" / "gehan.csv")
    g["trt"] = (g["group"] == "6-MP").astype(int)
    g["w"] = 0.5 + (g["pair"] * 7 % 10) / 8
    g["x"] = ((g["pair"] * 13 + g["time"]) % 7 - 3) / 2
    g["s3"] = g["pair"] % 3
    kw = {
        "plain": dict(covariates=["trt"]),
        "weighted": dict(covariates=["trt", "x"], weights="w"),
        "strata": dict(covariates=["x"], strata="trt"),
        "cluster": dict(covariates=["trt", "x"], cluster="pair"),
        "all": dict(covariates=["trt", "x"], strata="s3", weights="w", cluster="pair"),
    }[model]
    f = cox_ph("time", "event", data=g, concordance=True, **kw)
    c, se = CONCORDANCE_R[model]
    assert f.concordance == pytest.approx(c, rel=1e-12)
    assert f.concordance_se == pytest.approx(se, rel=1e-13)
