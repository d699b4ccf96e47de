"""Restricted mean survival time per group, with the difference and ratio between groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.stats._input import as_event, as_flag, as_labels, as_time, check_lengths, column, where
from survtrial.stats._risksets import tabulate
from survtrial.stats.km import product_limit
from survtrial.stats.timefix import merge_near_ties

__all__ = ["RMSTResult", "restricted_mean_survival_time"]


def _z(level: float) -> float:
    lv = float(level)
    if not 0.0 < lv < 1.0:
        raise InputError(f"conf_level={level!r} must be strictly between 0 and 1 (e.g. 0.95)")
    return float(special.ndtri(0.5 + lv / 2.0))


def _scalar(a: np.ndarray) -> Any:
    return a[0] if a.size == 1 else a


def _two_sided_p(z: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return 2.0 * special.ndtr(-np.abs(z))


@dataclass(frozen=True)
class RMSTResult(HtmlReprMixin):
    """Restricted mean survival time up to ``tau`` per group, and comparisons with the reference.

    Attributes
    ----------
    tau : truncation time; conf_level : level of the default limits.
    groups : (G,) group labels; n, n_event : (G,) numbers of subjects and of events before ``tau``.
    rmst, std_err : (G,) estimates and standard errors (R survfit ``rmean``, ``se(rmean)``).
    reference : label of the reference group; compared : label(s) of the other group(s).
    difference, difference_se, p_value : ``RMST[compared] - RMST[reference]``, its SE and two-sided
        p-value (scalars for two groups, arrays for more, NaN for one group).
    ratio, log_ratio_se, p_value_ratio : ``RMST[compared] / RMST[reference]``, the SE of its log and
        the two-sided p-value of the log-ratio.
    """

    tau: float
    conf_level: float
    groups: np.ndarray
    n: np.ndarray
    n_event: np.ndarray
    rmst: np.ndarray
    std_err: np.ndarray
    reference: Any
    compared: Any
    difference: Any
    difference_se: Any
    p_value: Any
    ratio: Any
    log_ratio_se: Any
    p_value_ratio: Any

    def confidence_interval(self, level: float | None = None, which: str = "rmst"):
        """``(lower, upper)`` for ``which`` = ``"rmst"`` (per group), ``"difference"`` or ``"ratio"``.

        RMST and difference: estimate -/+ z SE. Ratio: ``exp(log ratio -/+ z SE(log ratio))``.
        """
        z = _z(self.conf_level if level is None else level)
        if which == "rmst":
            return self.rmst - z * self.std_err, self.rmst + z * self.std_err
        if which == "difference":
            return self.difference - z * self.difference_se, self.difference + z * self.difference_se
        if which == "ratio":
            with np.errstate(divide="ignore", invalid="ignore"):
                log_r = np.log(self.ratio)
            return np.exp(log_r - z * self.log_ratio_se), np.exp(log_r + z * self.log_ratio_se)
        raise InputError(f"which={which!r}: use 'rmst', 'difference' or 'ratio'")

    def to_frame(self, what: str = "groups"):
        """``what="groups"``: group, n, n_event, tau, rmst, std_err, lower, upper.
        ``what="comparisons"``: comparison, measure, estimate, std_err, lower, upper, p_value
        (for the ratio, ``std_err`` is the SE of the log ratio).
        """
        import pandas as pd

        if what == "groups":
            lo, hi = self.confidence_interval()
            return pd.DataFrame(
                {
                    "group": self.groups,
                    "n": self.n,
                    "n_event": self.n_event,
                    "tau": self.tau,
                    "rmst": self.rmst,
                    "std_err": self.std_err,
                    "lower": lo,
                    "upper": hi,
                }
            )
        if what != "comparisons":
            raise InputError(f"what={what!r}: use 'groups' or 'comparisons'")
        comp = np.atleast_1d(np.asarray(self.compared, dtype=object))
        dlo, dhi = (np.atleast_1d(x) for x in self.confidence_interval(which="difference"))
        rlo, rhi = (np.atleast_1d(x) for x in self.confidence_interval(which="ratio"))
        rows = []
        for i, c in enumerate(comp):
            rows.append(
                (f"{c} - {self.reference}", "difference", np.atleast_1d(self.difference)[i],
                 np.atleast_1d(self.difference_se)[i], dlo[i], dhi[i], np.atleast_1d(self.p_value)[i])
            )
            rows.append(
                (f"{c} / {self.reference}", "ratio", np.atleast_1d(self.ratio)[i],
                 np.atleast_1d(self.log_ratio_se)[i], rlo[i], rhi[i], np.atleast_1d(self.p_value_ratio)[i])
            )
        cols = ["comparison", "measure", "estimate", "std_err", "lower", "upper", "p_value"]
        return pd.DataFrame(rows, columns=cols)

    def __repr__(self) -> str:
        body = ", ".join(
            f"{g}: {r:.4g} (SE {s:.3g})" for g, r, s in zip(self.groups, self.rmst, self.std_err, strict=True)
        )
        lines = [f"RMSTResult(tau={self.tau:g}; {body})"]
        if self.groups.size == 2:
            lo, hi = self.confidence_interval(which="difference")
            lines.append(
                f"  {self.compared} - {self.reference}: {self.difference:.4g} "
                f"({100 * self.conf_level:g}% CI {lo:.4g} to {hi:.4g}), p={self.p_value:.3g}"
            )
        return "\n".join(lines)


def _tau_limit(grid: np.ndarray, present: np.ndarray, surv: np.ndarray, levels: np.ndarray):
    """Largest allowed tau: per group, its last observed time unless its KM has dropped to 0."""
    limit, who, last_t = np.inf, None, None
    for gi in range(levels.size):
        rows = np.flatnonzero(present[:, gi])
        last = rows[-1]
        if surv[last, gi] > 0 and grid[last] < limit:
            limit, who, last_t = grid[last], levels[gi], grid[last]
    return limit, who, last_t


def restricted_mean_survival_time(
    time: Any,
    event: Any,
    group: Any = None,
    *,
    data: Any = None,
    tau: float,
    conf_level: float = 0.95,
    reference: Any = None,
    timefix: bool = True,
) -> RMSTResult:
    """Restricted mean survival time (area under the Kaplan-Meier curve up to ``tau``).

    Parameters
    ----------
    time, event : arrays or column names
        Follow-up times (>= 0) and event indicators (1 = event, 0 = censored).
    group : array or column name, optional
        Groups (arms); each gets its own RMST; with two or more groups every other group is
        compared with ``reference``.
    data : pandas or polars DataFrame, optional
        When given, ``time``, ``event`` and ``group`` are column names.
    tau : float
        Truncation time, in the units of ``time`` (e.g. 3 for three years).
    conf_level : float
        Level of the confidence limits.
    reference : label, optional
        The reference group (default: the first level in sorted order, e.g. 0 of a 0/1 arm code).
        Differences are ``other - reference``, as survRM2's ``arm 1 - arm 0``.
    timefix : bool, default True
        Treat times that differ only by floating-point rounding as one time, as R survival does
        by default (``timefix = TRUE``; :func:`~survtrial.stats.timefix.merge_near_ties`); False takes
        the times exactly as given.

    Returns
    -------
    RMSTResult

    Notes
    -----
    ``RMST = integral_0^tau S(t) dt`` of the Kaplan-Meier step function. Its SE is R's
    ``print(survfit(...), rmean = tau)`` ``se(rmean)``: ``Var = sum_{t_j <= tau} A_j^2 d_j /
    (n_j (n_j - d_j))`` with ``A_j`` the area under S from ``t_j`` to ``tau`` (terms with
    ``n_j = d_j`` are 0); survRM2 uses the same variance. Comparisons as survRM2::rmst2: the
    difference with SE ``sqrt(se_1^2 + se_0^2)`` and a normal (Wald) CI and p-value; the ratio
    on the log scale by the delta method, ``SE(log ratio) = sqrt(se_1^2/rmst_1^2 +
    se_0^2/rmst_0^2)``.

    ``tau`` must not exceed, in any group, that group's largest observed time, unless the group's
    Kaplan-Meier curve has dropped to 0 (then it is 0 beyond and the area is defined): the rule
    survRM2 applies. A larger ``tau`` raises :class:`~survtrial.errors.InputError`.

    References
    ----------
    Royston P, Parmar MKB. Restricted mean survival time: an alternative to the hazard ratio for
    the design and analysis of randomized trials with a time-to-event outcome. BMC Med Res
    Methodol 2013;13:152.
    Uno H, et al. Moving beyond the hazard ratio in quantifying the between-group difference in
    survival analysis. J Clin Oncol 2014;32:2380-2385 (survRM2).

    Examples
    --------
    >>> r = restricted_mean_survival_time([1, 2, 3, 4], [1, 0, 1, 1], tau=3.5)
    >>> print(f"{r.rmst[0]:.4f} (SE {r.std_err[0]:.4f})")
    2.6875 (SE 0.5049)
    """
    timefix = as_flag(timefix, "timefix")
    t = as_time(column(data, time, "time"), where(data, time, "time"))
    if timefix:
        t = merge_near_ties(t)
    e = as_event(column(data, event, "event"), where(data, event, "event"))
    g_raw = column(data, group, "group")
    check_lengths(t.size, time=t, event=e, group=g_raw)
    if g_raw is None:
        g, levels = np.zeros(t.size, dtype=np.int64), np.asarray(["all"], dtype=object)
    else:
        g, levels = as_labels(g_raw, where(data, group, "group"))
        levels = np.asarray(levels.tolist(), dtype=object)  # plain Python labels
    try:
        tau_f = float(tau)
    except (TypeError, ValueError):
        raise InputError(f"tau={tau!r} is not a number; give the truncation time in the units of time") from None
    if not np.isfinite(tau_f) or tau_f <= 0:
        raise InputError(f"tau={tau!r} must be a finite time > 0")
    _z(conf_level)  # validates the level

    G = levels.size
    tab = tabulate(t, g * 2 + e, 2 * G)
    grid = tab.time
    cnt = tab.counts.reshape(-1, G, 2)
    n_risk = tab.at_risk().reshape(-1, G, 2).sum(axis=2)
    d = cnt[:, :, 1]
    surv, _ = product_limit(n_risk, d)
    present = cnt.sum(axis=2) > 0
    limit, who, last_t = _tau_limit(grid, present, surv, levels)
    if tau_f > limit:
        per_group = ", ".join(
            f"{lab!r} {grid[np.flatnonzero(present[:, gi])[-1]]:g}" for gi, lab in enumerate(levels)
        )
        raise InputError(
            f"tau={tau_f:g} is beyond the follow-up of group {who!r}, whose last observed time is "
            f"{last_t:g} (censored, curve not at 0): the Kaplan-Meier area is undefined past it. "
            f"Last follow-up time per group: {per_group}. Use tau <= {limit:g} (rule as survRM2: "
            f"tau <= the smallest last follow-up time among groups whose curve has not dropped to 0)"
        )

    keep = grid <= tau_f
    tk = grid[keep]
    sk = surv[keep]  # (J, G): S on [t_j, t_{j+1})
    widths = np.diff(np.append(tk, tau_f))  # t_{j+1} - t_j, last one up to tau
    pieces = sk * widths[:, None]
    first = (tk[0] if tk.size else tau_f) * np.ones(G)  # S = 1 on [0, t_1)
    rmst = first + pieces.sum(axis=0)
    area_after = np.cumsum(pieces[::-1], axis=0)[::-1]  # A_j = integral from t_j to tau
    nk, dk = n_risk[keep], d[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(nk - dk > 0, dk / (nk * (nk - dk)), 0.0)
    var = (area_after**2 * hh).sum(axis=0)
    se = np.sqrt(var)
    n_event = dk.sum(axis=0)
    n_g = np.bincount(g, minlength=G).astype(np.int64)

    if reference is None:
        ref = 0
    else:
        hits = [i for i, lab in enumerate(levels) if lab == reference or str(lab) == str(reference)]
        if not hits:
            raise InputError(f"reference={reference!r} is not a group; groups: {list(levels)}")
        ref = hits[0]
    others = np.array([i for i in range(G) if i != ref], dtype=np.int64)
    diff = rmst[others] - rmst[ref]
    diff_se = np.sqrt(var[others] + var[ref])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rmst[others] / rmst[ref]
        lr_se = np.sqrt(var[others] / rmst[others] ** 2 + var[ref] / rmst[ref] ** 2)
        p_diff = _two_sided_p(diff / diff_se)
        p_ratio = _two_sided_p(np.log(ratio) / lr_se)
    nan = np.float64(np.nan)
    single = G == 1
    return RMSTResult(
        tau=tau_f,
        conf_level=float(conf_level),
        groups=np.asarray(levels, dtype=object),
        n=n_g,
        n_event=n_event,
        rmst=rmst,
        std_err=se,
        reference=levels[ref],
        compared=None if single else _scalar(np.asarray(levels, dtype=object)[others]),
        difference=nan if single else _scalar(diff),
        difference_se=nan if single else _scalar(diff_se),
        p_value=nan if single else _scalar(p_diff),
        ratio=nan if single else _scalar(ratio),
        log_ratio_se=nan if single else _scalar(lr_se),
        p_value_ratio=nan if single else _scalar(p_ratio),
    )
