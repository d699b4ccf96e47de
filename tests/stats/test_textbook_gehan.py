"""Freireich/Gehan 6-MP remission data (42 children): KM and log-rank against textbook and R values.

Data: src/survtrial/data/gehan.csv, written from R ``MASS::gehan`` (pair, time, cens, treat) with
``control`` relabelled ``placebo``. Freireich EJ et al. (1963) Blood 21:699-716; Gehan EA (1965)
Biometrika 52:203-23. R values below are from R 4.2.2, survival 3.5.3, printed with
``sprintf("%.12g", x)``; ``d <- read.csv("src/survtrial/data/gehan.csv")``.
"""

from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test


@pytest.fixture(scope="module")
def gehan() -> pd.DataFrame:
    with files("survtrial.data").joinpath("gehan.csv").open() as fh:
        return pd.read_csv(fh)


def test_data_file_matches_the_published_design(gehan):
    # Freireich et al. (1963): 21 pairs; 9 relapses on 6-MP, 21 on placebo.
    assert len(gehan) == 42
    assert list(gehan.columns) == ["pair", "time", "event", "group"]
    assert gehan.groupby("group")["event"].agg(["size", "sum"]).to_dict() == {
        "size": {"6-MP": 21, "placebo": 21},
        "sum": {"6-MP": 9, "placebo": 21},
    }
    assert gehan.groupby("pair").size().eq(2).all()


# ---------------------------------------------------------------- log-rank


def test_logrank_published_chi_square(gehan):
    # Kleinbaum DG, Klein M. Survival Analysis: A Self-Learning Text (3rd ed., 2012), ch. 2,
    # remission data: log-rank statistic 16.79; O = 9 / 21, E = 19.25 / 10.75.
    res = logrank_test("time", "event", "group", data=gehan)
    assert round(res.statistic, 2) == 16.79
    assert res.observed.tolist() == [9.0, 21.0]
    assert np.round(res.expected, 2).tolist() == [19.25, 10.75]


def test_logrank_matches_r_survdiff(gehan):
    # survdiff(Surv(time, event) ~ group, data = d)
    #   chisq 16.7929409876, exp 19.2505009544 10.7494990456, pvalue 4.1688091e-05
    #   (O-E)^2/E 5.458183658 9.774666631
    res = logrank_test("time", "event", "group", data=gehan)
    assert res.statistic == pytest.approx(16.79294099, rel=1e-9)
    assert res.p_value == pytest.approx(4.1688091e-05, rel=1e-7)
    assert res.df == 1
    np.testing.assert_allclose(res.expected, [19.25050095, 10.74949905], rtol=1e-9)
    frame = res.to_frame()
    np.testing.assert_allclose(frame["o_minus_e_sq_over_e"], [5.458183658, 9.774666631], rtol=1e-9)
    np.testing.assert_allclose(frame["o_minus_e_sq_over_v"], [16.79294099, 16.79294099], rtol=1e-9)


def test_logrank_sign_convention_with_placebo_reference(gehan):
    res = logrank_test("time", "event", "group", data=gehan, reference="placebo")
    assert res.reference == "placebo"
    assert res.z < 0  # fewer relapses than expected on 6-MP
    assert res.z**2 == pytest.approx(res.statistic, rel=1e-12)
    assert res.p_value_one_sided == pytest.approx(res.p_value / 2, rel=1e-9)


def test_logrank_stratified_by_pair_matches_r(gehan):
    # survdiff(Surv(time, event) ~ group + strata(pair), data = d)
    #   chisq 10.7142857143; obs 9, 21; exp 16.5, 13.5; var 5.25, -5.25, -5.25, 5.25
    res = logrank_test("time", "event", "group", data=gehan, strata="pair")
    assert res.statistic == pytest.approx(10.7142857143, rel=1e-10)
    np.testing.assert_allclose(res.expected, [16.5, 13.5], rtol=1e-12)
    np.testing.assert_allclose(res.variance, [[5.25, -5.25], [-5.25, 5.25]], rtol=1e-12)
    assert res.n_strata == 21


def test_peto_prentice_rho_1_matches_r(gehan):
    # survdiff(Surv(time, event) ~ group, data = d, rho = 1)
    #   chisq 14.4571508187; obs 5.12151463951, 14.5528516921; exp 11.9985596771, 7.6758066545
    #   var 3.27130490937 (diagonal)
    res = logrank_test("time", "event", "group", data=gehan, rho=1)
    assert res.statistic == pytest.approx(14.4571508187, rel=1e-10)
    np.testing.assert_allclose(res.observed, [5.12151463951, 14.5528516921], rtol=1e-10)
    np.testing.assert_allclose(res.expected, [11.9985596771, 7.6758066545], rtol=1e-10)
    assert res.variance[0, 0] == pytest.approx(3.27130490937, rel=1e-10)


# ---------------------------------------------------------------- Kaplan-Meier

# survfit(Surv(time, event) ~ group, data = d, conf.type = "log"): both strata stacked
# (6-MP 16 rows, then placebo 12 rows).
R_TIME = [6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35,
          1, 2, 3, 4, 5, 8, 11, 12, 15, 17, 22, 23]  # fmt: skip
R_NRISK = [21, 17, 16, 15, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 2, 1,
           21, 19, 17, 16, 14, 12, 8, 6, 4, 3, 2, 1]  # fmt: skip
R_NEVENT = [3, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2, 1, 2, 2, 4, 2, 2, 1, 1, 1, 1]
R_NCENSOR = [1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
R_SURV = [0.857142857143, 0.806722689076, 0.806722689076, 0.752941176471, 0.752941176471,
          0.690196078431, 0.627450980392, 0.627450980392, 0.627450980392, 0.627450980392,
          0.53781512605, 0.448179271709, 0.448179271709, 0.448179271709, 0.448179271709,
          0.448179271709, 0.904761904762, 0.809523809524, 0.761904761905, 0.666666666667,
          0.571428571429, 0.380952380952, 0.285714285714, 0.190476190476, 0.142857142857,
          0.0952380952381, 0.047619047619, 0]  # fmt: skip
# fit$std.err: SE of log S (Greenwood), Inf where S = 0
R_STDERR = [0.0890870806375, 0.107763530588, 0.107763530588, 0.127964382883, 0.127964382883,
            0.154759945924, 0.181773347753, 0.181773347753, 0.181773347753, 0.181773347753,
            0.238434632054, 0.300307187886, 0.300307187886, 0.300307187886, 0.300307187886,
            0.300307187886, 0.0707992325405, 0.105851224805, 0.121987509119, 0.154303349962,
            0.188982236505, 0.278174320132, 0.345032779671, 0.449867705421, 0.534522483825,
            0.672592709135, 0.975900072949, np.inf]  # fmt: skip
R_LIMITS = {
    "log": (
        [0.719817083916, 0.653124218462, 0.653124218462, 0.58591898203, 0.58591898203,
         0.509613099102, 0.439393924969, 0.439393924969, 0.439393924969, 0.439393924969,
         0.337036616158, 0.248788226818, 0.248788226818, 0.248788226818, 0.248788226818,
         0.248788226818, 0.787535047533, 0.657853062408, 0.599880482213, 0.492680633676,
         0.394548121478, 0.220845361318, 0.145291270387, 0.0788701399577, 0.0501089839665,
         0.0254858280685, 0.0070322298474, np.nan],
        [1, 0.996443675909, 0.996443675909, 0.967574754552, 0.967574754552, 0.934769195536,
         0.895994938535, 0.895994938535, 0.895994938535, 0.895994938535, 0.858200848045,
         0.807372045529, 0.807372045529, 0.807372045529, 0.807372045529, 0.807372045529, 1,
         0.996162875319, 0.967690870807, 0.902094407747, 0.827606556639, 0.657132736169,
         0.561855181278, 0.460011598277, 0.40727553524, 0.355895627963, 0.322454434134, np.nan],
    ),
    "log-log": (
        [0.619717955266, 0.563146564622, 0.563146564622, 0.5031995108, 0.5031995108,
         0.431610222486, 0.367510855988, 0.367510855988, 0.367510855988, 0.367510855988,
         0.267778936767, 0.188052005959, 0.188052005959, 0.188052005959, 0.188052005959,
         0.188052005959, 0.670045882235, 0.568905059924, 0.519391415328, 0.425350435565,
         0.337976953859, 0.18306654882, 0.116561326437, 0.0594817013612, 0.0356573551907,
         0.0162592602122, 0.00332446304253, np.nan],
        [0.951551747647, 0.922809019203, 0.922809019203, 0.889361835169, 0.889361835169,
         0.849065963349, 0.804912189472, 0.804912189472, 0.804912189472, 0.804912189472,
         0.746790717635, 0.680142628495, 0.680142628495, 0.680142628495, 0.680142628495,
         0.680142628495, 0.975294149038, 0.923888828559, 0.893257109782, 0.825044008797,
         0.749240709943, 0.577788677746, 0.481819648009, 0.377434890585, 0.321161574681,
         0.261249981969, 0.197044905699, np.nan],
    ),
    "plain": (
        [0.707479311825, 0.636332661137, 0.636332661137, 0.564099326679, 0.564099326679,
         0.480843098173, 0.403909512191, 0.403909512191, 0.403909512191, 0.403909512191,
         0.28648159113, 0.184384863841, 0.184384863841, 0.184384863841, 0.184384863841,
         0.184384863841, 0.779213572746, 0.641576285632, 0.579740095668, 0.465047327587,
         0.359772355848, 0.173252705187, 0.0924994795311, 0.0225286665841, 0, 0, 0, np.nan],
        [1, 0.977112717014, 0.977112717014, 0.941783026262, 0.941783026262, 0.89954905869,
         0.850992448593, 0.850992448593, 0.850992448593, 0.850992448593, 0.789148660971,
         0.711973679577, 0.711973679577, 0.711973679577, 0.711973679577, 0.711973679577, 1,
         0.977471333416, 0.944069428142, 0.868286005746, 0.78308478701, 0.588652056717,
         0.478929091898, 0.358423714368, 0.292520688175, 0.220786427254, 0.138701380738, np.nan],
    ),
}  # fmt: skip


def test_km_rows_match_r_survfit(gehan):
    fit = kaplan_meier("time", "event", "group", data=gehan)
    assert fit.groups.tolist() == ["6-MP", "placebo"]
    assert fit.offsets.tolist() == [0, 16, 28]  # R: strata 16, 12 (censoring-only times included)
    np.testing.assert_array_equal(fit.time, R_TIME)
    np.testing.assert_array_equal(fit.n_risk, R_NRISK)
    np.testing.assert_array_equal(fit.n_event, R_NEVENT)
    np.testing.assert_array_equal(fit.n_censor, R_NCENSOR)
    np.testing.assert_allclose(fit.survival, R_SURV, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(fit.std_err_log, R_STDERR, rtol=1e-11)
    # summary(fit)$std.err is std.err * surv (NaN where S = 0)
    with np.errstate(invalid="ignore"):
        expected = np.array(R_STDERR) * np.array(R_SURV)
    np.testing.assert_allclose(fit.std_err, expected, rtol=1e-11)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_limits_match_r_for_each_conf_type(gehan, conf_type):
    # survfit(Surv(time, event) ~ group, data = d, conf.type = <conf_type>)$lower / $upper
    lower, upper = R_LIMITS[conf_type]
    fit = kaplan_meier("time", "event", "group", data=gehan, conf_type=conf_type)
    np.testing.assert_allclose(fit.lower, lower, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fit.upper, upper, rtol=1e-10, atol=1e-12)
    again = fit.confidence_interval(0.95, conf_type)
    np.testing.assert_allclose(again["lower"], lower, rtol=1e-10, atol=1e-12)


# quantile(survfit(Surv(time, event) ~ group, data = d, conf.type = <ct>), probs = c(.25, .5, .75))
# rows: 6-MP then placebo; columns q = 0.25, 0.5, 0.75
R_QUANTILES = {
    "log": ([[13, 23, np.nan], [4, 8, 12]], [[6, 16, 23], [2, 4, 8]], [[np.nan] * 3, [8, 12, np.nan]]),
    "log-log": ([[13, 23, np.nan], [4, 8, 12]], [[6, 13, 23], [1, 4, 8]], [[22, np.nan, np.nan], [5, 11, 22]]),
    "plain": ([[13, 23, np.nan], [4, 8, 12]], [[6, 13, 23], [2, 4, 8]], [[23, np.nan, np.nan], [8, 11, 17]]),
}  # fmt: skip


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_quantiles_and_median_ci_match_r(gehan, conf_type):
    est, lo, hi = R_QUANTILES[conf_type]
    fit = kaplan_meier("time", "event", "group", data=gehan, conf_type=conf_type)
    q = fit.quantile([0.25, 0.5, 0.75])
    np.testing.assert_array_equal(q["estimate"].to_numpy().reshape(2, 3), est)
    np.testing.assert_array_equal(q["lower"].to_numpy().reshape(2, 3), lo)
    np.testing.assert_array_equal(q["upper"].to_numpy().reshape(2, 3), hi)


def test_textbook_medians_and_r_print(gehan):
    # Medians 23 (6-MP) and 8 (placebo) weeks: Kleinbaum & Klein ch. 2; R print(survfit(...)):
    #   group=6-MP 21 9 23 16 NA / group=placebo 21 21 8 4 12   (default conf.type "log")
    fit = kaplan_meier("time", "event", "group", data=gehan, conf_type="log")
    med = fit.median()
    assert med["estimate"].tolist() == [23.0, 8.0]
    assert med["lower"].tolist() == [16.0, 4.0]
    assert np.isnan(med["upper"].iloc[0]) and med["upper"].iloc[1] == 12.0
    assert fit.n.tolist() == [21, 21] and fit.n_events.tolist() == [9.0, 21.0]


def test_quantile_other_level_matches_r(gehan):
    # quantile(survfit(..., conf.type = "log-log", conf.int = 0.9), probs = c(.25, .5, .75))
    #   lower 6 13 23 / 1 4 8; upper 22 NA NA / 5 11 17
    fit = kaplan_meier("time", "event", "group", data=gehan)
    q = fit.quantile([0.25, 0.5, 0.75], conf_level=0.9)
    np.testing.assert_array_equal(q["lower"], [6, 13, 23, 1, 4, 8])
    np.testing.assert_array_equal(q["upper"], [22, np.nan, np.nan, 5, 11, 17])


def test_survival_at_matches_r_summary_times(gehan):
    # summary(survfit(Surv(time, event) ~ group, data = d, conf.type = "log-log", conf.int = 0.9),
    #         times = c(0, 5, 10, 23, 40), extend = TRUE)
    fit = kaplan_meier("time", "event", "group", data=gehan, conf_level=0.9)
    out = fit.survival_at([0, 5, 10, 23, 40])
    assert out["group"].astype(str).tolist() == ["6-MP"] * 5 + ["placebo"] * 5
    np.testing.assert_array_equal(out["n_risk"], [21, 21, 15, 6, 0, 21, 14, 8, 1, 0])
    nan = np.nan
    np.testing.assert_allclose(
        out["survival"],
        [1, 1, 0.752941176471, 0.448179271709, 0.448179271709, 1, 0.571428571429, 0.380952380952, 0, 0],
        rtol=1e-11,
    )
    np.testing.assert_allclose(
        out["std_err"],
        [0, 0, 0.0963496529943, 0.134591456756, 0.134591456756, 0, 0.107989849431, 0.105971169574, nan, nan],
        rtol=1e-11,
    )
    np.testing.assert_allclose(
        out["lower"],
        [1, 1, 0.551123381928, 0.226462088245, 0.226462088245, 1, 0.377089376094, 0.212144908835, nan, nan],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        out["upper"],
        [1, 1, 0.873581243274, 0.64811358414, 0.64811358414, 1, 0.725343531901, 0.548426055742, nan, nan],
        rtol=1e-10,
    )
