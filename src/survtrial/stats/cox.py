"""Cox proportional hazards regression with R coxph conventions (Efron, Breslow or exact ties)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from scipy import special

from survtrial._repr import HtmlReprMixin
from survtrial.errors import ConvergenceWarning, InputError, StatisticWarning
from survtrial.stats import _cox_kernel as kern
from survtrial.stats import _cox_robust as rob
from survtrial.stats._concordance import ConcordanceCounts, concordance_fit
from survtrial.stats._cox_design import build_design, build_labels, check_collinear
from survtrial.stats._input import as_event, as_flag, as_time, as_weights, check_lengths, column, where
from survtrial.stats.timefix import merge_near_ties

__all__ = ["ChiSquareTest", "ConfidenceInterval", "CoxModelData", "CoxResult", "cox_ph"]

_TIES = ("efron", "breslow", "exact")


class ChiSquareTest(NamedTuple):
    """A chi-square test: statistic, degrees of freedom and upper-tail p-value."""

    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class CoxModelData:
    """What a fit was computed from (kept by reference, not copied), for diagnostics such as
    :func:`~survtrial.stats.proportional_hazards.proportional_hazards_test`.

    ``time`` has near-ties merged when the fit used ``timefix``; ``keep`` marks the design
    columns with an estimate; ``terms`` maps each input covariate to its design columns.
    """

    time: np.ndarray
    event: np.ndarray
    x: np.ndarray
    strata: np.ndarray | None
    strata_labels: tuple[str, ...]
    weights: np.ndarray
    keep: np.ndarray
    terms: tuple[tuple[str, tuple[int, ...]], ...]
    ties: str


class ConfidenceInterval(NamedTuple):
    """Lower and upper confidence limits, one entry per coefficient."""

    low: np.ndarray
    high: np.ndarray


def _chi2(stat: float, df: int) -> ChiSquareTest:
    return ChiSquareTest(float(stat), int(df), float(special.chdtrc(df, stat)) if df > 0 else np.nan)


@dataclass(frozen=True)
class CoxResult(HtmlReprMixin):
    """Fitted Cox model (see :func:`cox_ph`). Arrays are indexed like ``names``.

    Attributes
    ----------
    names : covariate (design column) names, e.g. ``("age", "arm[T.blina]")``.
    coef, se : log hazard ratios and model-based SEs (inverse information); NaN for a covariate
        that carries no information.
    robust_se, robust_var : sandwich SEs / variance, or None when not robust.
    var : model-based variance matrix.
    z, p_value : Wald z and two-sided p per coefficient.
    loglik_null, loglik : log partial likelihood at beta = 0 and at the estimate.
    wald_test, score_test, likelihood_ratio_test : global chi-square tests (df = p); the score
        test is the log-rank test for a single binary covariate.
    robust_score_test : R's "Robust" score test, or None.
    concordance, concordance_se : Harrell's C of the linear predictor and its infinitesimal-
        jackknife SE (R ``coxph``'s ``concordance["std"]``; by cluster when ``cluster`` is
        given) when requested, else None.
    concordance_counts : R's pair counts ``concordant, discordant, tied.x, tied.y, tied.xy``
        (``coxph(...)$concordance``; weighted by w_i w_j) when requested, else None.
    n, n_events : observations and events (unweighted).
    iterations, converged : Newton-Raphson iterations (R's ``iter``) and convergence flag.
    means : the covariate values of ``baseline_cumulative_hazard(centered=True)`` (R ``fit$means``).
    strata : stratum labels (empty without strata).

    ``z``, ``p_value``, the Wald test and the confidence intervals use ``robust_se`` when it is
    present, as R's ``summary.coxph`` does.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    robust_se: np.ndarray | None
    var: np.ndarray
    robust_var: np.ndarray | None
    z: np.ndarray
    p_value: np.ndarray
    loglik_null: float
    loglik: float
    wald_test: ChiSquareTest
    score_test: ChiSquareTest
    likelihood_ratio_test: ChiSquareTest
    robust_score_test: ChiSquareTest | None
    concordance: float | None
    concordance_se: float | None
    n: int
    n_events: int
    iterations: int
    converged: bool
    ties: str
    conf_level: float
    means: np.ndarray
    strata: tuple[str, ...]
    _bh_time: np.ndarray = field(repr=False)
    _bh_stratum: np.ndarray = field(repr=False)
    _bh_cumhaz: np.ndarray = field(repr=False)  # at the covariate means
    concordance_counts: ConcordanceCounts | None = None
    _model: CoxModelData | None = field(default=None, repr=False, compare=False)

    @property
    def hazard_ratio(self) -> np.ndarray:
        """exp(coef)."""
        return np.exp(self.coef)

    def confidence_interval(self, level: float | None = None, scale: str = "hazard_ratio") -> ConfidenceInterval:
        """Wald confidence limits ``coef +- z * se`` (robust SE if present).

        Parameters
        ----------
        level : confidence level; default ``conf_level`` of the fit.
        scale : ``"hazard_ratio"`` (exponentiated limits, as R's ``summary``) or ``"coef"``.
        """
        level = self.conf_level if level is None else _check_level(level)
        if scale not in ("hazard_ratio", "coef"):
            raise InputError(f"scale={scale!r}: use 'hazard_ratio' or 'coef'")
        se = self.robust_se if self.robust_se is not None else self.se
        q = special.ndtri(0.5 + level / 2)
        low, high = self.coef - q * se, self.coef + q * se
        if scale == "hazard_ratio":
            with np.errstate(over="ignore"):  # a diverging coefficient (warned at fit) gives HR limit inf
                low, high = np.exp(low), np.exp(high)
        return ConfidenceInterval(low, high)

    def to_frame(self, level: float | None = None) -> Any:
        """Coefficient table (pandas DataFrame indexed by covariate name)."""
        import pandas as pd

        ci = self.confidence_interval(level)
        cols: dict[str, np.ndarray] = {"coef": self.coef, "hazard_ratio": self.hazard_ratio, "se": self.se}
        if self.robust_se is not None:
            cols["robust_se"] = self.robust_se
        cols.update(z=self.z, p_value=self.p_value, hr_lower=ci.low, hr_upper=ci.high)
        return pd.DataFrame(cols, index=pd.Index(list(self.names), name="covariate"))

    def baseline_cumulative_hazard(self, centered: bool = False) -> Any:
        """Baseline cumulative hazard at every distinct time of each stratum (pandas DataFrame).

        ``centered=False`` (default) gives the hazard of a subject with all covariates 0 (dummy
        columns at their reference level), as R ``basehaz(fit, centered=FALSE)``;
        ``centered=True`` the hazard at ``means`` (R's default ``fit$means``: weighted means,
        but 0 for columns holding only -1/0/1 such as dummies, R's ``nocenter``).
        Increments are Efron-type for ties='efron' and Breslow-type otherwise, as R survfit.coxph.
        """
        import pandas as pd

        h = self._bh_cumhaz
        if centered:
            h = h * np.exp(float(np.nansum(self.means * np.nan_to_num(self.coef))))
        out = {"time": self._bh_time, "cumulative_hazard": h}
        if self.strata:
            out = {"stratum": np.asarray(self.strata, dtype=object)[self._bh_stratum], **out}
        return pd.DataFrame(out)

    def __repr__(self) -> str:
        head = (
            f"CoxResult({self.ties} ties; n={self.n}, events={self.n_events}; "
            f"loglik {self.loglik:.6g} vs null {self.loglik_null:.6g}; "
            + (f"converged in {self.iterations} iterations)" if self.converged else "NOT converged)")
        )
        ci = self.confidence_interval()
        pct = f"{100 * self.conf_level:g}%"
        lines = [head]
        for j, nm in enumerate(self.names[:6]):
            lines.append(
                f"  {nm}: HR {self.hazard_ratio[j]:.4g} ({pct} CI {ci.low[j]:.4g}-{ci.high[j]:.4g}), "
                f"p={self.p_value[j]:.3g}"
            )
        if len(self.names) > 6:
            lines.append(f"  ... ({len(self.names) - 6} more; see to_frame())")
        return "\n".join(lines)


def _check_level(level: float) -> float:
    if not 0 < float(level) < 1:
        raise InputError(f"confidence level {level!r} must be strictly between 0 and 1, e.g. 0.95")
    return float(level)


def cox_ph(
    time: Any,
    event: Any,
    covariates: Any,
    *,
    data: Any = None,
    names: Sequence[str] | None = None,
    strata: Any = None,
    weights: Any = None,
    cluster: Any = None,
    ties: str = "efron",
    robust: bool | None = None,
    reference: Mapping[str, Any] | None = None,
    conf_level: float = 0.95,
    concordance: bool = False,
    max_iter: int = 30,
    tol: float = 1e-9,
    timefix: bool = True,
) -> CoxResult:
    """Fit a Cox proportional hazards model by maximum partial likelihood.

    Parameters
    ----------
    time, event : arrays, or column names of ``data``. ``event`` is 1 (or True) for an event,
        0 for censoring.
    covariates : a 2-d (n, p) or 1-d numeric array (names from ``names=``), a data frame, or
        with ``data=`` a column name or list of column names. String, boolean and categorical
        columns are treatment-coded; their dummy columns are named ``"arm[T.blina]"``.
    data : pandas or polars DataFrame (or dict of columns) holding the named columns.
    names : covariate names for array input (default ``x0, x1, ...``).
    strata : column name(s) or array: separate baseline hazard per stratum (R ``strata()``).
    weights : case weights > 0 (R ``coxph(weights=)``).
    cluster : column name or array of cluster ids for the grouped sandwich variance (R
        ``cluster()``); implies ``robust=True``.
    ties : ``"efron"`` (default), ``"breslow"`` or ``"exact"`` (discrete conditional logistic
        likelihood as R ``ties="exact"``; no weights, no robust variance, as in R). The exact
        likelihood costs O(d * |risk set| * p^2) per tie group of d deaths: meant for small tie
        groups (with hundreds of deaths per tie it is a few times slower than R's C code).
    robust : sandwich variance. Default as R: True if ``cluster`` is given or the weights are not
        whole numbers; ``robust=True`` without cluster treats each row as its own cluster.
    reference : reference level per categorical column, e.g. ``{"arm": "chemo"}``; default the
        first sorted level (or first declared category of a pandas Categorical / polars Enum).
    conf_level : level of the reported confidence intervals.
    concordance : also compute Harrell's concordance of the linear predictor and its SE.
    max_iter, tol : Newton-Raphson limits; converged when |1 - loglik_old/loglik_new| <= tol.
    timefix : treat times that differ only by floating-point rounding as one time, as R's
        ``coxph`` does by default (``timefix = TRUE``; :func:`~survtrial.stats.timefix.merge_near_ties`);
        False takes the times exactly as given.

    Returns
    -------
    CoxResult
        ``coef``, ``se``, ``robust_se``, ``hazard_ratio``, ``z``, ``p_value``, log likelihoods,
        Wald / score / likelihood-ratio tests, ``baseline_cumulative_hazard()``, ``to_frame()``.

    Notes
    -----
    Follows R ``survival::coxph``: Newton-Raphson from beta = 0 with step halving; covariates
    centred at their weighted means internally (this changes nothing but the baseline hazard's
    reference point); Efron's approximation with weights uses the mean weight of the tied deaths
    (R's convention). The robust variance is V B'B V with B the cluster sums of weighted score
    residuals (R ``residuals(type="dfbeta", weighted=TRUE)``); when present it is used for z, p,
    the Wald test and the intervals, and ``robust_score_test`` is R's "Robust" score test.
    Monotone likelihood is detected as R does (after convergence the Newton step of a
    coefficient is still larger than sqrt(tol) times its size) and raises a
    ConvergenceWarning naming the covariate. Concordance is Harrell's C as R's ``concordance``
    (pairs within strata, ties in the predictor count 1/2, tied times not comparable except an
    event before a censoring at the same time), with its infinitesimal-jackknife SE and R's pair
    counts (``concordance_counts``).

    References
    ----------
    Cox DR (1972) JRSS B 34:187-220. Efron B (1977) JASA 72:557-565. Lin DY, Wei LJ (1989)
    JASA 84:1074-1078. Therneau TM, Grambsch PM (2000) Modeling Survival Data, Springer.

    Examples
    --------
    >>> from survtrial.stats.cox import cox_ph
    >>> fit = cox_ph([2, 3, 3, 5, 6, 8, 9, 12, 14, 15], [1, 1, 1, 1, 0, 1, 1, 0, 1, 0],
    ...              [1, 1, 0, 1, 1, 0, 1, 0, 0, 0], names=["trt"])
    >>> round(float(fit.coef[0]), 5), round(float(fit.hazard_ratio[0]), 5)  # R: 1.2724736 3.5696715
    (1.27247, 3.56967)
    >>> fit.to_frame().columns.tolist()[:3]
    ['coef', 'hazard_ratio', 'se']
    """
    tol = float(tol)
    max_iter = int(max_iter)
    if max_iter < 1 or not tol > 0:
        raise InputError("max_iter must be >= 1 and tol > 0")
    conf_level = _check_level(conf_level)
    if ties not in _TIES:
        raise InputError(f"ties={ties!r}: use one of {list(_TIES)}")
    timefix = as_flag(timefix, "timefix")
    t = as_time(column(data, time, "time"), where(data, time, "time"))
    if timefix:
        t = merge_near_ties(t)
    d = as_event(column(data, event, "event"), where(data, event, "event"))
    n = check_lengths(time=t, event=d)
    design = build_design(covariates, data, names, reference)
    check_lengths(n, covariates=design.x)
    w_given = weights is not None
    w = as_weights(column(data, weights, "weights"), n, where(data, weights, "weights"))
    s_codes, s_labels = build_labels(strata, data, "strata", n)
    c_codes, _ = build_labels(cluster, data, "cluster", n)
    if robust is None:
        robust = c_codes is not None or bool(np.any(w != np.floor(w)))
    if c_codes is not None and not robust:
        raise InputError("cluster= needs the robust variance; drop robust=False or the cluster")
    if ties == "exact" and (w_given and np.any(w != 1)):
        raise InputError("ties='exact' does not support case weights (as R coxph); use ties='efron'")
    if ties == "exact" and robust:
        raise InputError("ties='exact' has no robust variance (as R coxph); use ties='efron'")
    cd, means = kern.prepare(t, d, design.x, s_codes, w, ties)
    p = design.x.shape[1]
    base = {
        "names": design.names, "n": n, "n_events": cd.n_events, "ties": ties,
        "conf_level": conf_level, "means": np.full(p, np.nan), "strata": tuple(s_labels),
    }
    if cd.n_events == 0:
        warnings.warn("no events: the Cox model is not estimable; returning NaN estimates",
                      StatisticWarning, stacklevel=2)
        return _nan_result(p, base, robust)

    start = kern.evaluate(cd, np.zeros(p))
    keep = _informative(start.info)
    if not keep.all():
        check_collinear(design.x, w, design.names)  # a design problem is an InputError
        bad = [nm for nm, k in zip(design.names, keep, strict=True) if not k]
        warnings.warn(
            f"covariate(s) {bad} carry no information about the event times (constant within "
            f"every risk set at the event times, or collinear there); their coefficients are NaN",
            StatisticWarning, stacklevel=2,
        )
        if not keep.any():
            return _nan_result(p, base, robust)
        cdk, start = cd.with_columns(keep), None
    else:
        cdk = cd
    fit = kern.newton(cdk, max_iter, tol, start)
    beta_k = fit.beta
    Vk = _inverse(fit.terms.info)
    _warn_convergence(fit, Vk, beta_k, tol, [nm for nm, k in zip(design.names, keep, strict=True) if k], max_iter)

    coef = np.full(p, np.nan)
    coef[keep] = beta_k
    var = np.full((p, p), np.nan)
    var[np.ix_(keep, keep)] = Vk
    se = np.sqrt(np.diag(var))
    robust_var = robust_se = None
    robust_score = None
    if robust:
        Rk = rob.robust_var(cdk, fit.terms, Vk, c_codes)
        robust_var = np.full((p, p), np.nan)
        robust_var[np.ix_(keep, keep)] = Rk
        robust_se = np.sqrt(np.diag(robust_var))
        robust_score = _chi2(*rob.robust_score_test(cdk, c_codes))
    use_se = robust_se if robust_se is not None else se
    z = coef / use_se
    pval = 2 * special.ndtr(-np.abs(z))
    Vw = Rk if robust else Vk
    k = int(keep.sum())
    if np.all(np.isfinite(Vw)) and np.all(np.isfinite(beta_k)):
        wald = _chi2(float(beta_k @ np.linalg.lstsq(Vw, beta_k, rcond=None)[0]), k)
    else:
        wald = ChiSquareTest(np.nan, k, np.nan)
    lr = _chi2(2 * (fit.terms.loglik - fit.loglik_null), k)
    conc = conc_se = conc_counts = None
    if concordance:
        eta = np.einsum("np,p->n", design.x[:, keep], beta_k)
        conc, conc_se, conc_counts = concordance_fit(t, d, eta, strata=s_codes, weights=w, cluster=c_codes)
    inc = kern.hazard_increments(cdk, fit.terms)  # at the internal centring point
    cum = cdk.seg.cumsum(inc) * np.exp(-float(means[keep] @ beta_k))
    r_means = np.where([_is_unit_coded(design.x[:, j]) for j in range(p)], 0.0, means)
    return CoxResult(
        coef=coef, se=se, robust_se=robust_se, var=var, robust_var=robust_var, z=z, p_value=pval,
        loglik_null=fit.loglik_null, loglik=fit.terms.loglik, wald_test=wald,
        score_test=_chi2(fit.score_test, k), likelihood_ratio_test=lr,
        robust_score_test=robust_score, concordance=conc, concordance_se=conc_se,
        concordance_counts=conc_counts, iterations=fit.iterations,
        converged=fit.converged, _bh_time=cd.gtime, _bh_stratum=cd.gstratum, _bh_cumhaz=cum,
        _model=CoxModelData(t, d, design.x, s_codes, tuple(s_labels), w, keep, design.terms, ties),
        **{**base, "means": np.where(keep, r_means, np.nan)},
    )


def _is_unit_coded(col: np.ndarray) -> bool:
    """Only -1, 0, 1 values: R's ``nocenter`` columns (dummies), whose reported mean is 0."""
    if col.min() < -1 or col.max() > 1:
        return False
    return bool(np.all((col == 0) | (col == 1) | (col == -1)))


def _inverse(info: np.ndarray) -> np.ndarray:
    try:
        L = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return np.full(info.shape, np.nan)
    Li = np.linalg.inv(L)
    return Li.T @ Li


def _informative(info: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Columns whose information at beta=0 is not (numerically) a combination of earlier ones."""
    keep = np.ones(info.shape[0], dtype=bool)
    for j in range(info.shape[0]):
        prev = np.flatnonzero(keep[:j])
        resid = info[j, j]
        if prev.size and resid > 0:
            resid -= info[j, prev] @ np.linalg.solve(info[np.ix_(prev, prev)], info[prev, j])
        if not resid > tol * max(info[j, j], np.finfo(float).tiny):
            keep[j] = False
    return keep


def _warn_convergence(fit: kern.NewtonResult, V: np.ndarray, beta: np.ndarray, tol: float,
                      names: list[str], max_iter: int) -> None:
    step = np.abs(V @ fit.terms.score)
    infinite = ~np.isfinite(fit.terms.score) | ~np.isfinite(step) | (
        (step > tol) & (step > np.sqrt(tol) * np.abs(beta)))
    flagged = [nm for nm, f in zip(names, infinite, strict=True) if f]
    if fit.failed:
        warnings.warn("the information matrix became singular during Newton-Raphson; estimates are "
                      f"unreliable (covariates {flagged or names})", ConvergenceWarning, stacklevel=3)
    elif not fit.converged:
        warnings.warn(f"did not converge in {max_iter} iterations"
                      + (f"; coefficient(s) of {flagged} may be infinite" if flagged else ""),
                      ConvergenceWarning, stacklevel=3)
    elif flagged:
        warnings.warn(
            f"log likelihood converged while the coefficient(s) of {flagged} kept growing "
            "(monotone likelihood, e.g. no events in one group): the estimate may be infinite and "
            "its SE and Wald test are meaningless; use the likelihood-ratio test",
            ConvergenceWarning, stacklevel=3)


def _nan_result(p: int, base: dict[str, Any], robust: bool) -> CoxResult:
    nan = np.full(p, np.nan)
    t = ChiSquareTest(np.nan, p, np.nan)
    return CoxResult(
        coef=nan, se=nan.copy(), robust_se=nan.copy() if robust else None, var=np.full((p, p), np.nan),
        robust_var=np.full((p, p), np.nan) if robust else None, z=nan.copy(), p_value=nan.copy(),
        loglik_null=0.0, loglik=0.0, wald_test=t, score_test=t, likelihood_ratio_test=t,
        robust_score_test=t if robust else None, concordance=None, concordance_se=None, iterations=0,
        converged=False,
        _bh_time=np.zeros(0), _bh_stratum=np.zeros(0, dtype=np.int64), _bh_cumhaz=np.zeros(0), **base,
    )
