"""Tests for reconstruct_ipd: input checks naming arm and row, the survival scale, cleaning, the result
protocol, and a published trial (Bonner et al. 2006) reconstructed from its digitized figure."""

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survtrial
from survtrial.data.reconstruct import km_at, reconstruct_ipd
from survtrial.errors import InputError, StatisticWarning

DATA = Path(__file__).parent / "reconstruct"
BONNER_CURVE = DATA / "bonner2006_locoregional_curve.csv"
BONNER_RISK = DATA / "bonner2006_locoregional_at_risk.csv"


def two_arms():
    curve = pd.DataFrame({
        "arm": ["a"] * 6 + ["b"] * 6,
        "time": [0, 0.5, 1, 1.5, 2, 2.5] * 2,
        "survival": [1, 0.95, 0.9, 0.86, 0.8, 0.77, 1, 0.97, 0.95, 0.92, 0.9, 0.88],
    })
    risk = pd.DataFrame({"arm": ["a", "a", "a", "b", "b", "b"], "time": [0, 1, 2] * 2,
                         "n_risk": [200, 170, 140, 200, 180, 155]})
    return curve, risk


def test_exported_and_result_protocol():
    assert survtrial.reconstruct_ipd is reconstruct_ipd
    curve, risk = two_arms()
    res = reconstruct_ipd(curve, risk, {"a": 40}, time_unit="years")
    ipd = res.to_frame()
    assert list(ipd.columns) == ["time", "event", "arm"]
    assert ipd.groupby("arm").size().to_dict() == {"a": 200, "b": 200}
    assert ipd.loc[ipd.arm == "a", "event"].sum() == 40  # the published total is met
    summ = res.summary()
    assert summ["events_published"].tolist()[0] == 40 and pd.isna(summ["events_published"].tolist()[1])
    assert (summ["max_n_risk_difference"] == 0).all()
    iv = res.to_frame("intervals")
    assert (iv["n_risk_published"] == iv["n_risk_reconstructed"]).all()
    assert iv.groupby("arm")["events_reconstructed"].sum().to_dict() == ipd.groupby("arm")["event"].sum().to_dict()
    pts = res.to_frame("points")
    assert np.allclose(pts["difference"], pts["survival_reconstructed"] - pts["survival_digitized"])
    text = repr(res)
    assert "2 arm(s), 400 patients" in text and "years" in text and len(text.splitlines()) == 2
    with pytest.raises(InputError, match="what='x'"):
        res.to_frame("x")
    with pytest.raises(dataclasses_frozen()):
        res.time = None


def dataclasses_frozen():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_fit_report_is_computed_from_the_records():
    # max |KM - digitized| is recomputed here with a plain product-limit loop over the records.
    curve, risk = two_arms()
    res = reconstruct_ipd(curve, risk)
    ipd = res.to_frame()
    for i, a in enumerate(res.arms):
        g = ipd[ipd.arm == a]
        diffs = []
        for t, s in curve.loc[curve.arm == a, ["time", "survival"]].itertuples(index=False):
            km = 1.0
            for u in sorted(set(g.time[(g.event == 1) & (g.time <= t)])):
                km *= 1 - ((g.time == u) & (g.event == 1)).sum() / (g.time >= u).sum()
            diffs.append(abs(km - s))
        assert math.isclose(res.max_abs_difference[i], max(diffs), abs_tol=1e-12)
        assert math.isclose(res.mean_abs_difference[i], np.mean(diffs), abs_tol=1e-12)


def test_implied_counts_by_hand():
    # Arm a, interval [0, 1): q = 1 - S(1-)/S(0-) = 1 - .95 = .05 (the point at 1 belongs to the next
    # interval); implied events .05 (200 + 170) / (2 - .05) = 9.487, censorings 200 - 170 - 9.487.
    curve, risk = two_arms()
    iv = reconstruct_ipd(curve, risk).to_frame("intervals")
    row = iv[(iv.arm == "a") & (iv.start == 0)].iloc[0]
    assert math.isclose(row.events_implied, 0.05 * 370 / 1.95, rel_tol=1e-12)
    assert math.isclose(row.censored_implied, 30 - 0.05 * 370 / 1.95, rel_tol=1e-12)
    last = iv[(iv.arm == "a")].iloc[-1]
    assert math.isnan(last.events_implied)  # no total events given: the last interval's end is unknown


def test_percent_and_proportion_give_the_same_data():
    curve, risk = two_arms()
    pct = curve.assign(survival=curve.survival * 100)
    a = reconstruct_ipd(curve, risk)
    b = reconstruct_ipd(pct, risk)
    assert (a.survival_scale, b.survival_scale) == ("proportion", "percent")
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    c = reconstruct_ipd(pct, risk, survival_scale="percent")
    pd.testing.assert_frame_equal(a.to_frame(), c.to_frame())


@pytest.mark.parametrize("top", [1.6, 20.0, 49.9])
def test_ambiguous_scale_is_an_error(top):
    curve, risk = two_arms()
    curve.loc[0, "survival"] = top
    with pytest.raises(InputError, match=r"row 1: the largest survival value .* survival_scale"):
        reconstruct_ipd(curve, risk)


def test_polars_and_dict_inputs():
    pl = pytest.importorskip("polars")
    curve, risk = two_arms()
    ref = reconstruct_ipd(curve, risk).to_frame()
    pd.testing.assert_frame_equal(reconstruct_ipd(pl.from_pandas(curve), pl.from_pandas(risk)).to_frame(), ref)
    as_dict = {k: curve[k].to_numpy() for k in curve}
    pd.testing.assert_frame_equal(reconstruct_ipd(as_dict, {k: risk[k].to_numpy() for k in risk}).to_frame(), ref)


def test_single_arm_without_arm_column():
    curve, risk = two_arms()
    one = curve[curve.arm == "a"].drop(columns="arm")
    res = reconstruct_ipd(one, risk[risk.arm == "a"].drop(columns="arm"), 40)
    assert res.arms == ("all",) and int(res.event.sum()) == 40


# ---------------------------------------------------------------- input checks (property tests)


@st.composite
def valid_case(draw):
    """Two arms with interleaved rows; each a non-increasing curve with consistent at-risk counts."""
    rows, risk_rows = [], []
    for arm in ("ctl", "exp"):
        k = draw(st.integers(3, 12))
        t = np.concatenate([[0.0], np.cumsum(draw(st.lists(st.integers(1, 5), min_size=k - 1, max_size=k - 1)))])
        drops = draw(st.lists(st.floats(0.0, 0.1), min_size=k - 1, max_size=k - 1))
        s = np.concatenate([[1.0], np.cumprod(1 - np.asarray(drops))])
        rows += [(j, arm, float(a), float(b)) for j, (a, b) in enumerate(zip(t, s, strict=True))]
        n0 = draw(st.integers(20, 300))
        risk_rows += [(arm, 0.0, n0), (arm, float(t[k // 2]), int(n0 * s[k // 2] * 0.9))]
    curve = pd.DataFrame(sorted(rows, key=lambda r: r[0]), columns=["j", "arm", "time", "survival"])
    risk = pd.DataFrame(risk_rows, columns=["arm", "time", "n_risk"])
    return curve.drop(columns="j"), risk


def _previous_same_arm(curve, i):
    same = np.flatnonzero(curve.arm.to_numpy()[:i] == curve.arm.iloc[i])
    return int(same[-1]) if same.size else None


@settings(max_examples=60, deadline=None)
@given(valid_case(), st.data())
def test_increasing_survival_names_arm_and_row(case, data):
    curve, risk = case
    i = data.draw(st.integers(0, len(curve) - 1).filter(
        lambda j: _previous_same_arm(curve, j) is not None
        and curve.survival.iloc[_previous_same_arm(curve, j)] < 0.99))
    p = _previous_same_arm(curve, i)
    curve.loc[i, "survival"] = curve.survival.iloc[p] + 0.01
    arm, row = curve.arm.iloc[i], i + 1
    with pytest.raises(InputError) as err:
        reconstruct_ipd(curve, risk)
    msg = str(err.value)
    assert f"row {row} (arm {arm!r}), column 'survival'" in msg and "increases" in msg and "clean" in msg
    res = reconstruct_ipd(curve, risk, clean=True)  # the explicit option repairs it
    assert res.summary().set_index("arm").loc[arm, "points_cleaned"] >= 1


@settings(max_examples=60, deadline=None)
@given(valid_case(), st.data())
def test_unsorted_times_name_arm_and_row(case, data):
    curve, risk = case
    i = data.draw(st.integers(0, len(curve) - 1).filter(
        lambda j: _previous_same_arm(curve, j) is not None and curve.time.iloc[_previous_same_arm(curve, j)] > 0))
    curve.loc[i, "time"] = curve.time.iloc[_previous_same_arm(curve, i)] - 0.5
    arm, row = curve.arm.iloc[i], i + 1
    with pytest.raises(InputError, match=re.escape(f"row {row} (arm {arm!r})") + ".*sorted"):
        reconstruct_ipd(curve, risk)


@settings(max_examples=40, deadline=None)
@given(valid_case(), st.data(), st.sampled_from([-0.2, 1.3]))
def test_points_outside_unit_interval_name_row(case, data, bad):
    curve, risk = case
    i = data.draw(st.integers(0, len(curve) - 1).filter(lambda j: curve.time.iloc[j] > 0))
    curve.loc[i, "survival"] = bad
    arm, row = curve.arm.iloc[i], i + 1
    with pytest.raises(InputError, match=re.escape(f"row {row} (arm {arm!r})") + r".*outside \[0, 1\]"):
        reconstruct_ipd(curve, risk, survival_scale="proportion")


@settings(max_examples=40, deadline=None)
@given(valid_case(), st.sampled_from(["increase", "exceed", "beyond", "start", "fraction"]))
def test_at_risk_checks_name_arm_and_row(case, kind):
    curve, risk = case
    j = 3  # second row of arm "exp"
    n0 = int(risk.n_risk.iloc[2])
    if kind == "increase":
        risk = pd.concat([risk, pd.DataFrame({"arm": ["exp"], "time": [curve[curve.arm == "exp"].time.max()],
                                              "n_risk": [int(risk.n_risk.iloc[j]) + 1]})], ignore_index=True)
        if risk.n_risk.iloc[4] > n0:
            return
        j, pattern = 4, "increase"
    elif kind == "exceed":
        risk.loc[j, "n_risk"] = n0 + 1
        pattern = "exceeds the arm's first count"
    elif kind == "beyond":
        risk.loc[j, "time"] = curve[curve.arm == "exp"].time.max() + 1
        pattern = "beyond the digitized curve"
    elif kind == "start":
        risk.loc[2, "time"] = 0.5
        risk.loc[j, "time"] = max(risk.loc[j, "time"], 1.0)
        j, pattern = 2, "must start at time 0"
    else:
        risk = risk.astype({"n_risk": float})
        risk.loc[j, "n_risk"] = risk.n_risk.iloc[j] + 0.5
        pattern = "not a whole number"
    with pytest.raises(InputError, match=re.escape(f"row {j + 1} (arm 'exp')") + ".*" + pattern):
        reconstruct_ipd(curve, risk)


def test_other_input_errors():
    curve, risk = two_arms()
    with pytest.raises(InputError, match="arm 'a': 1 point"):
        reconstruct_ipd(curve.drop(index=range(1, 6)), risk)
    with pytest.raises(InputError, match=r"no numbers at risk for \['b'\]"):
        reconstruct_ipd(curve, risk[risk.arm == "a"])
    with pytest.raises(InputError, match="total_events: arm 'c' is not in the curve"):
        reconstruct_ipd(curve, risk, {"c": 3})
    with pytest.raises(InputError, match=r"total_events\['a'\] = 201 exceeds the arm's 200 patients"):
        reconstruct_ipd(curve, risk, {"a": 201})
    with pytest.raises(InputError, match=r"total_events\['a'\] = 2.5: must be a whole number"):
        reconstruct_ipd(curve, risk, {"a": 2.5})
    with pytest.raises(InputError, match="give a mapping arm -> events"):
        reconstruct_ipd(curve, risk, 10)
    bad = curve.copy()
    bad["time"] = bad["time"].astype(object)
    bad.loc[4, "time"] = "x"
    with pytest.raises(InputError, match=r"row 5, column 'time': 'x' is not a number"):
        reconstruct_ipd(bad, risk)
    bad = curve.copy()
    bad.loc[7, "survival"] = np.nan
    with pytest.raises(InputError, match=r"row 8, column 'survival': missing"):
        reconstruct_ipd(bad, risk)
    with pytest.raises(InputError, match="column 'survival' not found"):
        reconstruct_ipd(curve.rename(columns={"survival": "S"}), risk)
    with pytest.raises(InputError, match="survival_scale='fraction'"):
        reconstruct_ipd(curve, risk, survival_scale="fraction")
    with pytest.raises(InputError, match="clean must be True or False"):
        reconstruct_ipd(curve, risk, clean="yes")
    with pytest.raises(InputError, match="file not found"):
        reconstruct_ipd("no-such-curve.csv", risk)


def test_unmatched_interval_warns_and_names_it():
    # The curve falls by 30% in [0, 1) but only 5 of 100 leave the risk set: the walk cannot keep 95.
    curve = pd.DataFrame({"time": [0, 0.5, 1, 2], "survival": [1, 0.7, 0.7, 0.6]})
    risk = pd.DataFrame({"time": [0, 1], "n_risk": [100, 95]})
    with pytest.warns(StatisticWarning, match=r"interval \[0, 1\): reconstructed 70 at risk at 1, published 95"):
        res = reconstruct_ipd(curve, risk, arm=None)
    assert res.summary()["intervals_unmatched"].iloc[0] == 1


# ---------------------------------------------------------------- a published trial


def test_bonner_2006_raw_digitization_is_rejected_with_its_row():
    # As digitized (IPDfromKM 0.1.10 Radiationdata), the first reading has a negative time.
    with pytest.raises(InputError, match=r"bonner2006_locoregional_curve.csv row 1 \(arm 'radiotherapy'\), "
                                         r"column 'time': negative time -0.512"):
        reconstruct_ipd(BONNER_CURVE, BONNER_RISK)


def test_bonner_2006_published_medians_and_hazard_ratio():
    """Bonner JA et al. N Engl J Med 2006;354:567-78 (abstract): median duration of locoregional
    control 14.9 months (radiotherapy, 213 patients) and 24.4 months (radiotherapy + cetuximab, 211);
    HR for locoregional progression or death 0.68 (95% CI 0.52-0.89, as quoted in IPDfromKM 0.1.10's
    Radiationdata example). The curves are the ScanIt digitization shipped with IPDfromKM 0.1.10.

    Tolerances. Median: the digitized readings step by about 0.5 percentage point, so a reading is
    taken to be within 1 point of the printed curve; the median then lies between the first time the
    digitized curve is <= 51% and the first time it is <= 49%, and both the published median and the
    reconstructed one must lie in that window. HR: Guyot et al. (2012, abstract) report that with
    numbers at risk the reconstructed HR has "reasonable accuracy"; we require the reconstructed Cox HR
    inside the published 95% CI and within one published standard error of its log
    ((log 0.89 - log 0.52) / (2 x 1.96) = 0.137).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every interval must match its published number at risk
        res = reconstruct_ipd(BONNER_CURVE, BONNER_RISK, clean=True, time_unit="months")
    assert res.survival_scale == "percent"
    summ = res.summary().set_index("arm")
    assert (summ["max_n_risk_difference"] == 0).all()
    ipd = res.to_frame()
    curve = pd.read_csv(BONNER_CURVE)
    km = survtrial.kaplan_meier("time", "event", "arm", data=ipd).median().set_index("group")["estimate"]
    for arm, published in (("radiotherapy", 14.9), ("radiotherapy+cetuximab", 24.4)):
        c = curve[curve.arm == arm]
        lo = c.time[c.survival <= 51].min()
        hi = c.time[c.survival <= 49].min()
        assert lo <= published <= hi
        assert lo <= km[arm] <= hi
    cox = survtrial.cox_ph("time", "event", ["arm"], data=ipd, reference={"arm": "radiotherapy"})
    hr = float(np.exp(cox.coef[0]))
    se_pub = (math.log(0.89) - math.log(0.52)) / (2 * 1.959964)
    assert 0.52 <= hr <= 0.89
    assert abs(math.log(hr) - math.log(0.68)) <= se_pub
    # Total patients per arm as randomized (Bonner 2006: 213 and 211).
    assert summ.loc["radiotherapy", "n"] == 213 and summ.loc["radiotherapy+cetuximab", "n"] == 211


def test_km_at_matches_kaplan_meier():
    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(size=200), 1)
    e = rng.integers(0, 2, 200)
    fit = survtrial.kaplan_meier(t, e, timefix=False)
    at = np.linspace(0, 3, 31)
    want = [fit.survival[fit.time <= x][-1] if (fit.time <= x).any() else 1.0 for x in at]
    assert np.allclose(km_at(t, e, at), want, rtol=0, atol=1e-14)


def test_last_interval_running_out_of_patients_warns():
    # 46 of 100 censored in [0, 1) (4 events): 46 per unit time; over the last interval [1, 3] that
    # rate censors all 50 left before the drop at t = 3, which nobody is left to make.
    curve = pd.DataFrame({"time": [0, 0.5, 1, 2, 3], "survival": [1, 0.95, 0.95, 0.95, 0.8]})
    risk = pd.DataFrame({"time": [0, 1], "n_risk": [100, 50]})
    with pytest.warns(StatisticWarning, match="no patient left at risk at time 3 where the curve still falls"):
        res = reconstruct_ipd(curve, risk, arm=None)
    assert res.fits[0].point_n_risk[-1] == 0
    # With the published total events (12: 4 before t = 1, round(50 x .15 / .95) = 8 at t = 3 when
    # nobody is censored) the search keeps enough of the 50 patients for the drop.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = reconstruct_ipd(curve, risk, 12, arm=None)
    assert int(res.event.sum()) == 12 and round(res.fits[0].point_n_risk[-1] * 0.15 / 0.95) == 8
