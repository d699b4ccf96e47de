"""Competing risks: Aalen-Johansen cumulative incidence with cmprsk variances, and Gray's test."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats._competing import prepare_competing
from survtrial.stats._cuminc_ij import ij_std_err
from survtrial.stats._gray import gray_score
from survtrial.stats._input import as_flag
from survtrial.stats._risksets import tabulate
from survtrial.stats.km import product_limit

__all__ = [
    "CumulativeIncidenceResult",
    "GrayTestResult",
    "cumulative_incidence",
    "gray_test",
]


# ------------------------------------------------------------------ estimator


def _aalen_johansen(t, codes, n_causes, g, n_groups, w):
    """CIF and cmprsk variance for every group/cause on the pooled grid of distinct times."""
    K, G = n_causes, n_groups
    tab = tabulate(t, g * (K + 1) + codes, G * (K + 1), w)
    m = tab.time.size
    counts = tab.counts.reshape(m, G, K + 1)
    n = tab.at_risk().reshape(m, G, K + 1).sum(axis=2)  # (m, G)
    d = counts[:, :, 1:]  # (m, G, K)
    d_all = d.sum(axis=2)
    surv, _ = product_limit(n, d_all)
    s_prev = np.vstack([np.ones((1, G)), surv[:-1]])
    has = n > 0
    n_safe = np.where(has, n, 1.0)[:, :, None]
    cif = np.cumsum(s_prev[:, :, None] * d / n_safe, axis=0)

    # Aalen-type delta-method variance of Gray's cmprsk::cuminc. With F = CIF of the cause, S the
    # all-cause KM and b_i = 1/S(t_i) (0 once S is 0), each time t_i <= t contributes
    #   w1_i (1 + (F(t_i) - F(t)) b_i)^2   for events of the cause and
    #   w2_i ((F(t_i) - F(t)) b_i)^2       for events of the other causes (only while S(t_i) > 0),
    # w_i = S(t_i-)^2 d_i (1 - (d_i - 1)/(n_i - 1)) / n_i^2 (tie-corrected binomial variance).
    def tie_weight(dd):
        nm1 = np.where(n[:, :, None] > 1, n[:, :, None] - 1.0, 1.0)
        corr = np.where(dd > 1, 1.0 - (dd - 1.0) / nm1, 1.0)
        return s_prev[:, :, None] ** 2 * corr * dd / n_safe**2

    alive = (surv > 0)[:, :, None]
    b = np.where(alive, 1.0 / np.where(alive, surv[:, :, None], 1.0), 0.0)
    w1 = tie_weight(d)
    w2 = np.where(alive, tie_weight(d_all[:, :, None] - d), 0.0)
    a1 = 1.0 + cif * b
    a2 = cif * b
    s_aa = np.cumsum(w1 * a1 * a1 + w2 * a2 * a2, axis=0)
    s_ab = np.cumsum((w1 * a1 + w2 * a2) * b, axis=0)
    s_bb = np.cumsum((w1 + w2) * b * b, axis=0)
    var = s_aa - 2.0 * cif * s_ab + cif * cif * s_bb
    # cmprsk updates the variance only at times with an event of the cause: carry it forward.
    rows = np.arange(m)[:, None, None]
    last = np.maximum.accumulate(np.where(d > 0, rows, -1), axis=0)
    var = np.where(last >= 0, np.take_along_axis(var, np.maximum(last, 0), axis=0), 0.0)
    var = np.maximum(var, 0.0)
    present = counts.sum(axis=2) > 0  # (m, G): the group has an observation at this time
    return tab.time, n, d, cif, var, present


def _log_log_limits(cif, se, level):
    """Pointwise limits F^exp(-/+ z se / (F log F)) (log(-log) scale; Pintilie 2006, tidycmprsk)."""
    z = special.ndtri(0.5 + level / 2.0)
    cif = np.asarray(cif, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = z * se / (cif * np.log(cif))
        lower = cif ** np.exp(-k)
        upper = cif ** np.exp(k)
    flat = se == 0
    lower = np.where(flat, cif, lower)
    upper = np.where(flat, cif, upper)
    undefined = ~flat & ((cif <= 0) | (cif >= 1))
    return np.where(undefined, np.nan, lower), np.where(undefined, np.nan, upper)


@dataclass(frozen=True)
class CumulativeIncidenceResult(HtmlReprMixin):
    """Cumulative incidence per group and cause at every distinct time of the group.

    Attributes
    ----------
    groups, causes : labels, in output order.
    group, cause : (R,) labels of each row; rows run over groups, then causes, then time.
    time : (R,) distinct observed times of the group (censoring times included).
    n_risk : (R,) (weighted) number at risk just before ``time`` in the group.
    n_event : (R,) (weighted) events of the cause at ``time``.
    cif, std_err : (R,) Aalen-Johansen estimate and its cmprsk standard error.
    max_time : (G,) largest observed time per group (estimates are defined up to it).
    conf_level : level of ``lower`` / ``upper`` in :meth:`to_frame`.
    std_err_ij : (R,) infinitesimal-jackknife SE, R multi-state ``survfit(Surv(time,
        factor(status)) ~ group)$std.err`` (its default robust variance).
    """

    groups: np.ndarray
    causes: np.ndarray
    group: np.ndarray
    cause: np.ndarray
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    cif: np.ndarray
    std_err: np.ndarray
    max_time: np.ndarray
    conf_level: float = 0.95
    std_err_ij: np.ndarray | None = None
    _block_sizes: tuple[int, ...] | None = field(default=None, repr=False, compare=False)

    def _se(self, se: str) -> np.ndarray:
        if se == "cmprsk":
            return self.std_err
        if se == "ij" and self.std_err_ij is not None:
            return self.std_err_ij
        raise InputError(f"se={se!r}: use 'cmprsk' (Gray's delta method) or 'ij' (survfit's jackknife)")

    def confidence_interval(self, level: float | None = None, se: str = "cmprsk") -> tuple[np.ndarray, np.ndarray]:
        """Pointwise ``(lower, upper)`` for every row, on the log(-log) scale, from the cmprsk SE
        (default) or the infinitesimal-jackknife SE (``se="ij"``)."""
        return _log_log_limits(self.cif, self._se(se), _level(self.conf_level if level is None else level))

    def at(self, times: Any, *, level: float | None = None):
        """Landmark values: CIF, SE and limits per group and cause at ``times`` (a pandas DataFrame).

        The value at ``t`` is the step function's value at the last time ``<= t`` (0 before the
        first event); times beyond a group's largest observed time give NaN, as
        ``cmprsk::timepoints``. Columns ``group, cause, time, cif, std_err, std_err_ij, lower,
        upper`` (limits from ``std_err``).
        """
        import pandas as pd

        tt = np.atleast_1d(np.asarray(times, dtype=float))
        vals = self.values_at(tt)
        blocks = len(self.groups) * len(self.causes)
        groups = np.repeat(np.asarray(self.groups, dtype=object), len(self.causes) * tt.size)
        causes = np.tile(np.repeat(np.asarray(self.causes, dtype=object), tt.size), len(self.groups))
        frame = pd.DataFrame({"group": groups.tolist(), "cause": causes.tolist(),
                              "time": np.tile(tt, blocks),
                              **{name: v.ravel() for name, v in vals.items()}})
        lo, hi = _log_log_limits(frame["cif"].to_numpy(), frame["std_err"].to_numpy(),
                                 _level(self.conf_level if level is None else level))
        frame["lower"], frame["upper"] = lo, hi
        return frame

    def values_at(self, times: Any, columns: Sequence[str] = ("cif", "std_err", "std_err_ij")) -> dict[str, np.ndarray]:
        """The numbers of :meth:`at` as arrays, without a frame: ``{column: (groups, causes, times)}``
        for each of ``columns`` (``cif``, ``std_err``, ``std_err_ij``; the last left out when the
        result has no jackknife SE). Conventions as :meth:`at`.

        Examples
        --------
        >>> res = cumulative_incidence([1, 2, 3, 4, 5, 6], [1, 2, 0, 1, 1, 0])
        >>> res.values_at([4.5], columns=["cif"])["cif"].round(4).tolist()
        [[[0.3889], [0.1667]]]
        """
        tt = np.atleast_1d(np.asarray(times, dtype=float))
        if tt.ndim != 1 or not np.isfinite(tt).all() or (tt < 0).any():
            raise InputError(f"times={times!r}: give finite times >= 0")
        arrays = {"cif": self.cif, "std_err": self.std_err, "std_err_ij": self.std_err_ij}
        unknown = [c for c in columns if c not in arrays]
        if unknown:
            raise InputError(f"columns: {unknown} are not cumulative-incidence columns; choose from {list(arrays)}")
        wanted = [c for c in columns if arrays[c] is not None]
        out = {c: np.empty((len(self.groups), len(self.causes), tt.size)) for c in wanted}
        blocks = self._blocks()
        for gi, glab in enumerate(self.groups):
            beyond = tt > self.max_time[gi]
            for ci, clab in enumerate(self.causes):
                sel = blocks.get((gi, ci))
                if sel is None:
                    sel = np.flatnonzero((self.group == glab) & (self.cause == clab))
                pos = np.searchsorted(self.time[sel], tt, side="right") - 1
                for name in wanted:
                    v = np.where(pos >= 0, arrays[name][sel][np.maximum(pos, 0)], 0.0)
                    out[name][gi, ci] = np.where(beyond, np.nan, v)
        return out

    def _blocks(self) -> dict[tuple[int, int], slice]:
        """Rows of each (group, cause) where they are one run, as :func:`cumulative_incidence` lays them
        out (``_block_sizes``); empty otherwise (callers then select rows by label)."""
        sizes = self._block_sizes
        if sizes is None or len(sizes) != len(self.groups) * len(self.causes) or sum(sizes) != self.time.size:
            return {}
        ends = np.cumsum(sizes)
        K = len(self.causes)
        return {(b // K, b % K): slice(int(e - n), int(e)) for b, (n, e) in enumerate(zip(sizes, ends, strict=True))}

    def to_frame(self):
        """Columns ``group, cause, time, n_risk, n_event, cif, std_err, std_err_ij, lower, upper``."""
        import pandas as pd

        lo, hi = self.confidence_interval()
        return pd.DataFrame(
            {
                "group": self.group,
                "cause": self.cause,
                "time": self.time,
                "n_risk": self.n_risk,
                "n_event": self.n_event,
                "cif": self.cif,
                "std_err": self.std_err,
                "std_err_ij": self.std_err_ij,
                "lower": lo,
                "upper": hi,
            }
        )

    def _html_figure(self) -> str:
        """The cumulative incidence curves per group and cause, for a notebook's display."""
        from survtrial._repr import step_svg

        curves = []
        for g in self.groups:
            for c in self.causes:
                m = (self.group == g) & (self.cause == c)
                curves.append((f"{g}: {c}" if len(self.groups) > 1 else str(c), self.time[m], self.cif[m]))
        return step_svg(curves, ylabel="cumulative incidence", start=0.0)

    def __repr__(self) -> str:
        lines = [f"CumulativeIncidenceResult({len(self.groups)} group(s) x {len(self.causes)} cause(s))"]
        for gi, glab in enumerate(self.groups):
            finals = []
            for clab in self.causes:
                sel = np.flatnonzero((self.group == glab) & (self.cause == clab))
                finals.append(f"{clab}: {self.cif[sel[-1]]:.4g}")
            lines.append(f"  {glab} (to t={self.max_time[gi]:g}): " + ", ".join(finals))
        return "\n".join(lines)


def _level(level: float) -> float:
    lv = float(level)
    if not 0.0 < lv < 1.0:
        raise InputError(f"conf_level={level!r} must be strictly between 0 and 1 (e.g. 0.95)")
    return lv


def cumulative_incidence(
    time: Any,
    event: Any,
    group: Any = None,
    *,
    data: Any = None,
    causes: Sequence[Any] | Mapping[Any, Any] | None = None,
    censor_code: Any = 0,
    weights: Any = None,
    conf_level: float = 0.95,
    jackknife: bool = True,
) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence functions for competing risks, per group and cause.

    Parameters
    ----------
    time : array or column name
        Follow-up times (>= 0).
    event : array or column name
        Event codes: ``censor_code`` (default 0) = censored, 1..K = the competing causes. String
        labels work too (``censor_code="censored"``); booleans mean cause 1 / censored.
    group : array or column name, optional
        Groups to estimate separately (e.g. the arm).
    data : pandas or polars DataFrame, optional
        When given, ``time``, ``event``, ``group`` and ``weights`` are column names.
    causes : sequence or mapping, optional
        Causes to report, in this order (default: every observed code, sorted). A mapping
        ``{code: label}`` also renames them, e.g. ``{1: "marrow relapse", 2: "death"}``. Codes
        outside ``causes`` and ``censor_code`` are an error.
    censor_code : int or str
        The code that means censored.
    weights : array or column name, optional
        Case (frequency) weights > 0: integer weights give the same result as repeated rows.
    conf_level : float
        Level of the pointwise limits in :meth:`CumulativeIncidenceResult.to_frame`.
    jackknife : bool, default True
        Also compute the infinitesimal-jackknife SE (``std_err_ij``); False leaves it None, for
        callers that read only the estimate or the cmprsk SE (the other numbers do not change).

    Returns
    -------
    CumulativeIncidenceResult

    Notes
    -----
    ``CIF_k(t) = sum_{t_i <= t} S(t_i-) d_ki / n_i`` with ``S`` the all-cause Kaplan-Meier, so the
    CIFs of all causes plus ``S`` sum to one. The variance is the one ``cmprsk::cuminc`` reports
    (Gray's delta-method/Aalen-type estimator with its tie correction), so ``std_err`` is
    ``sqrt(cuminc(...)[[i]]$var)``; like cmprsk it changes only at times with an event of the
    cause. Pointwise limits use the log(-log) transform ``F^exp(-/+ z se / (F log F))``
    (Pintilie 2006; as ``tidycmprsk``); cmprsk itself prints no limits. Limits equal the estimate
    where the SE is 0 and are NaN where ``F`` is 1. ``std_err_ij`` is the infinitesimal-jackknife
    SE that R's multi-state ``survfit(Surv(time, factor(status)) ~ group)`` reports as
    ``std.err`` (with case weights ``sqrt(sum w_i^2 U_i(t)^2)``, U_i the influence of subject i).

    References
    ----------
    Aalen OO, Johansen S. Scand J Stat 1978;5:141-150.
    Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing risk.
    Ann Stat 1988;16:1141-1154 (and the cmprsk R package).
    Pintilie M. Competing Risks: A Practical Perspective. Wiley, 2006.

    Examples
    --------
    >>> res = cumulative_incidence([1, 2, 3, 4, 5, 6], [1, 2, 0, 1, 1, 0])
    >>> res.at(4.5)[["cause", "cif", "std_err"]].round(4)
       cause     cif  std_err
    0      1  0.3889   0.2596
    1      2  0.1667   0.1700
    """
    t, codes, labels, g, levels, _, w = prepare_competing(time, event, group, None, weights, data, censor_code, causes)
    level = _level(conf_level)
    K, G = labels.size, levels.size
    grid, n, d, cif, var, present = _aalen_johansen(t, codes, K, g, G, w)
    ij = ij_std_err(t, codes, K, g, G, w) if as_flag(jackknife, "jackknife") else None
    cols = {k: [] for k in ("group", "cause", "time", "n_risk", "n_event", "cif", "se", "se_ij")}
    for gi in range(G):
        rows = np.flatnonzero(present[:, gi])
        for ci in range(K):
            cols["group"].append(np.full(rows.size, levels[gi], dtype=object))
            cols["cause"].append(np.full(rows.size, labels[ci], dtype=object))
            cols["time"].append(grid[rows])
            cols["n_risk"].append(n[rows, gi])
            cols["n_event"].append(d[rows, gi, ci])
            cols["cif"].append(cif[rows, gi, ci])
            cols["se"].append(np.sqrt(var[rows, gi, ci]))
            if ij is not None:
                cols["se_ij"].append(ij[rows, gi, ci])
    cat = {k: np.concatenate(v) for k, v in cols.items() if k != "se_ij"}
    cat["se_ij"] = np.concatenate(cols["se_ij"]) if ij is not None else None
    max_time = np.array([grid[np.flatnonzero(present[:, gi])[-1]] for gi in range(G)])
    return CumulativeIncidenceResult(
        groups=np.asarray(levels, dtype=object),
        causes=np.asarray(labels, dtype=object),
        group=cat["group"],
        cause=cat["cause"],
        time=cat["time"],
        n_risk=cat["n_risk"],
        n_event=cat["n_event"],
        cif=cat["cif"],
        std_err=cat["se"],
        max_time=max_time,
        conf_level=level,
        std_err_ij=cat["se_ij"],
        _block_sizes=tuple(int(np.count_nonzero(present[:, gi])) for gi in range(G) for _ in range(K)),
    )


# ------------------------------------------------------------------ Gray's test


@dataclass(frozen=True)
class GrayTestResult(HtmlReprMixin):
    """Gray's K-sample test per cause: chi-square ``statistic`` on ``df`` degrees of freedom.

    Attributes
    ----------
    causes : (C,) causes tested; statistic, p_value : (C,); df : groups - 1.
    groups : group labels; rho : weight exponent; n_strata : number of strata.
    """

    causes: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    df: int
    groups: np.ndarray
    rho: float
    n_strata: int

    def to_frame(self):
        """One row per cause: cause, statistic, df, p_value."""
        import pandas as pd

        return pd.DataFrame(
            {"cause": self.causes, "statistic": self.statistic, "df": self.df, "p_value": self.p_value}
        )

    def __repr__(self) -> str:
        parts = [
            f"{c}: chi2={s:.4g}, p={p:.4g}" for c, s, p in zip(self.causes, self.statistic, self.p_value, strict=True)
        ]
        return f"GrayTestResult(df={self.df}, rho={self.rho:g}; " + "; ".join(parts) + ")"


def gray_test(
    time: Any,
    event: Any,
    group: Any,
    *,
    data: Any = None,
    cause: Any = 1,
    strata: Any = None,
    rho: float = 0.0,
    censor_code: Any = 0,
) -> GrayTestResult:
    """Gray's test that the cumulative incidence of a cause is equal across groups.

    Parameters
    ----------
    time, event, group : arrays or column names
        As :func:`cumulative_incidence`; ``group`` needs at least two levels.
    data : pandas or polars DataFrame, optional
    cause : code, list of codes, or None
        The cause(s) to test (default 1); None tests every observed cause.
    strata : array or column name, optional
        Stratified test: scores and variances are summed over strata.
    rho : float
        Weight ``(1 - F(t-))^rho`` on the subdistribution hazard differences (0 = log-rank-like).
    censor_code : int or str
        The code that means censored.

    Returns
    -------
    GrayTestResult

    Notes
    -----
    Reproduces the ``Tests`` of ``cmprsk::cuminc(time, event, group, strata, rho)``: the score for
    the first ``G - 1`` groups, its variance from Gray (1988) with cmprsk's tie corrections, and
    ``statistic = s' V^-1 s`` referred to chi-square on ``G - 1`` df. A singular ``V`` (an
    eigenvalue below 1e-13 x the number of events of the cause: rounding level) gives NaN.

    References
    ----------
    Gray RJ. Ann Stat 1988;16:1141-1154.

    Examples
    --------
    >>> r = gray_test([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 0, 1, 0, 2, 1], [0, 0, 0, 0, 1, 1, 1, 1])
    >>> round(float(r.statistic[0]), 4), round(float(r.p_value[0]), 4)
    (2.3023, 0.1292)
    """
    t, codes, labels, g, levels, s, _ = prepare_competing(time, event, group, strata, None, data, censor_code, None)
    if levels.size < 2:
        raise InputError(f"group: found {levels.size} level(s) {list(levels)}; Gray's test needs at least 2")
    wanted = list(labels) if cause is None else (list(cause) if isinstance(cause, (list, tuple)) else [cause])
    idx = []
    for c in wanted:
        hits = [j for j, lab in enumerate(labels) if lab == c or str(lab) == str(c)]
        if not hits:
            raise InputError(f"cause={c!r} does not occur in the event codes; observed causes: {list(labels)}")
        idx.append(hits[0])
    strata_codes = np.zeros(t.size, dtype=np.int64) if s is None else s
    n_strata = int(strata_codes.max()) + 1
    stats_, pvals = [], []
    for j in idx:
        m = np.where(codes == j + 1, 1, np.where(codes == 0, 0, 2))
        score = np.zeros(levels.size - 1)
        cov = np.zeros((levels.size - 1, levels.size - 1))
        for k in range(n_strata):
            sel = strata_codes == k
            sc, cv = gray_score(t[sel], m[sel], g[sel], levels.size, float(rho))
            score += sc
            cov += cv
        stat = np.nan
        # singular: an eigenvalue at rounding level for this many events (a group never at risk
        # at an event of the cause gives 0 in exact arithmetic, 1e-32 or 0 after rounding)
        tol = 1e-13 * max(1.0, float(np.sum(m == 1)))
        if np.linalg.matrix_rank(cov, tol=tol) == cov.shape[0]:
            stat = float(score @ np.linalg.solve(cov, score))
        else:
            warnings.warn(
                f"Gray's test for cause {labels[j]!r}: the score variance is singular (too few events "
                f"of this cause in some group?); statistic and p-value are NaN",
                StatisticWarning,
                stacklevel=2,
            )
        stats_.append(stat)
        pvals.append(special.chdtrc(levels.size - 1, stat) if np.isfinite(stat) else np.nan)
    return GrayTestResult(
        causes=np.asarray([labels[j] for j in idx], dtype=object),
        statistic=np.asarray(stats_),
        p_value=np.asarray(pvals),
        df=int(levels.size - 1),
        groups=np.asarray(levels, dtype=object),
        rho=float(rho),
        n_strata=n_strata,
    )
