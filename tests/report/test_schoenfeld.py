"""The arm-effect-over-time figure: R plot.cox.zph's spline smooth and band, and the drawing.

R 4.2.2, survival 3.5.3, splines; plot.cox.zph's own steps (its source, df = 4, nsmo = 40):

    zsmooth <- function(z, i, df = 4, nsmo = 40) {
      xx <- z$x; yy <- z$y
      pred.x <- seq(from = min(xx), to = max(xx), length = nsmo)
      lmat <- ns(c(pred.x, xx), df = df, intercept = TRUE)
      pmat <- lmat[1:nsmo, ]; xmat <- lmat[-(1:nsmo), ]
      y <- yy[, i]; keep <- !is.na(y); y <- y[keep]; qmat <- qr(xmat[keep, ])
      yhat <- pmat %*% qr.coef(qmat, y)
      bk <- backsolve(qmat$qr[1:df, 1:df], diag(df)); xtx <- bk %*% t(bk)
      seval <- ((pmat %*% xtx) * pmat) %*% rep(1, df)
      k <- c(1, 10, 25, 40); list(pred.x[k], yhat[k], (2 * sqrt(z$var[i, i] * seval))[k]) }
    v <- read.csv("tests/data/survival_veteran.csv")
    zsmooth(cox.zph(coxph(Surv(time, status) ~ trt + karno, data = v)), 2)                  # VETERAN_KARNO
    l <- read.csv("tests/data/survival_lung.csv")
    zsmooth(cox.zph(coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = l)), 2)  # LUNG_ECOG
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from survtrial.report.schoenfeld_plot import schoenfeld_plot, zph_smooth
from survtrial.stats.cox import cox_ph
from survtrial.stats.piecewise import piecewise_hazard_ratio
from survtrial.stats.proportional_hazards import proportional_hazards_test

DATA = Path(__file__).resolve().parents[1] / "data"
K = [0, 9, 24, 39]
VETERAN_KARNO = {
    "x": [0, 0.228691266767059, 0.60984337804549, 0.990995489323921],
    "fit": [-0.0494433714554871, -0.059923197750969, -0.00814681970187504, -0.0361680793119557],
    "half": [0.033413146363107, 0.0175648210926854, 0.019045491806746, 0.0362347860940412],
}
LUNG_ECOG = {
    "x": [0, 0.214010228178441, 0.570693941809177, 0.927377655439913],
    "fit": [0.117258314077555, 0.980868989113914, -0.10771582421206, 0.823932233948306],
    "half": [0.779824466129823, 0.418531714072091, 0.47705598033312, 0.963861685420454],
}


def _zph(name, covariates, **kw):
    d = pd.read_csv(DATA / f"survival_{name}.csv")
    return proportional_hazards_test(cox_ph("time", "status", covariates, data=d, **kw))


@pytest.mark.parametrize(("z", "ref"), [
    (lambda: _zph("veteran", ["trt", "karno"]), VETERAN_KARNO),
    (lambda: _zph("lung", ["age", "ph.ecog"], strata="sex"), LUNG_ECOG),
])
def test_smooth_and_band_equal_r_plot_cox_zph(z, ref):
    z = z()
    s = zph_smooth(z.x, z.residuals[:, 1], z.time, z.variance[1, 1])
    np.testing.assert_allclose(s.x[K], ref["x"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s.fit[K], ref["fit"], rtol=1e-8)
    np.testing.assert_allclose((s.upper - s.fit)[K], ref["half"], rtol=1e-8)
    np.testing.assert_allclose((s.fit - s.lower)[K], ref["half"], rtol=1e-8)
    # the grid in time: R's axis mapping (linear interpolation through the distinct (x, time) pairs)
    first = np.unique(z.x, return_index=True)[1]
    assert s.time[0] == z.time[first[0]] and s.time[-1] == pytest.approx(z.time[first[-1]])
    assert np.all(np.diff(s.time) >= 0)


def test_singular_fit_is_skipped_as_r_does():
    x = np.array([0.1, 0.1, 0.5, 0.5, 0.9])
    assert zph_smooth(x, np.ones(5), x * 10, 0.1) is None


def test_figure_draws_residuals_smooth_piecewise_and_cox_line():
    d = pd.read_csv(DATA / "survival_veteran.csv")
    fit = cox_ph("time", "status", ["trt"], data=d)
    z = proportional_hazards_test(fit)
    pw = piecewise_hazard_ratio("time", "status", "trt", data=d, cuts=[100])
    fig = schoenfeld_plot(z, piecewise=pw, cox_log_hr=float(fit.coef[0]), xlabel="Days from randomization")
    (ax,) = fig.axes
    assert ax.get_label() == "schoenfeld" and ax.get_xlabel() == "Days from randomization"
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    lo, hi = ax.get_ylim()
    y = z.residuals[:, 0]
    shown = (y >= lo) & (y <= hi)
    assert len(points.get_offsets()) == shown.sum() >= 0.99 * y.size - 1  # the central 99% at least
    # each interval's log HR as a horizontal segment, the Cox coefficient as a line
    segs = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    levels = sorted(float(s.get_segments()[0][0, 1]) for s in segs)
    np.testing.assert_allclose(levels, sorted(pw.coef), rtol=1e-12)
    assert any(np.allclose(ln.get_ydata(), fit.coef[0]) for ln in ax.get_lines())
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Spline smooth \u00b1 2 SE" in labels and "Piecewise hazard ratio" in labels
