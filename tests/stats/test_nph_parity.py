"""R-parity fields: KM cumulative hazard and summary(times=) counts, concordance pair counts,
multi-state survfit jackknife SEs, single-subject strata and the log-rank warning reasons.

R values: R 4.2.2, survival 3.5-3, printed by tests/stats/nph_reference.R (``sprintf("%.15g")``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survtrial.errors import StatisticWarning
from survtrial.stats.cox import cox_ph
from survtrial.stats.cuminc import cumulative_incidence
from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test

DATA = Path(__file__).resolve().parents[1] / "data"


def read(name):
    d = pd.read_csv(DATA / f"survival_{name}.csv")
    if name == "lung":
        d["w"] = np.resize([1.0, 2.0, 3.0], len(d))
    return d


# ------------------------------------------------------------------ Kaplan-Meier: cumhaz, std.chaz


def test_cumhaz_and_std_chaz_match_survfit():
    fit = kaplan_meier("time", "status", "trt", data=read("veteran"))
    # fk <- survfit(Surv(time, status) ~ trt, data = v); fk$cumhaz[1:8]; fk$std.chaz[1:8]
    cumhaz = [0.0144927536231884, 0.0291986359761296, 0.0441240091104579, 0.0744270394134882,
              0.105677039413488, 0.121806071671553, 0.154592956917454, 0.171542109459827]
    std_chaz = [0.0144927536231884, 0.0206471035102018, 0.0254768453023509, 0.0332897351946978,
                0.0399560723712067, 0.0430886690548083, 0.0489297795108332, 0.0517822082851183]  # fmt: skip
    np.testing.assert_allclose(fit.cumhaz[:8], cumhaz, rtol=1e-13)
    np.testing.assert_allclose(fit.std_chaz[:8], std_chaz, rtol=1e-13)
    # plain loop: Nelson-Aalen sum d/n and sum d/n^2 per group
    frame = fit.to_frame(cumhaz=True)
    for _, part in frame.groupby("group", observed=True):
        h = v = 0.0
        for n, d, ch, sc in zip(part["n_risk"], part["n_event"], part["cumhaz"], part["std_chaz"], strict=True):
            h += d / n
            v += d / n**2
            assert ch == pytest.approx(h, rel=1e-14) and sc == pytest.approx(np.sqrt(v), rel=1e-14)


def test_summary_times_matches_r():
    fit = kaplan_meier("time", "status", "trt", data=read("veteran"))
    out = fit.survival_at([100, 10, 50, 200, 500])
    # sk <- summary(fk, times = c(100, 10, 50, 200, 500), extend = TRUE): R sorts the times
    r = {
        "n_risk": [64, 46, 34, 12, 1, 61, 38, 21, 13, 3],
        "n_event": [7, 15, 12, 19, 10, 7, 23, 15, 7, 9],
        "n_censor": [0, 1, 2, 2, 0, 0, 0, 2, 1, 1],
        "survival": [0.898550724637681, 0.679738562091503, 0.50198084348829, 0.194724556800199,
                     0.0177022324363818, 0.897058823529412, 0.558823529411764, 0.332647058823529,
                     0.216220588235294, 0.0548867647058823],
        "std_err": [0.0363472224265794, 0.0563375870447681, 0.0606397567872004, 0.0500919354360461,
                    0.0174819377037503, 0.036851109540611, 0.0602128323712624, 0.0577534851675236,
                    0.0516519504088463, 0.0302816603626621],
        "cumhaz": [0.105677039413488, 0.381565404777632, 0.680354455226542, 1.59665103510238,
                   3.61652837997972, 0.10707854237266, 0.573289293875008, 1.07833186357622,
                   1.49330618663878, 2.74919751753011],
        "std_chaz": [0.0399560723712067, 0.081923322926532, 0.119225765116555, 0.249415412814339,
                     0.787553326528309, 0.0404891641037303, 0.106161035801156, 0.169716092977766,
                     0.231954553397755, 0.505293121965003],
    }  # fmt: skip
    ordered = out.sort_values(["group", "time"]).reset_index(drop=True)
    for col, ref in r.items():
        np.testing.assert_allclose(ordered[col], ref, rtol=1e-12, err_msg=col)
    assert out["time"].tolist()[:5] == [100, 10, 50, 200, 500]  # rows keep the order asked for


def test_summary_times_with_case_weights_matches_r():
    fit = kaplan_meier("time", "status", "sex", data=read("lung"), weights="w")
    out = fit.survival_at([100, 300, 600])
    # summary(survfit(Surv(time, status) ~ sex, data = l, weights = w), times = c(100, 300, 600))
    r = {
        "n_risk": [199, 91, 27, 163, 86, 20],
        "n_event": [43, 83, 51, 15, 35, 38],
        "n_censor": [0, 27, 11, 3, 42, 28],
        "survival": [0.822314049586777, 0.462644019907165, 0.167785202047001, 0.916926167754897,
                     0.692378012492457, 0.321670524982249],
        "cumhaz": [0.194218789541448, 0.764139951332054, 1.75196967371413, 0.0861188549363301,
                   0.36401027329086, 1.11129430086535],
        "std_chaz": [0.0296675146095485, 0.0707132060911036, 0.162641750304431, 0.0222458402591287,
                     0.052761824681344, 0.140115470789595],
    }  # fmt: skip
    for col, ref in r.items():
        np.testing.assert_allclose(out[col], ref, rtol=1e-12, err_msg=col)


# ------------------------------------------------------------------ concordance pair counts


@pytest.mark.parametrize(
    ("data", "covariates", "kwargs", "r"),
    [
        # coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = l)$concordance
        ("lung", ["age", "ph.ecog"], {"strata": "sex"},
         [5374, 3355, 105, 12, 0, 0.614274394385329, 0.0274511558841565]),
        # fv$concordance (veteran: trt + karno + age + celltype)
        ("veteran", ["trt", "karno", "age", "celltype"], {},
         [6499, 2301, 4, 39, 0, 0.738414357110404, 0.021038383228326]),
        # coxph(Surv(time, status) ~ age + ph.ecog, data = l, weights = w)$concordance
        ("lung", ["age", "ph.ecog"], {"weights": "w"},
         [41661, 23989, 833, 96, 0, 0.63290615646105, 0.0273792908011639]),
    ],
)  # fmt: skip
def test_concordance_counts_match_r(data, covariates, kwargs, r):
    f = cox_ph("time", "status", covariates, data=read(data), concordance=True, **kwargs)
    np.testing.assert_allclose(tuple(f.concordance_counts), r[:5], rtol=1e-12)
    assert f.concordance == pytest.approx(r[5], rel=1e-10)
    assert f.concordance_se == pytest.approx(r[6], rel=1e-9)


def test_tied_pairs_small_example():
    # R: d <- data.frame(t = c(1,1,2,2,2,3,4,4,5), e = c(1,1,1,0,1,0,1,1,0), x = c(1,2,2,2,3,1,1,1,0))
    #    coxph(Surv(t, e) ~ x, data = d)$concordance: 16 4 6 2 1, concordance 0.7307692
    d = pd.DataFrame({"t": [1, 1, 2, 2, 2, 3, 4, 4, 5], "e": [1, 1, 1, 0, 1, 0, 1, 1, 0],
                      "x": [1, 2, 2, 2, 3, 1, 1, 1, 0]})  # fmt: skip
    f = cox_ph("t", "e", "x", data=d, concordance=True)
    assert tuple(f.concordance_counts) == (16.0, 4.0, 6.0, 2.0, 1.0)


# ------------------------------------------------------------------ multi-state survfit std.err


def plain_ij(time, status, w, grid_times, cause):
    """Per subject influence recursion of R's survfitci.c (competing risks from one state), loops."""
    n = len(time)
    U = np.zeros((n, 3))  # columns: initial state, cause 1, cause 2
    p = np.array([1.0, 0.0, 0.0])
    out = {}
    for t in sorted(set(time)):
        at = [i for i in range(n) if time[i] >= t]
        ws = sum(w[i] for i in at)
        dk = [sum(w[i] for i in at if time[i] == t and status[i] == k) for k in (1, 2)]
        if sum(dk) > 0:
            H = np.eye(3)
            H[0, 1], H[0, 2] = dk[0] / ws, dk[1] / ws
            H[0, 0] = 1 - sum(dk) / ws
            U = U @ H
            for i in at:
                U[i] -= H[0] * p[0] / ws
                U[i, status[i] if time[i] == t else 0] += p[0] / ws
            p = p @ H
        if t in grid_times:
            out[t] = np.sqrt(sum(w[i] ** 2 * U[i, cause] ** 2 for i in range(n)))
    return out


def test_jackknife_se_matches_r_multistate_survfit():
    m = read("mgus2")
    times = [12, 60, 120, 240, 360]
    r = cumulative_incidence("etime", "event", "sex", data=m).at(times)
    # sm <- summary(survfit(Surv(etime, factor(event)) ~ sex, data = m), times = times)
    # sm$std.err[, 2] (pcm) and [, 3] (death), rows F then M
    pcm = [0.00446218625045384, 0.00779833408808593, 0.0107697973764881, 0.0142629574344966,
           0.031742837827254, 0.00295967031624724, 0.00616458366286076, 0.00864431655219645,
           0.0135258309491872, 0.0158156196773295]
    death = [0.0116027238918556, 0.0175806957234412, 0.0208049145180222, 0.0236253343399979,
             0.0323686906321686, 0.0128709132964748, 0.0176074421125398, 0.0189385922542251,
             0.020668866928044, 0.0237626605570388]  # fmt: skip
    for cause, ref in ((1, pcm), (2, death)):
        got = r[r["cause"] == cause].sort_values(["group", "time"])["std_err_ij"]
        np.testing.assert_allclose(got, ref, rtol=1e-12)
    rw = cumulative_incidence("etime", "event", "sex", data=m.assign(w=np.resize([1, 2, 0.5], len(m))),
                              weights="w").at(times)
    # survfit(..., weights = rep(c(1, 2, 0.5), length.out = nrow(m)))
    pcm_w = [0.00443603851561619, 0.00776035678400336, 0.0126428944037869, 0.0180313072082274,
             0.03649041049645, 0.00356365357299432, 0.00742254170682384, 0.00944477785876426,
             0.0127944408408064, 0.0132455057823906]  # fmt: skip
    got = rw[rw["cause"] == 1].sort_values(["group", "time"])["std_err_ij"]
    np.testing.assert_allclose(got, pcm_w, rtol=1e-12)


def test_jackknife_se_matches_plain_recursion_with_ties():
    rng = np.random.default_rng(7)
    n = 60
    time = rng.integers(1, 15, n).astype(float)
    status = rng.integers(0, 3, n)
    w = rng.choice([1.0, 0.5, 2.0], n)
    res = cumulative_incidence(time, status, weights=w)
    frame = res.to_frame()
    grid = sorted(set(time.tolist()))
    for cause in (1, 2):
        ref = plain_ij(time.tolist(), status.tolist(), w.tolist(), set(grid), cause)
        got = frame[frame["cause"] == cause].set_index("time")["std_err_ij"]
        np.testing.assert_allclose([got[t] for t in grid], [ref[t] for t in grid], rtol=1e-11, atol=1e-15)


# ------------------------------------------------------------------ log-rank: single subjects, reasons


def test_single_subject_strata_add_nothing_as_survdiff():
    # d1 <- data.frame(t = 1:8, e = c(1,1,0,1,1,0,1,1), g = c(0,1,0,1,0,1,0,1), s = c(0,0,0,0,0,1,2,3))
    # survdiff(Surv(t, e) ~ g + strata(s), data = d1): chisq 0.486486486486487, obs 3 3,
    #   exp 3.6 2.4, var 0.74
    t, e = [1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 0, 1, 1, 0, 1, 1]
    g, s = [0, 1, 0, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 1, 2, 3]
    r = logrank_test(t, e, g, strata=s)
    assert r.statistic == pytest.approx(0.486486486486487, rel=1e-13)
    np.testing.assert_allclose(r.expected, [3.6, 2.4], rtol=1e-14)
    assert r.variance[1, 1] == pytest.approx(0.74, rel=1e-14)
    # and the same as the test on the first five subjects alone
    assert logrank_test(t[:5], e[:5], g[:5]).statistic == pytest.approx(r.statistic, rel=1e-14)


@pytest.mark.parametrize(
    ("time", "event", "group", "reason"),
    [
        ([1, 2, 3, 4], [0, 0, 0, 0], [0, 1, 0, 1], "there are no events"),
        ([5, 6, 1, 2], [1, 1, 0, 0], [0, 0, 1, 1], "only one group has subjects at risk"),
        ([3, 3], [1, 1], [0, 1], r"the variance is zero: at every event time everyone at risk has the event"),
    ],
)
def test_undefined_logrank_says_why(time, event, group, reason):
    with pytest.warns(StatisticWarning, match=reason):
        r = logrank_test(time, event, group)
    assert r.statistic == 0.0 and r.p_value == 1.0
