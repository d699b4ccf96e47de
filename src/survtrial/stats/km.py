"""Kaplan-Meier product-limit estimator with Greenwood standard errors and R survfit conventions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.stats._input import (
    as_event,
    as_flag,
    as_labels,
    as_time,
    as_weights,
    check_lengths,
    column,
    where,
)
from survtrial.stats._kmci import check_conf, confint, curve_quantiles
from survtrial.stats._kmcounts import curve_counts, split_by
from survtrial.stats.timefix import merge_curves

__all__ = ["KaplanMeierResult", "kaplan_meier", "product_limit"]

#: Step-function columns of a landmark and their value at the origin (before the first time).
_AT_STARTS = {"survival": 1.0, "std_err": 0.0, "lower": 1.0, "upper": 1.0, "cumhaz": 0.0, "std_chaz": 0.0}
_AT_COLUMNS = ("n_risk", "n_event", "n_censor", *_AT_STARTS)

if TYPE_CHECKING:  # pandas is imported lazily, only where a frame is built
    import pandas as pd


def product_limit(n_risk: np.ndarray, n_event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Product-limit survival and the Greenwood sum from (weighted) counts at each distinct time.

    Parameters
    ----------
    n_risk : (m,) or (m, k) array
        Number (or weighted number) at risk just before each time, times ascending along axis 0.
    n_event : array of the same shape
        Number (or weighted number) of events at each time.

    Returns
    -------
    surv : array like ``n_risk``
        ``S(t) = cumprod(1 - d / n)`` along axis 0.
    greenwood_sum : array like ``n_risk``
        ``cumsum(d / (n (n - d)))`` so that ``Var S(t) = S(t)**2 * greenwood_sum`` (Greenwood) and
        ``sqrt(greenwood_sum)`` is the SE of log S(t), R survfit's ``std.err``.

    Notes
    -----
    Rows with ``d == 0`` contribute a factor 1 and a Greenwood term 0 (also when ``n == 0``).
    When ``n == d > 0`` (everyone at risk fails) S drops to 0 and the Greenwood term is ``inf``,
    as in R survfit, where the standard error is infinite from that time on.
    """
    n = np.asarray(n_risk, dtype=np.float64)
    d = np.asarray(n_event, dtype=np.float64)
    if np.all(n > 0):  # usual case, fewer passes: d = 0 gives factor 1 and term 0 exactly
        with np.errstate(divide="ignore"):
            return np.cumprod(1.0 - d / n, axis=0), np.cumsum(d / (n * (n - d)), axis=0)
    has = d > 0
    safe_n = np.where(has, n, 1.0)
    surv = np.cumprod(np.where(has, 1.0 - d / safe_n, 1.0), axis=0)
    rest = n - d
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(has, d / (safe_n * np.where(has, rest, 1.0)), 0.0)
    term = np.where(has & (rest <= 0), np.inf, term)
    return surv, np.cumsum(term, axis=0)


@dataclass(frozen=True, repr=False)
class KaplanMeierResult(HtmlReprMixin):
    """Kaplan-Meier curves, one block of rows per group (rows: every distinct time in the group).

    Attributes
    ----------
    groups : (k,) str
        Group labels in order (sorted levels), or ``["all"]`` without a group.
    offsets : (k + 1,) int
        Rows of group ``i`` are ``offsets[i]:offsets[i + 1]`` in every per-row array.
    time, n_risk, n_event, n_censor : (rows,)
        Distinct times and (weighted) numbers at risk just before, with an event, censored.
    survival : (rows,)
        S(t), right-continuous.
    std_err : (rows,)
        Greenwood standard error of S(t) (what R ``summary(survfit)`` prints as ``std.err``).
    std_err_log : (rows,)
        Standard error of log S(t) (Greenwood), i.e. R's ``survfit(...)$std.err``.
    lower, upper : (rows,)
        Pointwise limits at ``conf_level`` on the ``conf_type`` scale.
    cumhaz, std_chaz : (rows,)
        Nelson-Aalen cumulative hazard ``sum d / n`` and its SE ``sqrt(sum d / n^2)``, R
        ``survfit(...)$cumhaz`` and ``$std.chaz`` (survfit's default ``ctype = 1``; with weights,
        ``robust = FALSE``).
    n, n_events : (k,)
        Observations and (weighted) events per group.
    conf_level, conf_type
        Settings used for ``lower`` / ``upper`` and by default for quantile limits.
    """

    groups: np.ndarray
    offsets: np.ndarray
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    std_err_log: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: np.ndarray
    n_events: np.ndarray
    conf_level: float
    conf_type: str
    cumhaz: np.ndarray
    std_chaz: np.ndarray

    def _rows(self, i: int) -> slice:
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def _group_column(self) -> pd.Categorical:
        import pandas as pd

        codes = np.repeat(np.arange(self.groups.size, dtype=np.int32), np.diff(self.offsets))
        return pd.Categorical.from_codes(codes, categories=pd.Index(self.groups.astype(str)))

    def to_frame(self, cumhaz: bool = False) -> pd.DataFrame:
        """Tidy table: ``group, time, n_risk, n_event, n_censor, survival, std_err, lower, upper``.

        ``cumhaz=True`` appends ``cumhaz, std_chaz`` (R ``survfit``'s ``cumhaz`` and ``std.chaz``).
        """
        import pandas as pd

        cols = {
            "group": self._group_column(),
            "time": self.time,
            "n_risk": self.n_risk,
            "n_event": self.n_event,
            "n_censor": self.n_censor,
            "survival": self.survival,
            "std_err": self.std_err,
            "lower": self.lower,
            "upper": self.upper,
        }
        if cumhaz:
            cols.update(cumhaz=self.cumhaz, std_chaz=self.std_chaz)
        return pd.DataFrame(cols)

    def confidence_interval(self, level: float = 0.95, conf_type: str | None = None) -> pd.DataFrame:
        """Pointwise limits at another level or scale: frame ``group, time, survival, lower, upper``.

        ``conf_type`` is ``"log-log"``, ``"log"`` or ``"plain"``; None keeps the fit's.
        """
        import pandas as pd

        level, ctype = check_conf(level, conf_type or self.conf_type)
        lower, upper = confint(self.survival, self.std_err_log, level, ctype)
        return pd.DataFrame(
            {
                "group": self._group_column(),
                "time": self.time,
                "survival": self.survival,
                "lower": lower,
                "upper": upper,
            }
        )

    def survival_at(self, times: Any) -> pd.DataFrame:
        """Landmark estimates at ``times`` for every group (R ``summary(fit, times=, extend=TRUE)``).

        Returns a frame ``group, time, n_risk, n_event, n_censor, survival, std_err, lower, upper,
        cumhaz, std_chaz``. S is the right-continuous step function: before the first time S = 1
        with zero SE; beyond the last follow-up time the value at the last time is carried forward
        (whether that time is an event or a censoring) and ``n_risk`` is 0. ``n_risk`` counts
        subjects with follow-up >= t. ``n_event`` and ``n_censor`` count (weighted) events and
        censorings in (t', t], t' the next smaller requested time (from 0 for the smallest), as
        R's summary, which sorts the times; rows keep the order of ``times``.
        """
        import pandas as pd

        t = as_time(np.atleast_1d(np.asarray(times, dtype=object)), "times")
        cols = self.values_at(t)
        k, m = self.groups.size, t.size
        codes = np.repeat(np.arange(k, dtype=np.int32), m)
        group = pd.Categorical.from_codes(codes, categories=pd.Index(self.groups.astype(str)))
        return pd.DataFrame({"group": group, "time": np.tile(t, k), **{c: v.ravel() for c, v in cols.items()}})

    def values_at(self, times: Any, columns: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """The numbers of :meth:`survival_at` as arrays, without a frame: ``{column: (groups, times)}``.

        ``columns`` picks some of ``n_risk, n_event, n_censor, survival, std_err, lower, upper,
        cumhaz, std_chaz`` (default all); row ``i`` is group ``groups[i]``, column ``j`` is
        ``times[j]``. The conventions are :meth:`survival_at`'s.

        Examples
        --------
        >>> fit = kaplan_meier([6, 6, 6, 7, 10, 13, 16], [1, 1, 0, 1, 0, 1, 1])
        >>> v = fit.values_at([5, 7], columns=["survival", "n_risk"])
        >>> v["survival"].round(4).tolist(), v["n_risk"].tolist()
        ([[1.0, 0.5357]], [[7.0, 4.0]])
        """
        t = as_time(np.atleast_1d(np.asarray(times, dtype=object)), "times")
        wanted = _AT_COLUMNS if columns is None else tuple(columns)
        unknown = [c for c in wanted if c not in _AT_COLUMNS]
        if unknown:
            raise InputError(f"columns: {unknown} are not landmark columns; choose from {list(_AT_COLUMNS)}")
        k, m = self.groups.size, t.size
        cols = {name: np.empty((k, m)) for name in wanted}
        counted = [c for c in ("n_event", "n_censor") if c in cols]
        if counted:
            ts = np.unique(t)
            prev = np.concatenate(([-np.inf], ts))[np.searchsorted(ts, t, side="left")]
        for i in range(k):
            r = self._rows(i)
            gt = self.time[r]
            # row of the last time <= t; index 0 stands for the origin (S = 1, SE = 0)
            j = np.searchsorted(gt, t, side="right")
            if "n_risk" in cols:
                cols["n_risk"][i] = np.append(self.n_risk[r], 0.0)[np.searchsorted(gt, t, side="left")]
            if counted:
                jp = np.searchsorted(gt, prev, side="right")
            for name in counted:
                cum = np.concatenate(([0.0], np.cumsum(getattr(self, name)[r])))
                cols[name][i] = cum[j] - cum[jp]
            for name, start in _AT_STARTS.items():
                if name in cols:
                    cols[name][i] = np.concatenate(([start], getattr(self, name)[r]))[j]
        return cols

    def quantile(
        self, q: Any = 0.5, *, conf_level: float | None = None, conf_type: str | None = None
    ) -> pd.DataFrame:
        """Survival quantiles with confidence limits, as R ``quantile(survfit(...), probs=q)``.

        ``q`` is a probability (or several) of the event distribution: the q-quantile is the first
        time where S(t) <= 1 - q, so ``q=0.5`` is the median. Returns a frame
        ``group, q, estimate, lower, upper`` (NaN where the curve or limit never reaches 1 - q).

        Notes
        -----
        R's rule (``quantile.survfit``): the estimate is where the step curve 1 - S first reaches
        q; when S is flat exactly at 1 - q (within sqrt(machine eps)) the midpoint of the flat is
        used (the classical median of an even sample), and a flat at the end of the curve uses the
        last follow-up time. The limits apply the same rule to the pointwise lower and upper
        curves (at ``conf_level`` / ``conf_type``, default the fit's), i.e. the Brookmeyer-Crowley
        interval. R's ``print(survfit)`` uses a slightly different search (``minmin``) that can
        differ in rare flat-segment cases; this method follows ``quantile.survfit``.
        """
        import pandas as pd

        qa = np.atleast_1d(np.asarray(q, dtype=np.float64))
        est, lo, hi = self.quantile_values(qa, conf_level=conf_level, conf_type=conf_type)
        k = self.groups.size
        codes = np.repeat(np.arange(k, dtype=np.int32), qa.size)
        return pd.DataFrame({"group": pd.Categorical.from_codes(codes, categories=pd.Index(self.groups.astype(str))),
                             "q": np.tile(qa, k), "estimate": est.ravel(), "lower": lo.ravel(), "upper": hi.ravel()})

    def quantile_values(
        self, q: Any = 0.5, *, conf_level: float | None = None, conf_type: str | None = None, limits: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """The numbers of :meth:`quantile` as arrays: ``(estimate, lower, upper)``, each of shape
        (groups, len(q)); ``limits=False`` skips the limits (None), for callers reading only the
        estimate. The rule is :meth:`quantile`'s.

        Examples
        --------
        >>> fit = kaplan_meier([6, 6, 6, 7, 10, 13, 16], [1, 1, 0, 1, 0, 1, 1])
        >>> est, _, _ = fit.quantile_values(0.5, limits=False)
        >>> est.tolist()
        [[13.0]]
        """
        qa = np.atleast_1d(np.asarray(q, dtype=np.float64))
        if qa.ndim != 1 or qa.size == 0 or np.isnan(qa).any() or (qa < 0).any() or (qa > 1).any():
            raise InputError(f"q: expected probabilities in [0, 1], got {q!r}")
        curves = [self.survival]
        if limits:
            level, ctype = check_conf(
                self.conf_level if conf_level is None else conf_level, conf_type or self.conf_type
            )
            if level == self.conf_level and ctype == self.conf_type:
                curves += [self.lower, self.upper]
            else:
                curves += list(confint(self.survival, self.std_err_log, level, ctype))
        out = [np.empty((self.groups.size, qa.size)) for _ in curves]
        for i in range(self.groups.size):
            r = self._rows(i)
            for o, curve in zip(out, curves, strict=True):
                o[i] = curve_quantiles(self.time[r], curve[r], self.n_event[r], qa)
        return out[0], (out[1] if limits else None), (out[2] if limits else None)

    def median(self, *, conf_level: float | None = None, conf_type: str | None = None) -> pd.DataFrame:
        """Median survival with limits: ``quantile(0.5)``; see :meth:`quantile` for R's rule."""
        return self.quantile(0.5, conf_level=conf_level, conf_type=conf_type)

    def _html_figure(self, order: list[str] | None = None, xlabel: str = "time") -> str:
        """The survival curves per group (in ``order``, the first drawn blue), for a notebook's display."""
        from survtrial._repr import step_svg

        labels = [str(g) for g in self.groups]
        rows = [labels.index(g) for g in order] if order else range(len(labels))
        return step_svg([(labels[i], self.time[self._rows(i)], self.survival[self._rows(i)]) for i in rows],
                        ylabel="survival", xlabel=xlabel)

    def __repr__(self) -> str:
        med = self.median()
        lines = [
            (
                f"KaplanMeierResult({self.groups.size} group(s), {self.time.size} rows, "
                f"conf_type={self.conf_type!r}, conf_level={self.conf_level:g})"
            ),
            f"  {'group':<12} {'n':>8} {'events':>9} {'median':>9} {'lower':>9} {'upper':>9}",
        ]
        for i, label in enumerate(self.groups):
            m = med.iloc[i]
            lines.append(
                f"  {str(label)[:12]:<12} {int(self.n[i]):>8d} {self.n_events[i]:>9.6g} "
                f"{m['estimate']:>9.4g} {m['lower']:>9.4g} {m['upper']:>9.4g}"
            )
        return "\n".join(lines)


def kaplan_meier(
    time: Any,
    event: Any,
    group: Any = None,
    *,
    data: Any = None,
    weights: Any = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    timefix: bool = True,
) -> KaplanMeierResult:
    """Kaplan-Meier survival curves, pooled or per group, with Greenwood SEs and pointwise CIs.

    Parameters
    ----------
    time : array-like or column name
        Follow-up times (>= 0).
    event : array-like or column name
        1 (or True) = event, 0 (or False) = censored.
    group : array-like or column name, optional
        One curve per level (levels sorted); None gives one pooled curve labelled ``"all"``.
    data : pandas or polars DataFrame, optional
        If given, ``time``, ``event``, ``group`` and ``weights`` may be column names.
    weights : array-like or column name, optional
        Positive case weights: counts at risk, events and censorings are weighted sums.
    conf_level : float
        Level of the pointwise intervals, in (0, 1).
    conf_type : {"log-log", "log", "plain"}
        Scale of the pointwise intervals; R's default is ``"log"``.
    timefix : bool, default True
        Treat times that differ only by floating-point rounding as one time, as R survival does
        by default (``timefix = TRUE``; :func:`~survtrial.stats.timefix.merge_near_ties`); False takes
        the times exactly as given.

    Returns
    -------
    KaplanMeierResult
        One row per distinct time of each group (censoring-only times included, as R survfit).

    Notes
    -----
    S(t) is the product-limit estimate; SE of S(t) by Greenwood (``std_err``); ``std_err_log`` is
    the SE of log S(t), which is R ``survfit``'s ``std.err``. CIs as R
    ``survfit(conf.type=..., conf.int=...)``: ``log-log`` is exp(-exp(log(-log S) -/+ z se/log S)),
    ``log`` is S exp(-/+ z se) with the upper limit clipped at 1, ``plain`` is S -/+ z se(S)
    clipped to [0, 1]; limits equal S before the first event and are NaN where S = 0. With
    weights, Greenwood's formula uses the weighted counts; this equals R ``survfit(...,
    weights=w)`` for integer weights and ``survfit(..., weights=w, robust=FALSE)`` otherwise (R's
    default for non-integer weights is an infinitesimal-jackknife SE). The cumulative hazard is
    survfit's Nelson-Aalen ``cumhaz = sum d / n`` (tied events counted at once, its default
    ``ctype = 1``) with ``std.chaz = sqrt(sum d / n^2)``, on the same (weighted) counts.

    References
    ----------
    Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations. JASA 53:457-81.
    Greenwood M (1926). The natural duration of cancer. Reports on Public Health 33.
    Therneau TM. The survival package for R, ``survfit.formula`` and ``quantile.survfit``.

    Examples
    --------
    >>> fit = kaplan_meier([6, 6, 6, 7, 10, 13, 16], [1, 1, 0, 1, 0, 1, 1])
    >>> fit.survival.round(4).tolist()
    [0.7143, 0.5357, 0.5357, 0.2679, 0.0]
    >>> float(fit.median()["estimate"].iloc[0])
    13.0
    """
    level, ctype = check_conf(conf_level, conf_type)
    timefix = as_flag(timefix, "timefix")
    t = as_time(column(data, time, "time"), where(data, time, "time"))
    e = as_event(column(data, event, "event"), where(data, event, "event"))
    g_raw = column(data, group, "group")
    w_raw = column(data, weights, "weights")
    check_lengths(len(t), event=e, group=g_raw, weights=w_raw)
    w = None if w_raw is None else as_weights(w_raw, len(t), where(data, weights, "weights"))
    if g_raw is None:
        labels = np.array(["all"])
        parts = [curve_counts(t, e, w)]
        sizes = [t.size]
    else:
        codes, levels = as_labels(g_raw, where(data, group, "group"))
        labels = np.array([str(v) for v in levels])
        rows = split_by(codes, levels.size)
        parts = [curve_counts(t[r], e[r], None if w is None else w[r]) for r in rows]
        sizes = [r.size for r in rows]
    if timefix:  # R's aeqSurv on the count tables (the same as merging the times first)
        parts = merge_curves(parts)
    offsets = np.concatenate(([0], np.cumsum([p[0].size for p in parts]))).astype(np.int64)
    cols = [np.concatenate([p[j] for p in parts]) for j in range(4)]
    tt, n_risk, n_event, n_censor = cols
    surv = np.empty_like(tt)
    gw = np.empty_like(tt)
    for i in range(len(parts)):
        r = slice(offsets[i], offsets[i + 1])
        surv[r], gw[r] = product_limit(n_risk[r], n_event[r])
    se_log = np.sqrt(gw)
    with np.errstate(invalid="ignore"):
        std_err = surv * se_log
    lower, upper = confint(surv, se_log, level, ctype)
    cumhaz = np.empty_like(tt)
    var_chaz = np.empty_like(tt)
    inc = n_event / n_risk  # n_risk > 0 on every row: someone has that time
    for i in range(len(parts)):
        r = slice(offsets[i], offsets[i + 1])
        np.cumsum(inc[r], out=cumhaz[r])
        np.cumsum(inc[r] / n_risk[r], out=var_chaz[r])
    n_events = np.add.reduceat(n_event, offsets[:-1]) if tt.size else np.zeros(len(parts))
    return KaplanMeierResult(
        groups=labels,
        offsets=offsets,
        time=tt,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=n_censor,
        survival=surv,
        std_err=std_err,
        std_err_log=se_log,
        lower=lower,
        upper=upper,
        n=np.asarray(sizes, dtype=np.int64),
        n_events=n_events,
        conf_level=level,
        conf_type=ctype,
        cumhaz=cumhaz,
        std_chaz=np.sqrt(var_chaz),
    )
