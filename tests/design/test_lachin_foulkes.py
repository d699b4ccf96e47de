"""Tests for survtrial.design.lachin_foulkes against gsDesign (printed outputs and source run in R),
an independent quadrature implementation, and invariants of the method."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import norm

from survtrial.design import lachin_foulkes_sample_size, schoenfeld_events
from survtrial.errors import InputError

# gsDesign hazards are per time unit; its dropout `eta` is an exponential hazard, which in our
# convention is a proportion lost by dropout_time=1.


def _dropout(eta: float) -> dict:
    return {"dropout_rate": -math.expm1(-eta), "dropout_time": 1.0}


# ---------------------------------------------------------------------------------------------
# Published outputs: gsDesign's printed nSurvival snapshots


# keaven/gsDesign tests/testthat/_snaps/independent-test-print.nSurvival.md (commit 2a56888),
# printed by print.nSurvival as n = 2 * ceiling(n / 2) and nEvents = ceiling(nEvents):
#   nSurvival(lambda1=.2, lambda2=.1, eta=0, Ts=2, Tr=.5, sided=1, alpha=.025,
#             entry="unif", type="rd", approx=FALSE)    n=414  nEvents=94
#   same with approx=TRUE                                n=416  nEvents=95
#   nSurvival(lambda1=.2, lambda2=.1, eta=.1, Ts=2, Tr=.5, sided=1, alpha=.025,
#             entry="unif")            (type="rr")      n=430  nEvents=91
@pytest.mark.parametrize(
    ("scale", "null_variance", "eta", "n_printed", "events_printed"),
    [
        ("hazard-difference", "pooled", 0.0, 414, 94),
        ("hazard-difference", "alternative", 0.0, 416, 95),
        ("log-hazard-ratio", "pooled", 0.1, 430, 91),
    ],
)
def test_gsdesign_printed_nsurvival(scale, null_variance, eta, n_printed, events_printed):
    res = lachin_foulkes_sample_size(
        control_hazard=0.2, experimental_hazard=0.1, power=0.9, accrual_time=0.5, follow_up=1.5,
        scale=scale, null_variance=null_variance, **(_dropout(eta) if eta else {}),
    )
    assert 2 * math.ceil(res.n_subjects / 2) == n_printed
    assert math.ceil(res.events) == events_printed


# gsDesign nSurvival() and nSurv() (R/gsSurvival.R, R/gsSurv-*.R at keaven/gsDesign commit
# 2a5688846651a56f469cdb0997c2adf325c1b7d6, sourced in R 4 since the package is not installed
# here), options(digits=12), cat(x$n, x$nEvents) / cat(x$n, x$d):
#   nSurvival(lambda1=.2, lambda2=.1, eta=0, Ts=2, Tr=.5, sided=1, alpha=.025, type="rd")
#       412.281383364 93.8916814123
#   nSurvival(lambda1=.2, lambda2=.1, eta=0, Ts=2, Tr=.5, sided=1, alpha=.025, type="rr")
#       395.411115422 90.0496990021
#   nSurvival(lambda1=.2, lambda2=.1, eta=.1, Ts=10, Tr=5, sided=1, alpha=.025, type="rd")
#       191.921121915 93.4035203846
#   nSurvival(lambda1=log(2)/6, lambda2=log(2)/12, eta=log(2)/40, Ts=36, Tr=24, ratio=2,
#             type="rd", alpha=.05, sided=2, beta=.2)
#       100.98579824 69.5259689954
#   nSurv(lambdaC=log(2)/8, hr=0.7, eta=0.001, T=28, minfup=16, ratio=1, alpha=0.025, beta=0.1)
#       421.174528589 329.072980043      (vignette SurvivalOverview.Rmd, Lachin-Foulkes section)
#   nSurv(lambdaC=c(0.05, 0.02), S=6, hr=0.6, eta=0.01, gamma=c(2, 5), R=c(4, 8), T=24,
#         minfup=12, ratio=2, alpha=0.025, beta=0.15)
#       504.653477608 148.733604828   sum(eDC)=64.1293557673 sum(eDE)=84.6042490608
#   nSurv(lambdaC=c(0.05, 0.02), S=6, hr=0.9, hr0=1.3, eta=0.01, gamma=c(2, 5), R=c(4, 8),
#         T=24, minfup=12, ratio=1, alpha=0.025, beta=0.2)
#       640.156152299 234.436727723
GSDESIGN_R = [
    (dict(control_hazard=0.2, experimental_hazard=0.1, power=0.9, accrual_time=0.5, follow_up=1.5),
     412.281383364, 93.8916814123),
    (dict(control_hazard=0.2, experimental_hazard=0.1, power=0.9, accrual_time=0.5, follow_up=1.5,
          scale="log-hazard-ratio"),
     395.411115422, 90.0496990021),
    (dict(control_hazard=0.2, experimental_hazard=0.1, power=0.9, accrual_time=5, follow_up=5, **_dropout(0.1)),
     191.921121915, 93.4035203846),
    (dict(control_median=6, experimental_median=12, power=0.8, alpha=0.05, sided=2, allocation_ratio=2,
          accrual_time=24, follow_up=12, **_dropout(math.log(2) / 40)),
     100.98579824, 69.5259689954),
    (dict(hazard_ratio=0.7, control_median=8, power=0.9, accrual_time=12, follow_up=16,
          scale="log-hazard-ratio", **_dropout(0.001)),
     421.174528589, 329.072980043),
    (dict(hazard_ratio=0.6, control_hazard=[0.05, 0.02], piecewise_times=[0, 6], power=0.85,
          accrual_time=[0, 4, 12], accrual_intensity=[2, 5], follow_up=12, allocation_ratio=2,
          scale="log-hazard-ratio", **_dropout(0.01)),
     504.653477608, 148.733604828),
    (dict(hazard_ratio=0.9, noninferiority_margin=1.3, control_hazard=[0.05, 0.02], piecewise_times=[0, 6],
          power=0.8, accrual_time=[0, 4, 12], accrual_intensity=[2, 5], follow_up=12,
          scale="log-hazard-ratio", **_dropout(0.01)),
     640.156152299, 234.436727723),
]


@pytest.mark.parametrize(("kwargs", "n_r", "events_r"), GSDESIGN_R)
def test_gsdesign_source_run_in_r(kwargs, n_r, events_r):
    res = lachin_foulkes_sample_size(**kwargs)
    # R printed 12 significant digits
    assert res.n_subjects == pytest.approx(n_r, rel=1e-10)
    assert res.events == pytest.approx(events_r, rel=1e-10)


def test_gsdesign_nsurv_events_per_arm():
    kwargs, _, _ = GSDESIGN_R[5]
    res = lachin_foulkes_sample_size(**kwargs)
    assert res.events_control == pytest.approx(64.1293557673, rel=1e-10)
    assert res.events_experimental == pytest.approx(84.6042490608, rel=1e-10)


# Durations solved at fixed accrual rates: gsDesign nSurv (same sourced commit as above), with
# uniroot tolerance tol=1e-12 (its default .Machine$double.eps^0.25 prints only ~7 digits),
# options(digits=12), cat(x$n, x$d, x$T):
#   nSurv(lambdaC=log(2)/6, hr=0.5, eta=log(2)/40, gamma=c(2, 5), R=c(4, 8), T=NULL, minfup=12,
#         ratio=1, alpha=0.025, beta=0.1, tol=1e-12)          (accrual duration solved)
#       119.806668595 86.3267229827 38.3613337191
#   nSurv(lambdaC=c(0.05, 0.02), S=6, hr=0.6, eta=0.01, gamma=c(20, 25), R=c(4, 8), T=NULL,
#         minfup=NULL, ratio=2, alpha=0.025, beta=0.15, tol=1e-12)   (follow-up solved)
#       280 148.992067525 73.4201321352
#   nSurv(lambdaC=log(2)/20, hr=.5, gamma=6, R=25, T=NULL, minfup=NULL, tol=1e-12)
#       150 87.3656567068 48.5614223622
GSDESIGN_R_SOLVED = [
    (dict(hazard_ratio=0.5, control_median=6, power=0.9, accrual_time=[0, 4, 12], accrual_rate=[2, 5, 5],
          follow_up=12, scale="log-hazard-ratio", **_dropout(math.log(2) / 40)),
     119.806668595, 86.3267229827, 38.3613337191),
    (dict(hazard_ratio=0.6, control_hazard=[0.05, 0.02], piecewise_times=[0, 6], power=0.85,
          accrual_time=[0, 4, 12], accrual_rate=[20, 25], allocation_ratio=2, scale="log-hazard-ratio",
          **_dropout(0.01)),
     280.0, 148.992067525, 73.4201321352),
    (dict(hazard_ratio=0.5, control_median=20, power=0.9, accrual_time=25, accrual_rate=[6],
          scale="log-hazard-ratio"),
     150.0, 87.3656567068, 48.5614223622),
]


@pytest.mark.parametrize(("kwargs", "n_r", "events_r", "duration_r"), GSDESIGN_R_SOLVED)
def test_gsdesign_nsurv_solved_durations(kwargs, n_r, events_r, duration_r):
    res = lachin_foulkes_sample_size(**kwargs)
    assert res.n_subjects == pytest.approx(n_r, rel=1e-9)
    assert res.events == pytest.approx(events_r, rel=1e-9)
    assert res.study_duration == pytest.approx(duration_r, rel=1e-9)
    assert res.model.n_subjects[0] == pytest.approx(n_r, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    hr=st.floats(0.5, 0.85),
    fu=st.floats(0.2, 6.0),
    scale=st.sampled_from(["hazard-difference", "log-hazard-ratio"]),
)
def test_fixed_subjects_inverts_follow_up(hr, fu, scale):
    kw = dict(control_hazard=0.15, accrual_time=[0, 2, 4], accrual_intensity=[1, 3], dropout_rate=0.05,
              dropout_time=1, scale=scale)
    forward = lachin_foulkes_sample_size(hr, follow_up=fu, **kw)
    back = lachin_foulkes_sample_size(hr, n_subjects=forward.n_subjects, **kw)
    assert back.follow_up == pytest.approx(fu, rel=1e-8)
    assert back.events == pytest.approx(forward.events, rel=1e-8)


def test_open_ended_accrual_inverts_accrual_duration():
    kw = dict(control_hazard=0.1, follow_up=2.0, power=0.9)
    forward = lachin_foulkes_sample_size(0.6, accrual_time=[0, 3, 7], accrual_intensity=[10, 30], **kw)
    # forward accrues 10 x 3 + 30 x 4 relative units over 7 years; the same shape at absolute rates
    scale = forward.n_subjects / 150.0
    back = lachin_foulkes_sample_size(0.6, accrual_time=[0, 3], accrual_rate=[10 * scale, 30 * scale], **kw)
    assert back.accrual_duration == pytest.approx(7.0, rel=1e-9)
    assert back.n_subjects == pytest.approx(forward.n_subjects, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Double programming: event probability by numerical quadrature, the formula by plain loops


def _quadrature_event_probability(breaks, weights, starts, hazards, eta, follow_up):
    """P(observed event by the end of the study), entry uniform within each accrual piece."""
    starts = [*starts, math.inf]

    def hazard(v):
        return next(h for s0, s1, h in zip(starts[:-1], starts[1:], hazards, strict=True) if s0 <= v < s1)

    def cumhaz(v):
        return sum(h * max(0.0, min(v, s1) - s0) for s0, s1, h in zip(starts[:-1], starts[1:], hazards, strict=True))

    def event_cdf(s):
        points = [x for x in starts[1:-1] if x < s]
        return quad(lambda v: hazard(v) * math.exp(-cumhaz(v) - eta * v), 0.0, s, points=points or None,
                    epsabs=1e-13, epsrel=1e-12, limit=200)[0]

    end = breaks[-1] + follow_up
    total = sum(w * (b1 - b0) for w, b0, b1 in zip(weights, breaks[:-1], breaks[1:], strict=True))
    prob = 0.0
    for w, b0, b1 in zip(weights, breaks[:-1], breaks[1:], strict=True):
        prob += w / total * quad(lambda u: event_cdf(end - u), b0, b1, epsabs=1e-13, epsrel=1e-12)[0]
    return prob


def test_event_probability_and_sample_size_by_quadrature():
    breaks, weights = [0.0, 3.0, 10.0], [1.0, 4.0]
    starts, lam_c, hr, r, eta_e, eta_c, fu = [0.0, 2.0], [0.3, 0.1], 0.65, 1.5, 0.05, 0.08, 4.0
    res = lachin_foulkes_sample_size(
        hr, control_hazard=lam_c, piecewise_times=starts, accrual_time=breaks, accrual_intensity=weights,
        follow_up=fu, allocation_ratio=r, power=0.85, scale="log-hazard-ratio",
        dropout_rate=[-math.expm1(-eta_e), -math.expm1(-eta_c)], dropout_time=1.0,
    )
    p_c = _quadrature_event_probability(breaks, weights, starts, lam_c, eta_c, fu)
    p_e = _quadrature_event_probability(breaks, weights, starts, [hr * h for h in lam_c], eta_e, fu)
    assert res.event_probability_control == pytest.approx(p_c, rel=1e-9)
    assert res.event_probability_experimental == pytest.approx(p_e, rel=1e-9)
    # null hypothesis: control hazard (1 + r HR) / (1 + r) per piece, hazard ratio 1
    lam0 = [h * (1 + r * hr) / (1 + r) for h in lam_c]
    p0_c = _quadrature_event_probability(breaks, weights, starts, lam0, eta_c, fu)
    p0_e = _quadrature_event_probability(breaks, weights, starts, lam0, eta_e, fu)
    qc, qe = 1 / (1 + r), r / (1 + r)
    sd0 = math.sqrt(1 / (qc * p0_c) + 1 / (qe * p0_e))
    sd1 = math.sqrt(1 / (qc * p_c) + 1 / (qe * p_e))
    n = ((norm.ppf(0.975) * sd0 + norm.ppf(0.85) * sd1) / abs(math.log(hr))) ** 2
    assert res.n_subjects == pytest.approx(n, rel=1e-9)
    assert res.events == pytest.approx(n * (qc * p_c + qe * p_e), rel=1e-9)


def _plain_hazard_difference(lam1, lam2, eta, ts, tr, ratio, alpha, power):
    """Lachin & Foulkes (1986) eq. for uniform entry, written out from the paper's notation."""

    def prob(lam):  # P(event) for uniform entry on (0, tr), analysis at ts, dropout eta
        mu = lam + eta
        return lam / mu * (1 - (math.exp(-mu * (ts - tr)) - math.exp(-mu * ts)) / (mu * tr))

    def phi(lam):
        return lam**2 / prob(lam)

    q1, q2 = 1 / (1 + ratio), ratio / (1 + ratio)
    lbar = q1 * lam1 + q2 * lam2
    za, zb = norm.ppf(1 - alpha), norm.ppf(power)
    root = za * math.sqrt(phi(lbar) * (1 / q1 + 1 / q2)) + zb * math.sqrt(phi(lam1) / q1 + phi(lam2) / q2)
    n = (root / (lam1 - lam2)) ** 2
    return n, n * (q1 * prob(lam1) + q2 * prob(lam2))


@settings(max_examples=50, deadline=None)
@given(
    lam1=st.floats(0.02, 1.0),
    hr=st.floats(0.3, 0.95),
    eta=st.floats(0.0, 0.3),
    tr=st.floats(0.5, 10.0),
    fu=st.floats(0.0, 10.0),
    ratio=st.floats(0.5, 3.0),
    power=st.floats(0.6, 0.95),
)
def test_hazard_difference_equals_plain_formula(lam1, hr, eta, tr, fu, ratio, power):
    res = lachin_foulkes_sample_size(
        control_hazard=lam1, experimental_hazard=lam1 * hr, accrual_time=tr, follow_up=fu,
        allocation_ratio=ratio, power=power, dropout_rate=-math.expm1(-eta), dropout_time=1.0,
    )
    n, d = _plain_hazard_difference(lam1, lam1 * hr, eta, tr + fu, tr, ratio, 0.025, power)
    assert res.n_subjects == pytest.approx(n, rel=1e-8)
    assert res.events == pytest.approx(d, rel=1e-8)


# ---------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=50, deadline=None)
@given(
    hr=st.floats(0.4, 0.9),
    lam=st.floats(0.02, 0.5),
    fu=st.floats(0.0, 8.0),
    extra=st.floats(0.5, 8.0),
    scale=st.sampled_from(["hazard-difference", "log-hazard-ratio"]),
)
def test_longer_follow_up_needs_fewer_subjects_but_similar_events(hr, lam, fu, extra, scale):
    kw = dict(control_hazard=lam, accrual_time=4.0, dropout_rate=0.05, dropout_time=1.0, scale=scale)
    short = lachin_foulkes_sample_size(hr, follow_up=fu, **kw)
    long = lachin_foulkes_sample_size(hr, follow_up=fu + extra, **kw)
    assert long.n_subjects < short.n_subjects
    assert long.event_probability_control > short.event_probability_control


@pytest.mark.parametrize("ratio", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("hr", [0.5, 0.7, 0.85])
def test_no_censoring_log_scale_gives_schoenfeld_events_and_events_equal_subjects(hr, ratio):
    # every subject has an event (P = 1): both variances are 1/Q_C + 1/Q_E, so n = d = Schoenfeld
    res = lachin_foulkes_sample_size(hr, control_hazard=1.0, accrual_time=1.0, follow_up=200.0,
                                     allocation_ratio=ratio, power=0.9, scale="log-hazard-ratio")
    assert res.event_probability_experimental == pytest.approx(1.0, abs=1e-12)
    assert res.events == pytest.approx(res.n_subjects, rel=1e-12)
    assert res.events == pytest.approx(schoenfeld_events(hr, power=0.9, allocation_ratio=ratio), rel=1e-10)


@settings(max_examples=50, deadline=None)
@given(hr=st.floats(0.5, 0.95), ratio=st.floats(0.5, 2.0), fu=st.floats(0.0, 20.0), lam=st.floats(0.02, 0.5))
def test_events_of_schoenfeld_order(hr, ratio, fu, lam):
    # Both scales need about the Schoenfeld number of events (they differ in how the variance
    # depends on the event probabilities); allow a quarter either way.
    target = schoenfeld_events(hr, allocation_ratio=ratio)
    for scale in ("hazard-difference", "log-hazard-ratio"):
        res = lachin_foulkes_sample_size(hr, control_hazard=lam, accrual_time=3.0, follow_up=fu,
                                         allocation_ratio=ratio, scale=scale)
        assert 0.75 < res.events / target < 1.33


@settings(max_examples=50, deadline=None)
@given(lam=st.floats(0.02, 0.5), hr=st.floats(0.3, 0.9), ratio=st.floats(0.3, 3.0), fu=st.floats(0.0, 5.0))
def test_hazard_difference_symmetric_in_arm_labels(lam, hr, ratio, fu):
    # relabelling the arms (control <-> experimental, r -> 1/r) leaves the design unchanged
    kw = dict(accrual_time=2.0, follow_up=fu, power=0.9)
    a = lachin_foulkes_sample_size(control_hazard=lam, experimental_hazard=lam * hr, allocation_ratio=ratio, **kw)
    b = lachin_foulkes_sample_size(control_hazard=lam * hr, experimental_hazard=lam, allocation_ratio=1 / ratio, **kw)
    assert b.n_subjects == pytest.approx(a.n_subjects, rel=1e-10)
    assert b.events_control == pytest.approx(a.events_experimental, rel=1e-10)


def test_alternative_variance_is_the_h1_only_formula():
    kw = dict(control_hazard=0.3, accrual_time=[0, 2, 5], accrual_intensity=[1, 3], follow_up=2.0,
              allocation_ratio=1.5, power=0.8, scale="log-hazard-ratio")
    res = lachin_foulkes_sample_size(0.7, null_variance="alternative", **kw)
    qc, qe = 1 / 2.5, 1.5 / 2.5
    var1 = 1 / (qc * res.event_probability_control) + 1 / (qe * res.event_probability_experimental)
    assert res.n_subjects == pytest.approx((norm.ppf(0.975) + norm.ppf(0.8)) ** 2 * var1 / math.log(0.7) ** 2,
                                           rel=1e-12)


def test_model_scaled_to_the_design_and_per_arm_sums():
    res = lachin_foulkes_sample_size(0.6, control_median=5, accrual_time=[0, 3, 6], accrual_intensity=[1, 2],
                                     follow_up=3, allocation_ratio=2, dropout_rate=0.1, dropout_time=2)
    assert res.model.n_subjects[0] == pytest.approx(res.n_subjects, rel=1e-12)
    assert res.model.expected_events(res.study_duration)[0, 0] == pytest.approx(res.events, rel=1e-10)
    assert res.n_control + res.n_experimental == pytest.approx(res.n_subjects, rel=1e-14)
    assert res.n_experimental == pytest.approx(2 * res.n_control, rel=1e-14)
    assert res.events_control + res.events_experimental == pytest.approx(res.events, rel=1e-14)
    assert res.study_duration == pytest.approx(9.0)


def test_grid_equals_loop_and_frame():
    hrs, fus = np.array([0.6, 0.7, 0.8]), np.array([1.0, 2.0, 3.0])
    grid = lachin_foulkes_sample_size(hrs, control_hazard=0.2, accrual_time=2.0, follow_up=fus)
    for i, (hr, fu) in enumerate(zip(hrs, fus, strict=True)):
        one = lachin_foulkes_sample_size(hr, control_hazard=0.2, accrual_time=2.0, follow_up=fu)
        assert grid.n_subjects[i] == pytest.approx(one.n_subjects, rel=1e-12)
    frame = grid.to_frame()
    assert list(frame["hazard_ratio"]) == list(hrs)
    np.testing.assert_allclose(frame["events"], grid.events)
    assert "grid of 3" in repr(grid)
    assert len(repr(lachin_foulkes_sample_size(0.7, control_hazard=0.2, follow_up=1)).splitlines()) == 3


# ---------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(piecewise_times=[0, 6], control_hazard=[0.1, 0.2], follow_up=1), "log-hazard-ratio"),
        (dict(control_hazard=0.1, noninferiority_margin=1.3, follow_up=1), "log-hazard-ratio"),
        (dict(control_hazard=0.1), "give follow_up"),
        (dict(control_hazard=0.1, follow_up=1, scale="ratio"), "scale='ratio'"),
        (dict(control_hazard=0.1, follow_up=1, null_variance="h0"), "null_variance"),
        (dict(control_hazard=0.1, follow_up=1, power=0.01), "power must exceed"),
        (dict(control_hazard=0.1, follow_up=1, sided=3), "sided"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        lachin_foulkes_sample_size(0.7, **kwargs)


def test_fixed_subjects_out_of_reach():
    need = lachin_foulkes_sample_size(0.7, control_hazard=0.3, accrual_time=2, follow_up=0).n_subjects
    with pytest.raises(InputError, match="exceed the Lachin-Foulkes requirement"):
        lachin_foulkes_sample_size(0.7, control_hazard=0.3, accrual_time=2, n_subjects=need * 1.1)
    with pytest.raises(InputError, match="too few for the required power"):
        lachin_foulkes_sample_size(0.7, control_hazard=0.3, accrual_time=2, n_subjects=50)


def test_no_effect_is_an_input_error():
    with pytest.raises(InputError, match="hazard_ratio=1"):
        lachin_foulkes_sample_size(1.0, control_hazard=0.1, follow_up=1)
