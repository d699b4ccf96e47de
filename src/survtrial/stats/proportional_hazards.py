"""Test of proportional hazards (Grambsch-Therneau, R's cox.zph) with scaled Schoenfeld residuals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.stats import _cox_kernel as kern
from survtrial.stats._cox_zph import zph_terms
from survtrial.stats._kmcounts import curve_counts
from survtrial.stats.cox import ChiSquareTest, CoxResult, cox_ph
from survtrial.stats.km import product_limit

__all__ = ["ProportionalHazardsTest", "proportional_hazards_test"]

if TYPE_CHECKING:  # pandas is imported lazily, only where a frame is built
    import pandas as pd

_TRANSFORMS = ("km", "rank", "identity", "log")


@dataclass(frozen=True, repr=False)
class ProportionalHazardsTest(HtmlReprMixin):
    """Result of :func:`proportional_hazards_test` (R ``cox.zph``).

    Attributes
    ----------
    terms : tuple of str
        Tested terms (one per input covariate, as R's model terms; a categorical covariate is
        one term with one df per dummy column), then ``"GLOBAL"`` in the table.
    statistic, df, p_value : (n_terms + 1,)
        Score test per term and the global test (last), R's ``$table``.
    transform : str
        The time transform g(t): ``"km"``, ``"rank"``, ``"identity"``, ``"log"`` or ``"user"``.
    time, x : (n_events,)
        Event times and their transformed values g(t), in R's order (stratum, time, row).
    residuals : (n_events, n_terms)
        Scaled Schoenfeld residuals plus the coefficient (R's ``$y``): plotted against ``x`` their
        smooth estimates beta(t); NaN for a term that is constant within the event's stratum.
    variance : (n_terms, n_terms)
        R's ``$var``, the inverse of the average information used for the scaling.
    stratum : (n_events,) str or None
        Stratum of each event (None without strata).
    """

    terms: tuple[str, ...]
    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    transform: str
    time: np.ndarray
    x: np.ndarray
    residuals: np.ndarray
    variance: np.ndarray
    stratum: np.ndarray | None

    @property
    def global_test(self) -> ChiSquareTest:
        """The global test over all terms."""
        return ChiSquareTest(float(self.statistic[-1]), int(self.df[-1]), float(self.p_value[-1]))

    def to_frame(self) -> pd.DataFrame:
        """R's table: ``term, chisq, df, p_value``, one row per term and ``GLOBAL`` last."""
        import pandas as pd

        return pd.DataFrame(
            {"term": [*self.terms, "GLOBAL"], "chisq": self.statistic, "df": self.df, "p_value": self.p_value}
        )

    def summary(self) -> pd.DataFrame:
        """Same as :meth:`to_frame`."""
        return self.to_frame()

    def residuals_frame(self) -> pd.DataFrame:
        """Scaled Schoenfeld residuals for a plot: ``time, x`` (g(t)), ``stratum`` (with strata),
        then one column per term (``beta(t)`` estimates)."""
        import pandas as pd

        cols: dict[str, Any] = {"time": self.time, "x": self.x}
        if self.stratum is not None:
            cols["stratum"] = self.stratum
        cols.update({t: self.residuals[:, j] for j, t in enumerate(self.terms)})
        return pd.DataFrame(cols)

    def __repr__(self) -> str:
        lines = [f"ProportionalHazardsTest(transform={self.transform!r}; {self.time.size} events)"]
        for name, s, d, p in zip([*self.terms, "GLOBAL"], self.statistic, self.df, self.p_value, strict=True):
            lines.append(f"  {name[:20]:<20} chisq={s:.4g} df={int(d)} p={p:.4g}")
        return "\n".join(lines)


def _transformed(time: np.ndarray, event: np.ndarray, transform: str | Callable[..., Any]) -> tuple[np.ndarray, str]:
    """g(t) for every observation, as R cox.zph: km = 1 - S(t-) of the pooled unweighted KM."""
    if callable(transform):
        g = np.asarray(transform(time), dtype=np.float64)
        if g.shape != time.shape or not np.all(np.isfinite(g[event == 1])):
            raise InputError("transform: the function must return one finite number per time")
        return g, "user"
    if transform == "identity":
        return time.copy(), transform
    if transform == "log":
        if np.any(time[event == 1] <= 0):
            raise InputError("transform='log': an event at time 0 has no logarithm; use transform='km' or 'rank'")
        with np.errstate(divide="ignore"):
            return np.log(time), transform
    if transform == "rank":
        from scipy.stats import rankdata  # scipy.stats is slow to import: only when asked for

        return rankdata(time), transform  # average ranks of all observations, as R rank()
    if transform == "km":
        tt, nr, dd, _ = curve_counts(time, event)
        surv, _ = product_limit(nr, dd)
        idx = np.searchsorted(tt, time, side="left")  # KM times strictly before t
        return 1.0 - np.concatenate(([1.0], surv))[idx], transform
    raise InputError(f"transform={transform!r}: use one of {list(_TRANSFORMS)} or a function of time")


def proportional_hazards_test(
    model: Any,
    event: Any = None,
    covariates: Any = None,
    *,
    data: Any = None,
    transform: str | Callable[..., Any] = "km",
    terms: bool = True,
    **cox_args: Any,
) -> ProportionalHazardsTest:
    """Grambsch-Therneau test of proportional hazards, per term and global, as R ``cox.zph``.

    Parameters
    ----------
    model : CoxResult or array-like / column name
        A fit from :func:`~survtrial.stats.cox.cox_ph`, or the follow-up times; then ``event``,
        ``covariates``, ``data`` and any :func:`cox_ph` keyword (``strata``, ``weights``, ``ties``,
        ``reference``...) are passed to ``cox_ph`` first.
    transform : {"km", "rank", "identity", "log"} or callable
        Time scale g(t) of the test: ``"km"`` (R's default) is 1 - S(t-) of the pooled
        (unstratified, unweighted) Kaplan-Meier, left-continuous; ``"rank"`` the average rank of
        the time among all observations; or a function of the times.
    terms : bool, default True
        Test each input covariate as one term (a categorical covariate's dummies jointly, as R's
        default); False tests every design column separately (R ``terms = FALSE``).

    Returns
    -------
    ProportionalHazardsTest

    Notes
    -----
    Reproduces R survival 3.x ``cox.zph(fit, transform)``: with g the transform centred at its
    mean over the events, the score of the added covariates x * g(t) at the fitted beta (the
    score of x itself set to 0) is U = sum_events g(t) (x_i - xbar(t)) and the 2p x 2p
    information [[I, I_g], [I_g, I_gg]] sums I(t), g(t) I(t) and g(t)^2 I(t) over event times
    (Efron or Breslow as the fit; an exact-ties fit uses Breslow, as R); the test of a term is
    u' imat^-1 u restricted to beta and the term's added columns, on as many df as its columns.
    Scaled Schoenfeld residuals are the residuals multiplied by the inverse of the average
    information per event (per stratum, over the covariates not constant in it), plus beta.

    References
    ----------
    Grambsch PM, Therneau TM (1994). Proportional hazards tests and diagnostics based on weighted
    residuals. Biometrika 81:515-526.
    Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer, ch. 6.

    Examples
    --------
    >>> from survtrial.stats.cox import cox_ph
    >>> fit = cox_ph([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 1, 0, 1, 1, 0, 1, 1, 1],
    ...              [0, 1, 0, 1, 0, 1, 0, 1, 1, 0], names=["arm"])
    >>> ph = proportional_hazards_test(fit)
    >>> round(float(ph.statistic[0]), 4), int(ph.df[0])
    (2.1019, 1)
    """
    if isinstance(model, CoxResult):
        if event is not None or covariates is not None or cox_args or data is not None:
            raise InputError("proportional_hazards_test: with a fitted model give no data or cox_ph arguments")
        fit = model
    else:
        fit = cox_ph(model, event, covariates, data=data, **cox_args)
    md = fit._model
    if md is None:
        raise InputError("proportional_hazards_test: the model has no estimates (no events); nothing to test")
    if terms not in (True, False):
        raise InputError(f"terms must be True or False, got {terms!r}")
    keep = md.keep
    x = md.x[:, keep]
    beta = fit.coef[keep]
    kept = np.flatnonzero(keep)
    remap = {int(c): i for i, c in enumerate(kept)}
    if terms:
        groups = [(nm, [remap[c] for c in cols if c in remap]) for nm, cols in md.terms]
        groups = [(nm, cols) for nm, cols in groups if cols]
    else:
        groups = [(fit.names[c], [i]) for i, c in enumerate(kept)]
    ties = "breslow" if md.ties == "exact" else md.ties
    cd, _ = kern.prepare(md.time, md.event, x, md.strata, md.weights, ties)
    tvals, tname = _transformed(md.time, md.event, transform)
    gtime = tvals - tvals[md.event == 1].mean()
    g = gtime[cd.order[cd.gstart]][cd.kgroup]
    zt = zph_terms(cd, kern.evaluate(cd, beta), g)
    p = beta.size
    nterm = len(groups)
    stat = np.empty(nterm + 1)
    df = np.empty(nterm + 1, dtype=np.int64)
    u = np.concatenate((np.zeros(p), zt.u2))
    for i, (_, cols) in enumerate(groups):
        kk = np.concatenate((np.arange(p), p + np.asarray(cols)))
        stat[i] = float(u[kk] @ np.linalg.solve(zt.imat[np.ix_(kk, kk)], u[kk]))
        df[i] = len(cols)
    stat[-1] = float(u @ np.linalg.solve(zt.imat, u))
    df[-1] = p
    pval = special.chdtrc(df, stat)

    # residuals in R's order: stratum, time, input row
    rows = cd.order[cd.ev]
    s_ev = np.zeros(rows.size, dtype=np.int64) if md.strata is None else md.strata[rows]
    order = np.lexsort((rows, md.time[rows], s_ev))
    rows, s_ev = rows[order], s_ev[order]
    sres = zt.schoen[:, order].T  # (n_ev, p)
    n_strata = 1 if md.strata is None else int(md.strata.max()) + 1
    used = _used(x, md.event, md.strata, n_strata)
    wtmat = np.zeros((p, p))
    for s in range(n_strata):
        wtmat += np.minimum.outer(used[s], used[s])
    vmean = zt.imat[:p, :p] / np.where(wtmat == 0, 1.0, wtmat)
    if terms and any(len(c) > 1 for _, c in groups):
        tmat = np.zeros((p, nterm))
        for i, (_, cols) in enumerate(groups):
            tmat[cols, i] = 1.0 if len(cols) == 1 else beta[cols]
        sres = sres @ tmat
        vmean = tmat.T @ vmean @ tmat
        used = used[:, [c[0] for _, c in groups]]
    for s in range(n_strata):
        kk = np.flatnonzero(used[s] > 0)
        rs = s_ev == s
        if kk.size:
            sres[np.ix_(rs, kk)] = np.linalg.solve(vmean[np.ix_(kk, kk)], sres[np.ix_(rs, kk)].T).T
            other = np.setdiff1d(np.arange(sres.shape[1]), kk)
            sres[np.ix_(rs, other)] = np.nan
    for i, (_, cols) in enumerate(groups):
        sres[:, i] += beta[cols[0]] if len(cols) == 1 else 1.0
    stratum = None if md.strata is None else np.asarray(md.strata_labels, dtype=object)[s_ev]
    return ProportionalHazardsTest(
        terms=tuple(nm for nm, _ in groups),
        statistic=stat,
        df=df,
        p_value=pval,
        transform=tname,
        time=md.time[rows],
        x=tvals[rows],
        residuals=sres,
        variance=np.linalg.inv(vmean),
        stratum=stratum,
    )


def _used(x: np.ndarray, event: np.ndarray, strata: np.ndarray | None, n_strata: int) -> np.ndarray:
    """(n_strata, p): the stratum's number of events where the covariate varies in it, else 0."""
    s = np.zeros(x.shape[0], dtype=np.int64) if strata is None else strata
    out = np.zeros((n_strata, x.shape[1]))
    for j in range(n_strata):
        rows = s == j
        if not rows.any():
            continue
        xs = x[rows]
        varies = np.any(xs != xs[0], axis=0)
        out[j] = np.where(varies, float(event[rows].sum()), 0.0)
    return out
