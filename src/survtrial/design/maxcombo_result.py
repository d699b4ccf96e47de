"""The result of a group-sequential MaxCombo design: bounds, crossing probabilities, timing, frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from survtrial._repr import HtmlReprMixin
from survtrial.design._nph_looks import LookPlan
from survtrial.design.nph_assumptions import DesignAssumptions
from survtrial.design.spending import SpendingFunction
from survtrial.design.wlr_weights import WlrWeight

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MaxComboDesign"]


@dataclass(frozen=True, repr=False)
class MaxComboDesign(HtmlReprMixin):
    """A group-sequential MaxCombo design; built by :func:`maxcombo_design` or :func:`maxcombo_power`.

    Attributes
    ----------
    tests : tuple of WlrWeight
    tests_by_look : tuple of tuple of int
        Indices of the tests combined at each look.
    assumptions : DesignAssumptions
        Tables with enrolment scaled to the design's sample size.
    time, n, events, ahr : ndarray
        Per look: calendar time, subjects, expected events, average hazard ratio of the tables.
    mean_z : ndarray, shape (K, m)
        Expected z of each test at each look under the alternative (NaN where a test is not used).
    info, info0 : ndarray, shape (K, m)
        Variance of each weighted score under the alternative and under H0.
    upper, lower : ndarray
        Efficacy and futility bounds on the maximum z.
    upper_h1, lower_h1, upper_h0, lower_h0 : ndarray
        Per-look first-crossing probabilities (futility bounds followed).
    alpha_spent : ndarray
        Cumulative type I error (ignoring a non-binding futility bound).
    standard_error : dict
        Monte-Carlo standard errors of the cumulative ``alpha`` and ``power`` (quasi-random integration).
    """

    tests: tuple[WlrWeight, ...]
    tests_by_look: tuple[tuple[int, ...], ...]
    assumptions: DesignAssumptions
    looks: LookPlan
    alpha: float
    beta: float
    binding_futility: bool
    info_scale: str
    alpha_spending: SpendingFunction | None
    beta_spending: SpendingFunction | None
    time: np.ndarray
    n: np.ndarray
    events: np.ndarray
    ahr: np.ndarray
    mean_z: np.ndarray
    info: np.ndarray
    info0: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    upper_h1: np.ndarray
    lower_h1: np.ndarray
    upper_h0: np.ndarray
    lower_h0: np.ndarray
    alpha_spent: np.ndarray
    spending_time: np.ndarray
    sample_size_factor: float
    correlation_h0: np.ndarray
    correlation_h1: np.ndarray
    standard_error: dict[str, np.ndarray] = field(default_factory=dict)

    sided = 1

    @property
    def k(self) -> int:
        return int(self.time.size)

    @property
    def power(self) -> float:
        return float(self.upper_h1.sum())

    @property
    def n_subjects(self) -> float:
        return float(self.n[-1])

    @property
    def max_events(self) -> float:
        return float(self.events[-1])

    @property
    def statistic(self) -> str:
        return "MaxCombo: " + ", ".join(t.label for t in self.tests)

    @property
    def nominal_alpha(self) -> np.ndarray:
        """Nominal one-sided p-value of each efficacy bound for one z, 1 - Phi(upper)."""
        return ndtr(-self.upper)

    def _stop(self, up: np.ndarray, low: np.ndarray) -> np.ndarray:
        stop = up + low
        stop[-1] = max(0.0, 1.0 - stop[:-1].sum())
        return stop

    @property
    def expected_duration(self) -> tuple[float, float]:
        """Expected calendar time at stopping (under H1, under H0), futility bounds followed."""
        return (float(self._stop(self.upper_h1.copy(), self.lower_h1.copy()) @ self.time),
                float(self._stop(self.upper_h0.copy(), self.lower_h0.copy()) @ self.time))

    @property
    def expected_subjects(self) -> tuple[float, float]:
        """Expected subjects randomised by stopping (under H1, under H0), futility bounds followed."""
        return (float(self._stop(self.upper_h1.copy(), self.lower_h1.copy()) @ self.n),
                float(self._stop(self.upper_h0.copy(), self.lower_h0.copy()) @ self.n))

    def to_frame(self) -> pd.DataFrame:
        """One row per look: timing, bounds, crossing probabilities, and each test's expected z."""
        import pandas as pd
        frame = pd.DataFrame(
            {
                "look": np.arange(1, self.k + 1),
                "time": self.time,
                "n": self.n,
                "events": self.events,
                "ahr": self.ahr,
                "spending_time": self.spending_time,
                "efficacy_z": self.upper,
                "futility_z": np.where(np.isfinite(self.lower), self.lower, np.nan),
                "nominal_alpha": self.nominal_alpha,
                "cumulative_alpha": self.alpha_spent,
                "cumulative_power": np.cumsum(self.upper_h1),
                "upper_h0": self.upper_h0,
                "lower_h0": self.lower_h0,
                "upper_h1": self.upper_h1,
                "lower_h1": self.lower_h1,
            }
        )
        for j, t in enumerate(self.tests):
            frame[f"mean_z {t.label}"] = self.mean_z[:, j]
        return frame

    def bounds_frame(self) -> pd.DataFrame:
        """gsDesign2's ``$bound`` layout with cumulative probabilities under H1 and H0."""
        rows = []
        for j in range(self.k):
            rows.append({"look": j + 1, "bound": "upper", "z": self.upper[j],
                         "probability": float(self.upper_h1[: j + 1].sum()),
                         "probability0": float(self.upper_h0[: j + 1].sum()),
                         "nominal_p": float(ndtr(-self.upper[j]))})
            if np.isfinite(self.lower[j]):
                rows.append({"look": j + 1, "bound": "lower", "z": self.lower[j],
                             "probability": float(self.lower_h1[: j + 1].sum()),
                             "probability0": float(self.lower_h0[: j + 1].sum()),
                             "nominal_p": float(ndtr(-self.lower[j]))})
        import pandas as pd
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """One row: tests, subjects, events, duration, power, alpha, expected duration and subjects."""
        dur, subj = self.expected_duration, self.expected_subjects
        import pandas as pd
        return pd.DataFrame([{
            "statistic": self.statistic, "looks": self.k, "n_subjects": self.n_subjects,
            "events": self.max_events, "duration": float(self.time[-1]), "ahr": float(self.ahr[-1]),
            "power": self.power, "alpha": self.alpha, "sided": 1,
            "expected_duration_h1": dur[0], "expected_duration_h0": dur[1],
            "expected_subjects_h1": subj[0], "expected_subjects_h0": subj[1],
        }])

    def __repr__(self) -> str:
        fmt = " ".join
        lines = [
            f"MaxComboDesign({', '.join(t.label for t in self.tests)}; K={self.k}, one-sided alpha={self.alpha:g}, "
            f"power={self.power:.4f})",
            f"  subjects {self.n_subjects:.1f}, events {self.max_events:.1f}, duration {self.time[-1]:.4g}",
            f"  times     : {fmt(f'{x:.4g}' for x in self.time)}",
            f"  efficacy z: {fmt(f'{x:.4f}' for x in self.upper)}",
        ]
        if np.any(np.isfinite(self.lower)):
            lines.append(f"  futility z: {fmt(f'{x:.4f}' for x in self.lower)}")
        return "\n".join(lines)
