"""Tests for stats.proportional_hazards against R ``cox.zph`` (R 4.2.2, survival 3.5-3).

Values printed by tests/stats/nph_reference.R (``sprintf("%.15g")``) on tests/data/survival_*.csv:
the table (chisq, df, p per term and GLOBAL), rows of the scaled Schoenfeld residuals ``$y`` with
``$time`` and ``$x``, and ``$var``.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survtrial
import survtrial.stats.proportional_hazards as ph_module
from survtrial.errors import InputError
from survtrial.stats.cox import cox_ph
from survtrial.stats.proportional_hazards import proportional_hazards_test

DATA = Path(__file__).resolve().parents[1] / "data"


def data(name):
    d = pd.read_csv(DATA / f"survival_{name}.csv")
    if name == "lung":
        d["w"] = np.resize([1.0, 2.0, 3.0], len(d))
    return d


MODELS = {
    # name: (data, time, event, covariates, cox_ph keywords)
    "veteran": ("veteran", "time", "status", ["trt", "karno", "age", "celltype"], {}),
    "lung_strata": ("lung", "time", "status", ["age", "ph.ecog", "wt.loss"], {"strata": "sex"}),
    "lung_breslow": ("lung", "time", "status", ["age", "ph.ecog"], {"strata": "sex", "ties": "breslow"}),
    "lung_weights": ("lung", "time", "status", ["age", "ph.ecog", "wt.loss"], {"weights": "w"}),
    "lung_exact": ("lung", "time", "status", ["age", "sex"], {"ties": "exact"}),
    "ovarian": ("ovarian", "futime", "fustat", ["age", "rx", "ecog.ps"], {}),
}
VETERAN, LUNG_STRATA = "veteran", "lung_strata"

# (model, transform, terms): {term: (chisq, df, p)}; GLOBAL last
R_ZPH = {
    # fv <- coxph(Surv(time, status) ~ trt + karno + age + celltype, data = v); cox.zph(fv, transform = tr)
    (VETERAN, "km", True): {
        "trt": (0.284421629313138, 1, 0.593817661210898),
        "karno": (12.9772987365681, 1, 0.000315290520569097),
        "age": (1.87427472052103, 1, 0.170986292430701),
        "celltype": (14.883722182454, 3, 0.00191876127100729),
        "GLOBAL": (29.1792190553742, 6, 5.6264810190473e-05),
    },
    (VETERAN, "rank", True): {
        "trt": (0.295738977047168, 1, 0.586566113582045),
        "karno": (13.5675627054184, 1, 0.000230128003568871),
        "age": (1.81633749284553, 1, 0.177749854210926),
        "celltype": (15.0533738191671, 3, 0.0017716007630314),
        "GLOBAL": (29.5751937268247, 6, 4.73335713850605e-05),
    },
    (VETERAN, "identity", True): {
        "trt": (4.86506018377592e-05, 1, 0.994434801638266),
        "karno": (6.23053952359927, 1, 0.0125565473242803),
        "age": (0.794205824766542, 1, 0.37283139862909),
        "celltype": (18.3440008256969, 3, 0.000373529447730928),
        "GLOBAL": (24.5995022288383, 6, 0.000404940615664054),
    },
    (VETERAN, "log", True): {
        "trt": (0.283144400046891, 1, 0.594647633062941),
        "karno": (10.1470517033094, 1, 0.00144532212463272),
        "age": (3.27963395057866, 1, 0.0701445720503115),
        "celltype": (14.0233474260926, 3, 0.00287354456468215),
        "GLOBAL": (28.9975430131705, 6, 6.09021054649205e-05),
    },
    # cox.zph(fv, terms = FALSE)
    (VETERAN, "km", False): {
        "trt[T.test]": (0.284421629313138, 1, 0.593817661210898),
        "karno": (12.9772987365681, 1, 0.000315290520569097),
        "age": (1.87427472052103, 1, 0.170986292430701),
        "celltype[T.large]": (5.44357270742689, 1, 0.0196404563240593),
        "celltype[T.smallcell]": (3.96362043812719, 1, 0.0464936047018335),
        "celltype[T.squamous]": (3.52447528530397, 1, 0.0604689626466997),
        "GLOBAL": (29.1792190553742, 6, 5.6264810190473e-05),
    },
    # fl <- coxph(Surv(time, status) ~ age + ph.ecog + wt.loss + strata(sex), data = l)
    (LUNG_STRATA, "km", True): {
        "age": (0.473164604472133, 1, 0.491534893727169),
        "ph.ecog": (2.12476833988122, 1, 0.14493469269407),
        "wt.loss": (0.0397826634458207, 1, 0.841906122402846),
        "GLOBAL": (2.44044286461654, 3, 0.486150599228165),
    },
    (LUNG_STRATA, "rank", True): {
        "age": (0.407922507258408, 1, 0.52302584640431),
        "ph.ecog": (2.68772688179406, 1, 0.101123981932833),
        "wt.loss": (0.0364646792246557, 1, 0.848559070122988),
        "GLOBAL": (2.98758866867979, 3, 0.393542720500619),
    },
    # coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = l, ties = "breslow"), "identity"
    ("lung_breslow", "identity", True): {
        "age": (0.350439131522093, 1, 0.553864653586581),
        "ph.ecog": (1.9307913145092, 1, 0.164671897111434),
        "GLOBAL": (2.04623966291864, 2, 0.359471697809161),
    },
    # coxph(Surv(time, status) ~ age + ph.ecog + wt.loss, data = l, weights = w); w = 1, 2, 3, 1, ...
    ("lung_weights", "km", True): {
        "age": (4.18953005774271, 1, 0.0406743709035331),
        "ph.ecog": (6.34950981332197, 1, 0.0117413736389557),
        "wt.loss": (0.424524686746002, 1, 0.514687904762306),
        "GLOBAL": (8.8660085206162, 3, 0.0311264559224926),
    },
    # coxph(Surv(time, status) ~ age + sex, data = l, ties = "exact"): cox.zph uses Breslow sums
    ("lung_exact", "km", True): {
        "age": (0.620440221176618, 1, 0.430883744075765),
        "sex": (2.52260338720148, 1, 0.112225170542901),
        "GLOBAL": (3.0688435809869, 2, 0.215580305721805),
    },
    # coxph(Surv(futime, fustat) ~ age + rx + ecog.ps, data = o)
    ("ovarian", "km", True): {
        "age": (0.223036544224485, 1, 0.636735900805729),
        "rx": (0.777931087166446, 1, 0.377774634626988),
        "ecog.ps": (2.67169873160183, 1, 0.102146944202837),
        "GLOBAL": (3.93044084366821, 3, 0.269073887502736),
    },
}


def fit(model):
    name, t, e, cov, kw = MODELS[model]
    return cox_ph(t, e, cov, data=data(name), **kw)


@pytest.mark.parametrize("case", list(R_ZPH), ids=lambda c: f"{c[0]}-{c[1]}-terms={c[2]}")
def test_table_matches_r_cox_zph(case):
    model, transform, terms = case
    ref = R_ZPH[case]
    z = proportional_hazards_test(fit(model), transform=transform, terms=terms)
    frame = z.to_frame()
    assert frame["term"].tolist() == list(ref)
    np.testing.assert_allclose(z.statistic, [v[0] for v in ref.values()], rtol=1e-10)
    np.testing.assert_array_equal(z.df, [v[1] for v in ref.values()])
    np.testing.assert_allclose(z.p_value, [v[2] for v in ref.values()], rtol=1e-10)
    assert z.global_test.statistic == z.statistic[-1]


def test_residuals_match_r_veteran():
    z = proportional_hazards_test(fit(VETERAN))
    # zv <- cox.zph(fv); c(zv$time[i], zv$x[i], zv$y[i, ]) for rows 1, 2, 50, 128
    rows = {
        1: [1, 0, 1.75423471482047, -0.124216934136163, 0.0223187687535493, -4.87266406118061],
        2: [1, 0, 2.62753956120418, -0.0703690826839182, -0.248903939995878, -3.5731048646435],
        50: [45, 0.35854899358549, 2.28505907435023, -0.0677626065995141, 0.031302600279215, 3.60449324255161],
        128: [999, 0.990995489323921, 0.303048095126974, -0.0326854827400992, -0.00890316513148093, 1],
    }
    assert z.residuals.shape == (128, 4)
    for i, (t, x, *y) in rows.items():
        assert z.time[i - 1] == t
        assert z.x[i - 1] == pytest.approx(x, rel=1e-12, abs=1e-15)
        np.testing.assert_allclose(z.residuals[i - 1], y, rtol=1e-12)
    # zv$var
    r_var = [4.63774546243139, -0.0176748818062377, -0.0467850433523611, 0.722672951331571,
             -0.0176748818062376, 0.00359833937416927, 0.00180341099242778, 0.0101941337913852,
             -0.0467850433523607, 0.00180341099242778, 0.010844167950742, -0.0331245060931853,
             0.72267295133157, 0.0101941337913852, -0.0331245060931853, 7.02709816187587]  # fmt: skip
    np.testing.assert_allclose(z.variance.ravel(), r_var, rtol=1e-12)


def test_residuals_match_r_lung_strata():
    z = proportional_hazards_test(fit(LUNG_STRATA))
    # zl <- cox.zph(fl); c(zl$time[i], zl$x[i], zl$y[i, ]), with zl$strata[i]
    rows = {
        1: ("sex=1", 11, 0.00471698113207553, 0.116989396604091, 2.67872954741881, -0.115462039923885),
        60: ("sex=1", 270, 0.398989271077547, 0.126599442364819, 0.304621218621439, 0.0116876317132611),
        61: ("sex=1", 283, 0.404768220394109, 0.239894846598653, 0.405749637334669, -0.0429770403910547),
        150: ("sex=2", 765, 0.894092414183206, -0.133444099736139, 1.40546566101977, -0.0175825380877695),
    }
    for i, (stratum, t, x, *y) in rows.items():
        assert z.stratum[i - 1] == stratum  # R labels strata(sex) levels "sex=1", "sex=2"
        assert z.time[i - 1] == t
        assert z.x[i - 1] == pytest.approx(x, rel=1e-12)
        np.testing.assert_allclose(z.residuals[i - 1], y, rtol=1e-12)
    frame = z.residuals_frame()
    assert list(frame.columns) == ["time", "x", "stratum", "age", "ph.ecog", "wt.loss"]


def test_from_data_and_user_transform():
    name, t, e, cov, _ = MODELS[VETERAN]
    a = proportional_hazards_test(t, e, cov, data=data(name), transform="identity")
    b = proportional_hazards_test(fit(VETERAN), transform=lambda tt: tt * 2.0 + 1.0)
    np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-10)  # the test is invariant to g -> a g + b
    assert b.transform == "user"
    assert survtrial.proportional_hazards_test is proportional_hazards_test


def test_bad_input():
    f = fit(VETERAN)
    with pytest.raises(InputError, match="transform='loglog'"):
        proportional_hazards_test(f, transform="loglog")
    with pytest.raises(InputError, match="with a fitted model give no data"):
        proportional_hazards_test(f, data=data("veteran"))
    with pytest.raises(InputError, match="event at time 0 has no logarithm"):
        proportional_hazards_test([0, 1, 2, 3], [1, 1, 0, 1], [0, 1, 0, 1], transform="log")
    with pytest.raises(InputError, match="terms must be True or False"):
        proportional_hazards_test(f, terms="yes")


def test_repr_and_docstring_examples():
    assert "GLOBAL" in repr(proportional_hazards_test(fit(VETERAN)))
    assert doctest.testmod(ph_module).failed == 0
