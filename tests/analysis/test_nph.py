"""The non-proportional-hazards part of the primary analysis: against R on the ADaM example, bad input.

R 4.2.2, survival 3.5.3, on examples/adam (DFS; arm chemo/blina; strata RISKGRP):

    sl <- read.csv("examples/adam/adsl.csv"); tte <- read.csv("examples/adam/adtte.csv")
    d <- merge(sl, tte[tte$PARAMCD == "DFS", ], by = "USUBJID")
    d$ev <- 1 - d$CNSR; d$arm <- factor(d$TRT01P, levels = c("chemo", "blina"))
    d$blina <- as.numeric(d$TRT01P == "blina")
    fit <- coxph(Surv(AVAL, ev) ~ arm + strata(RISKGRP), data = d)
    cox.zph(fit)$table                                    # R_ZPH
    quantile(d$AVAL[d$ev == 1], c(1/3, 2/3))              # R_TERTILES (signif(, 2): 370, 720)
    s <- survSplit(Surv(AVAL, ev) ~ ., data = d, cut = c(370, 720), episode = "tgroup")
    pw <- coxph(Surv(tstart, AVAL, ev) ~ blina:strata(tgroup) + strata(RISKGRP), data = s)
    coef(pw); sqrt(diag(vcov(pw)))                        # R_PIECEWISE
    survdiff(Surv(AVAL, ev) ~ arm + strata(RISKGRP), data = d)$chisq          # R_LOGRANK_CHISQ
    summary(survfit(Surv(AVAL, ev) ~ arm, data = d), times = 1095.75)$surv    # R_S3 (chemo, blina)
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survtrial.analysis.nph import default_cut_points
from survtrial.analysis.trial import analyse_trial
from survtrial.errors import InputError
from survtrial.report.nph_section import nph_sentence, nph_tables
from survtrial.units import Duration

ROOT = Path(__file__).resolve().parents[2]
R_ZPH = {"chisq": 0.083921871069404, "df": 1, "p": 0.772051327484063}
R_TERTILES = (373.129380431359, 719.171932902807)
R_PIECEWISE = {"coef": (-0.996623586822586, -1.51113583325893, -0.767862252491768),
               "se": (0.442143885309524, 0.495452045861538, 0.408273165531155)}
R_LOGRANK_CHISQ = 19.3955148743755
R_S3 = (0.87736667818995, 0.957150550193048)

# Freireich et al. (1963) 6-MP leukaemia remission data (Gehan 1965): weeks; 0 = censored.
MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def adam_frame() -> pd.DataFrame:
    sl = pd.read_csv(ROOT / "examples" / "adam" / "adsl.csv")
    tte = pd.read_csv(ROOT / "examples" / "adam" / "adtte.csv")
    d = sl.merge(tte[tte["PARAMCD"] == "DFS"], on="USUBJID")
    return d.assign(ev=1 - d["CNSR"], arm=d["TRT01P"])


def gehan() -> pd.DataFrame:
    return pd.DataFrame({"weeks": MP_TIME + PLACEBO_TIME, "relapse": MP_EVENT + [1] * 21,
                         "arm": ["6-MP"] * 21 + ["placebo"] * 21})


@pytest.fixture(scope="module")
def adam():
    return analyse_trial(adam_frame(), time="AVAL", event="ev", arm="arm", reference="chemo", strata=["RISKGRP"],
                         landmark=Duration(3, "years"), tau=Duration(3, "years"), time_unit="days", endpoint="DFS")


def test_ph_test_piecewise_and_milestone_match_r(adam):
    nph = adam.nph
    assert nph.ph_test.statistic[-1] == pytest.approx(R_ZPH["chisq"], rel=1e-9)
    assert nph.ph_p_value == pytest.approx(R_ZPH["p"], rel=1e-9) and not nph.ph_doubtful
    assert nph.ph_test.terms == ("arm",)  # the model's one covariate, tested alone and globally
    # default cut points: R's type-7 tertiles of the event times, to two significant digits
    assert nph.cut_points == tuple(float(f"{q:.2g}") for q in R_TERTILES) == (370.0, 720.0)
    assert "tertiles" in nph.cut_points_rule
    np.testing.assert_allclose(nph.piecewise.coef, R_PIECEWISE["coef"], rtol=1e-7)
    np.testing.assert_allclose(nph.piecewise.se, R_PIECEWISE["se"], rtol=1e-7)
    # the MaxCombo's FH(0, 0) component is the stratified log-rank test (z^2 = survdiff's chi-square),
    # and its z is shown in survtrial's sign (> 0 favours blina, which had fewer events)
    assert nph.maxcombo_z[0] ** 2 == pytest.approx(R_LOGRANK_CHISQ, rel=1e-9) and nph.maxcombo_z[0] > 0
    assert nph.maxcombo_z[0] == pytest.approx(adam.primary.z, rel=1e-12)
    # milestone at the landmark (3 years = 1095.75 days): KM difference as R summary(survfit)
    assert nph.milestone_time == 1095.75 and adam.milestone_words() == "3 years"
    assert nph.milestone.difference == pytest.approx(R_S3[1] - R_S3[0], rel=1e-10)
    assert nph.notes == ()


def test_tables_and_sentence(adam):
    t = nph_tables(adam)
    assert t["ph_test"]["Term"].tolist() == ["Arm: blina vs chemo", "Global"]
    assert t["ph_test"]["P"].tolist() == ["0.772", "0.772"]
    pw = t["piecewise_hr"]
    assert pw.iloc[:, 0].tolist() == ["0\u2013370", "370\u2013720", "after 720", "Average (event-weighted)"]
    hr = np.exp(R_PIECEWISE["coef"][0])
    lo, hi = np.exp(R_PIECEWISE["coef"][0] + np.array([-1, 1]) * 1.959963984540054 * R_PIECEWISE["se"][0])
    assert pw["Hazard ratio (95% CI)"].iloc[0] == f"{hr:.2f} ({lo:.2f}\u2013{hi:.2f})"
    assert t["maxcombo"]["Test"].iloc[0] == "log-rank, FH(0, 0)"
    text = nph_sentence(adam)
    assert text.startswith("No evidence against proportional hazards (Grambsch-Therneau test of proportional "
                           "hazards P = 0.772)")
    assert set(adam.tables()) >= {"dfs_ph_test", "dfs_schoenfeld", "dfs_piecewise_hr", "dfs_maxcombo", "dfs_milestone"}


def test_doubtful_ph_names_the_summaries_to_read():
    """6-MP vs placebo: no 6-MP relapse before week 6, so the first interval's HR is not estimable
    (reported, not refused); the sentence then points to the piecewise HRs, RMST and milestone."""
    d = gehan()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning is caught into the notes, not raised
        a = analyse_trial(d, time="weeks", event="relapse", arm="arm", reference="placebo", landmark=10, tau=20,
                          time_unit="weeks", cut_points=[5.0, 12.0])
    nph = a.nph
    assert nph.cut_points == (5.0, 12.0) and nph.cut_points_rule == "given"
    assert nph.piecewise.events[0].tolist() == [9.0, 0.0] and nph.piecewise.coef[0] == -np.inf
    assert len(nph.notes) == 1 and "interval (0, 5]" in nph.notes[0] and "not estimable" in nph.notes[0]
    table = nph_tables(a)["piecewise_hr"]
    assert table["Hazard ratio (95% CI)"].iloc[0] == "NE (no events in 6-MP)"
    # a PH test on this sample decides the sentence's form; both forms name the reader's summary
    text = nph_sentence(a)
    if nph.ph_doubtful:
        assert "rather than by the single hazard ratio" in text and "restricted mean" in text
    else:
        assert "describes the effect" in text


def test_doubtful_sentence_when_the_effect_is_delayed():
    """Hazard ratio 1 for a year, 0.25 after (exponential, 1000 per arm): the PH test rejects and the
    sentence lists the piecewise hazard ratios, the RMST difference and the milestone difference."""
    rng = np.random.default_rng(7)
    n = 1000
    ctrl = rng.exponential(1 / 0.5, n)
    early = rng.exponential(1 / 0.5, n)
    late = 1.0 + rng.exponential(1 / 0.125, n)
    exp_ = np.where(early < 1.0, early, late)
    t = np.concatenate([ctrl, exp_])
    cens = rng.uniform(2.0, 4.0, 2 * n)
    d = pd.DataFrame({"years": np.minimum(t, cens), "event": (t <= cens).astype(int),
                      "arm": ["control"] * n + ["new"] * n})
    a = analyse_trial(d, time="years", event="event", arm="arm", landmark=2, tau=2, time_unit="years",
                      cut_points=[1.0])
    assert a.nph.ph_doubtful
    text = nph_sentence(a)
    assert text.startswith("Proportional hazards are doubtful (Grambsch-Therneau test of proportional hazards P ")
    for part in ("hazard ratios per interval", "in 0\u20131 years", "after 1 year)", "restricted mean",
                 "days", "at 2 years", "points", "rather than by the single hazard ratio"):
        assert part in text, part


def test_default_cut_points_plain_loop():
    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(2.0, 200), 3)
    e = rng.integers(0, 2, 200)
    ev = sorted(t[e == 1])
    expected = []
    for q in (1 / 3, 2 / 3):  # type-7 quantile by hand: linear between order statistics
        h = (len(ev) - 1) * q
        lo = ev[int(np.floor(h))]
        v = lo + (h - np.floor(h)) * (ev[int(np.floor(h)) + 1] - lo)
        expected.append(float(f"{v:.2g}"))
    assert default_cut_points(t, e) == tuple(expected)
    assert default_cut_points(t, np.zeros(200, dtype=int)) == ()


@pytest.mark.parametrize(("cuts", "message"), [
    ([12.0, 5.0], r"^cut_points=\[12.0, 5.0\]: cut points must be strictly increasing"),
    ([5.0, 5.0], r"strictly increasing \(sorted, no repeats\)"),
    ([5.0, 40.0], r"\[40.0\] outside the follow-up.*Last follow-up time per arm: '6-MP' 35, 'placebo' 23"),
    ([-1.0], r"outside the follow-up"),
])
def test_bad_cut_points(cuts, message):
    with pytest.raises(InputError, match=message):
        analyse_trial(gehan(), time="weeks", event="relapse", arm="arm", reference="placebo", landmark=10, tau=20,
                      time_unit="weeks", cut_points=cuts)


def test_milestone_beyond_follow_up_refused_when_given_noted_when_default():
    # placebo's curve reaches 0 at week 23 (defined beyond); 6-MP's last follow-up is week 35, censored
    with pytest.raises(InputError, match=r"^milestone=40 is beyond the follow-up of arm '6-MP'.*'placebo' 23, "
                                         r"'6-MP' 35; choose t\* <= 35"):
        analyse_trial(gehan(), time="weeks", event="relapse", arm="arm", reference="placebo", landmark=10, tau=20,
                      time_unit="weeks", milestone=40)
    a = analyse_trial(gehan(), time="weeks", event="relapse", arm="arm", reference="placebo", landmark=40, tau=20,
                      time_unit="weeks")
    assert a.nph.milestone is None
    assert any(n.startswith("milestone comparison left out: the default milestone (the landmark, 40)") for n in
               a.nph.notes)


def test_fast_path_and_switches():
    d = gehan()
    kw = dict(time="weeks", event="relapse", arm="arm", reference="placebo", landmark=10, tau=20, time_unit="weeks")
    assert analyse_trial(d, detailed=False, **kw).nph is None
    assert analyse_trial(d, nph=False, **kw).nph is None
    a = analyse_trial(d, maxcombo=False, **kw)
    assert a.nph.maxcombo is None and "maxcombo" not in nph_tables(a)
