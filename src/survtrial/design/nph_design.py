"""Group-sequential designs under non-proportional hazards: the result object and the shared builder."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtr

from survtrial._repr import HtmlReprMixin
from survtrial.design import _npe
from survtrial.design import _validate as val
from survtrial.design._nph_looks import LookPlan
from survtrial.design.nph_assumptions import DesignAssumptions
from survtrial.design.spending import SpendingFunction
from survtrial.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NphGroupSequentialDesign"]


@dataclass(frozen=True, repr=False)
class NphGroupSequentialDesign(HtmlReprMixin):
    """A group-sequential design for a non-constant effect; built by :func:`ahr_design`,
    :func:`weighted_logrank_design` and their ``*_power`` counterparts.

    Per-look arrays have one entry per look. z > 0 favours the experimental arm. Probabilities are
    of first crossing at that look when all bounds are followed (``upper_h0`` / ``lower_h0``
    under H0, ``upper_h1`` / ``lower_h1`` under the planning alternative); ``alpha_spent`` is the
    cumulative type I error (ignoring a non-binding futility bound).

    Attributes
    ----------
    method : str
        ``"ahr"`` (log-rank / Cox, average hazard ratio) or ``"wlr"`` (weighted log-rank).
    statistic : str
        Label of the test statistic, e.g. ``"log-rank"`` or ``"FH(0, 0.5)"``.
    assumptions : DesignAssumptions
        The tables with enrolment rates scaled to the design's sample size.
    looks : LookPlan
        How looks were targeted (calendar times, events, information fractions).
    time, n, events : ndarray
        Calendar time, subjects randomised and expected events at each look.
    ahr, theta, info, info0 : ndarray
        Average hazard ratio (for ``wlr`` the weighted AHR), effect theta (> 0 favours
        experimental; -log AHR for ``ahr``), information under the alternative and under H0.
    upper, lower : ndarray
        Efficacy and futility z bounds (``-inf``: none; two-sided: ``lower = -upper``).
    sample_size_factor : float
        Enrolment rates of the input tables were multiplied by this (1 for a power calculation).
    """

    method: str
    statistic: str
    assumptions: DesignAssumptions
    looks: LookPlan
    alpha: float
    beta: float
    sided: int
    binding_futility: bool
    info_scale: str
    futility_under: str
    alpha_spending: SpendingFunction | None
    beta_spending: SpendingFunction | None
    time: np.ndarray
    n: np.ndarray
    events: np.ndarray
    ahr: np.ndarray
    theta: np.ndarray
    info: np.ndarray
    info0: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    upper_h1: np.ndarray
    lower_h1: np.ndarray
    upper_h0: np.ndarray
    lower_h0: np.ndarray
    alpha_spent: np.ndarray
    efficacy_spending_time: np.ndarray
    futility_spending_time: np.ndarray
    sample_size_factor: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        """Number of looks."""
        return int(self.time.size)

    @property
    def power(self) -> float:
        """Probability of crossing an efficacy bound under the alternative (futility bounds followed)."""
        return float(self.upper_h1.sum())

    @property
    def n_subjects(self) -> float:
        """Subjects randomised by the final look."""
        return float(self.n[-1])

    @property
    def max_events(self) -> float:
        """Expected events at the final look."""
        return float(self.events[-1])

    @property
    def information_fraction(self) -> np.ndarray:
        """Information under the alternative at each look over that at the final look."""
        return self.info / self.info[-1]

    @property
    def information_fraction0(self) -> np.ndarray:
        """Information under H0 at each look over that at the final look (events fraction for ``ahr``)."""
        return self.info0 / self.info0[-1]

    @property
    def nominal_alpha(self) -> np.ndarray:
        """One-sided nominal p-value of each efficacy bound, 1 - Phi(upper)."""
        return ndtr(-self.upper)

    def hazard_ratio_at_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Approximate hazard ratios at the efficacy and futility bounds: exp(-z / sqrt(info0)).

        gsDesign2's ``~hr at bound`` (on ``info0``, as its issue #530 settled).
        """
        root = np.sqrt(self.info0)
        with np.errstate(over="ignore", invalid="ignore"):
            low = np.where(np.isfinite(self.lower), np.exp(-self.lower / root), np.nan)
        return np.exp(-self.upper / root), low

    def _stop(self, up: np.ndarray, low: np.ndarray) -> np.ndarray:
        stop = up + low
        stop[-1] = max(0.0, 1.0 - stop[:-1].sum())
        return stop

    @property
    def expected_duration(self) -> tuple[float, float]:
        """Expected calendar time at stopping (under H1, under H0), futility bounds followed."""
        return (float(self._stop(self.upper_h1, self.lower_h1) @ self.time),
                float(self._stop(self.upper_h0, self.lower_h0) @ self.time))

    @property
    def expected_subjects(self) -> tuple[float, float]:
        """Expected subjects randomised by stopping (under H1, under H0), futility bounds followed."""
        return (float(self._stop(self.upper_h1, self.lower_h1) @ self.n),
                float(self._stop(self.upper_h0, self.lower_h0) @ self.n))

    def to_frame(self) -> pd.DataFrame:
        """One row per look: timing, effect, information, bounds (z and HR), crossing probabilities."""
        hr_up, hr_low = self.hazard_ratio_at_bounds()
        lower_name = "futility" if self.sided == 1 else "lower"
        import pandas as pd
        return pd.DataFrame(
            {
                "look": np.arange(1, self.k + 1),
                "time": self.time,
                "n": self.n,
                "events": self.events,
                "ahr": self.ahr,
                "theta": self.theta,
                "info": self.info,
                "info0": self.info0,
                "info_fraction": self.information_fraction,
                "info_fraction0": self.information_fraction0,
                "efficacy_z": self.upper,
                f"{lower_name}_z": np.where(np.isfinite(self.lower), self.lower, np.nan),
                "efficacy_hr": hr_up,
                f"{lower_name}_hr": hr_low,
                "nominal_alpha": self.nominal_alpha,
                "cumulative_alpha": self.alpha_spent,
                "cumulative_power": np.cumsum(self.upper_h1),
                "cumulative_futility_h1": np.cumsum(self.lower_h1),
                "upper_h0": self.upper_h0,
                "lower_h0": self.lower_h0,
                "upper_h1": self.upper_h1,
                "lower_h1": self.lower_h1,
            }
        )

    def bounds_frame(self) -> pd.DataFrame:
        """gsDesign2's ``$bound`` layout: one row per look and bound with cumulative probabilities under H1 and H0."""
        hr_up, hr_low = self.hazard_ratio_at_bounds()
        rows = []
        for j in range(self.k):
            rows.append({"look": j + 1, "bound": "upper", "z": self.upper[j],
                         "probability": float(self.upper_h1[: j + 1].sum()),
                         "probability0": float(self.upper_h0[: j + 1].sum()),
                         "hr_at_bound": hr_up[j], "nominal_p": float(ndtr(-self.upper[j]))})
            if np.isfinite(self.lower[j]):
                rows.append({"look": j + 1, "bound": "lower", "z": self.lower[j],
                             "probability": float(self.lower_h1[: j + 1].sum()),
                             "probability0": float(self.lower_h0[: j + 1].sum()),
                             "hr_at_bound": hr_low[j], "nominal_p": float(ndtr(-self.lower[j]))})
        import pandas as pd
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """One row: statistic, subjects, events, duration, power, alpha, expected duration and subjects."""
        dur, subj = self.expected_duration, self.expected_subjects
        import pandas as pd
        return pd.DataFrame(
            [{
                "statistic": self.statistic,
                "looks": self.k,
                "n_subjects": self.n_subjects,
                "events": self.max_events,
                "duration": float(self.time[-1]),
                "ahr": float(self.ahr[-1]),
                "power": self.power,
                "alpha": self.alpha,
                "sided": self.sided,
                "expected_duration_h1": dur[0],
                "expected_duration_h0": dur[1],
                "expected_subjects_h1": subj[0],
                "expected_subjects_h0": subj[1],
            }]
        )

    def __repr__(self) -> str:
        fmt = " ".join
        lines = [
            f"NphGroupSequentialDesign({self.statistic}, K={self.k}, {'one' if self.sided == 1 else 'two'}-sided "
            f"alpha={self.alpha:g}, power={self.power:.4f}, info scale {self.info_scale})",
            f"  subjects {self.n_subjects:.1f}, events {self.max_events:.1f}, duration {self.time[-1]:.4g}",
            f"  times     : {fmt(f'{x:.4g}' for x in self.time)}",
            f"  events    : {fmt(f'{x:.1f}' for x in self.events)}",
            f"  AHR       : {fmt(f'{x:.4f}' for x in self.ahr)}",
            f"  efficacy z: {fmt(f'{x:.4f}' for x in self.upper)}",
        ]
        if np.any(np.isfinite(self.lower)):
            lines.append(f"  {'futility' if self.sided == 1 else 'lower'} z: "
                         + fmt(f"{x:.4f}" for x in self.lower))
        return "\n".join(lines)


def error_levels(alpha: Any, power: Any, beta: Any, sided: Any) -> tuple[float, float, int]:
    """alpha in (0, 0.5], power (or 1 - beta) in (0, 1) above alpha / sided, sided in {1, 2}."""
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise InputError(f"alpha={alpha!r} is not a number") from None
    if not (0.0 < a <= 0.5):
        raise InputError(f"alpha={alpha!r} must be in (0, 0.5] (the total type I error)")
    b = val.beta_level(beta, power)
    if sided not in (1, 2):
        raise InputError(f"sided={sided!r}: use 1 (one-sided) or 2 (two-sided symmetric)")
    if 1.0 - b <= a / sided:
        raise InputError(f"power 1 - beta = {1 - b:g} must exceed the one-sided alpha {a / sided:g}")
    return a, b, int(sided)


def _fixed(values: Any, k: int, name: str, none: float) -> np.ndarray | None:
    if values is None:
        return None
    a = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    if name == "futility_bounds" and a.size == k - 1:
        a = np.append(a, np.nan)
    if a.size != k:
        raise InputError(f"{name}: need one z bound per look ({k}), got {a.size}")
    a = np.where(np.isnan(a), np.nan, a)
    if np.any(a == -none):
        raise InputError(f"{name}: use {none:g} for 'no bound' at a look, not {-none:g}")
    return a


def bound_spec(
    k: int,
    alpha: float,
    beta: float,
    sided: int,
    alpha_spending: Any,
    beta_spending: Any,
    efficacy_bounds: Any,
    futility_bounds: Any,
    binding_futility: bool,
    futility_under: str,
    fractions0: np.ndarray,
    fractions1: np.ndarray,
    spending_time: Any = None,
) -> _npe.BoundSpec:
    """Validate the boundary arguments shared by every non-proportional-hazards design."""
    eff = _fixed(efficacy_bounds, k, "efficacy_bounds", np.inf)
    fut = _fixed(futility_bounds, k, "futility_bounds", -np.inf)
    if futility_under not in ("h1", "h0"):
        raise InputError(f"futility_under={futility_under!r}: use 'h1' (beta spending under the alternative) or 'h0'")
    if sided == 2 and (beta_spending is not None or fut is not None):
        raise InputError("beta_spending / futility_bounds: a two-sided symmetric design has lower = -upper; "
                         "futility bounds are for one-sided designs (sided=1)")
    if beta_spending is not None and fut is not None:
        raise InputError("give either beta_spending or futility_bounds, not both")
    if eff is not None and np.all(~np.isnan(eff)) and alpha_spending is not None:
        raise InputError("give either alpha_spending or efficacy_bounds (fixed at every look), not both")
    efficacy_times = fractions0
    futility_times = fractions1 if futility_under == "h1" else fractions0
    if spending_time is not None:
        st = np.atleast_1d(np.asarray(spending_time, dtype=float)).ravel()
        if st.size != k or np.any(st <= 0) or np.any(np.diff(st) <= 0) or abs(st[-1] - 1) > 1e-12:
            raise InputError(f"spending_time={st.tolist()}: one fraction per look, increasing in (0, 1], ending at 1")
        efficacy_times = futility_times = st
    need_alpha = eff is None or np.any(np.isnan(eff))
    a_sf = val.spending(alpha_spending if alpha_spending is not None else "OF", efficacy_times, alpha,
                        "alpha_spending") if need_alpha else None
    b_sf = None if beta_spending is None else val.spending(beta_spending, futility_times, beta, "beta_spending")
    return _npe.BoundSpec(
        alpha=alpha, sided=sided, alpha_spending=a_sf, efficacy=eff, beta=beta, beta_spending=b_sf,
        futility=fut, futility_under=futility_under, binding=bool(binding_futility),
        efficacy_times=efficacy_times if spending_time is not None else None,
        futility_times=futility_times if spending_time is not None else None,
    )


def build(
    *,
    method: str,
    statistic: str,
    assumptions: DesignAssumptions,
    looks: LookPlan,
    time: np.ndarray,
    unit: dict[str, np.ndarray],
    spec_of: Callable[[np.ndarray, np.ndarray], _npe.BoundSpec],
    alpha: float,
    beta: float,
    sided: int,
    info_scale: str,
    solve_size: bool,
    convention: str = "survtrial",
    details: dict[str, Any] | None = None,
) -> NphGroupSequentialDesign:
    """Size (or evaluate) a design from per-look quantities of the unscaled tables.

    ``unit`` holds n, events, ahr, theta, info, info0 at the look times for the input tables;
    information, subjects and events are proportional to the enrolment scale.
    """
    if convention not in ("survtrial", "gsdesign2"):
        raise InputError(f"convention={convention!r}: use 'survtrial' (default) or 'gsdesign2'")
    if info_scale not in _npe.INFO_SCALES:
        raise InputError(f"info_scale={info_scale!r}: use 'h0_h1' (default), 'h0' or 'h1'")
    i0_raw, i1_raw = unit["info0"], unit["info"]
    i0, i1 = _npe.scale_information(i0_raw, i1_raw, info_scale)
    _npe.check_information(i0, i1)
    spec = spec_of(i0 / i0[-1], i1 / i1[-1])
    theta = unit["theta"]
    if solve_size:
        factor, b = _npe.design_scale(theta, i0, i1, spec, convention)
    else:
        factor = 1.0
        b = _npe.solve(theta, i0, i1, spec, convention)
    if not math.isfinite(factor) or factor <= 0:
        raise InputError("no sample size reaches the power with these assumptions")
    return NphGroupSequentialDesign(
        method=method,
        statistic=statistic,
        assumptions=assumptions.scaled(factor) if factor != 1.0 else assumptions,
        looks=looks,
        alpha=alpha,
        beta=beta,
        sided=sided,
        binding_futility=spec.binding,
        info_scale=info_scale,
        futility_under=spec.futility_under,
        alpha_spending=spec.alpha_spending,
        beta_spending=spec.beta_spending,
        time=time,
        n=unit["n"] * factor,
        events=unit["events"] * factor,
        ahr=unit["ahr"],
        theta=theta,
        info=i1_raw * factor,
        info0=i0_raw * factor,
        upper=b.upper,
        lower=b.lower,
        upper_h1=b.upper_h1,
        lower_h1=b.lower_h1,
        upper_h0=b.upper_h0,
        lower_h0=b.lower_h0,
        alpha_spent=b.alpha_spent,
        efficacy_spending_time=b.efficacy_times,
        futility_spending_time=b.futility_times,
        sample_size_factor=factor,
        details=details or {},
    )
