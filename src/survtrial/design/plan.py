"""A complete survival trial plan from one validated specification: boundaries, events, subjects, timing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from survtrial._repr import HtmlReprMixin
from survtrial.design._plan_scope import TIME_KEYS, EventsPlan, events_plan, scope
from survtrial.design._validate import key_errors
from survtrial.design.boundaries import group_sequential
from survtrial.design.conditional import conditional_power
from survtrial.design.convention import direction_conflict
from survtrial.design.monitoring import update_design
from survtrial.design.sample_size import SurvivalSampleSizeResult, survival_sample_size
from survtrial.design.targets import noninferiority_margin
from survtrial.errors import InputError
from survtrial.units import canonical_unit

__all__ = ["DesignSpec", "TrialPlan", "parse_spec", "plan_trial"]

Number = float | list[float]


def _proportion(value: Any) -> Any:
    """Accept 0.879 or "87.9%" for survival probabilities and differences."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage such as '87.9%'") from None
    return value


MAX_LOOKS = 50  # the boundary recursion grows with the square of the looks (40 looks: 0.6 s); rpact allows 20


class DesignSpec(BaseModel):
    """Specification of a two-arm survival trial design, as read from YAML/JSON or command-line flags.

    Keys mirror :func:`~survtrial.design.group_sequential` and
    :func:`~survtrial.design.survival_sample_size`; unknown keys are rejected. Survival
    probabilities may be written as proportions (0.879) or percentages ("87.9%").

    ``time_unit`` (days, weeks, months, years) is required as soon as a key holds a time or a
    rate per time (medians, hazards, landmark, accrual, follow-up, dropout time): it is never
    assumed. Boundaries alone (no effect) and events alone (an effect, no accrual or follow-up)
    need no unit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = None
    time_unit: str | None = None
    # error rates and looks
    alpha: float = Field(0.025, gt=0, lt=1)
    power: float = Field(0.8, gt=0, lt=1)
    sided: int = Field(1, ge=1, le=2)
    looks: int | None = Field(None, ge=1, le=MAX_LOOKS)
    information_fractions: list[float] | None = Field(None, max_length=MAX_LOOKS)
    alpha_spending: str = "OF"
    beta_spending: str | None = None
    binding_futility: bool = False
    # effect
    hazard_ratio: float | None = Field(None, gt=0)
    control_hazard: Number | None = None
    control_median: float | None = Field(None, gt=0)
    control_survival: float | None = Field(None, gt=0, lt=1)
    experimental_hazard: float | None = Field(None, gt=0)
    experimental_median: float | None = Field(None, gt=0)
    experimental_survival: float | None = Field(None, gt=0, lt=1)
    landmark_time: float | None = Field(None, gt=0)
    piecewise_times: list[float] | None = None
    noninferiority_margin: float | None = Field(None, gt=0)
    margin_survival_difference: float | None = Field(None, gt=0, lt=1)
    method: str = "schoenfeld"
    allocation_ratio: float = Field(1.0, gt=0)
    # accrual, follow-up, dropout
    accrual_time: Number | None = None
    accrual_intensity: list[float] | None = None
    accrual_rate: list[float] | None = None
    follow_up: float | None = Field(None, ge=0)
    n_subjects: float | None = Field(None, gt=0)
    dropout_rate: Number = 0.0
    dropout_time: float | None = Field(None, gt=0)

    _to_proportion = field_validator(
        "control_survival", "experimental_survival", "margin_survival_difference", mode="before"
    )(_proportion)

    @field_validator("time_unit", mode="before")
    @classmethod
    def _unit(cls, value: Any) -> Any:
        if value is None:
            return value
        try:
            return canonical_unit(value)
        except InputError:
            raise ValueError(f"{value!r} is not a time unit; use days, weeks, months or years") from None

    @model_validator(mode="after")
    def _unit_stated(self) -> DesignSpec:
        timed = [k for k in TIME_KEYS if getattr(self, k) is not None]
        if timed and self.time_unit is None:
            raise ValueError(
                f"{', '.join(timed)} hold times but the time unit is not stated; give time_unit "
                f"(days, weeks, months or years)"
            )
        return self

    @model_validator(mode="after")
    def _margin_needs_baseline(self) -> DesignSpec:
        if self.margin_survival_difference is not None:
            if self.noninferiority_margin is not None:
                raise ValueError("give noninferiority_margin (hazard ratio) or margin_survival_difference, not both")
            if self.control_survival is None:
                raise ValueError("margin_survival_difference needs control_survival (the baseline it is taken from)")
        if (
            self.looks is not None
            and self.information_fractions is not None
            and len(self.information_fractions) != self.looks
        ):
            raise ValueError("looks and information_fractions disagree; give one of them")
        return self

    @property
    def null_hazard_ratio(self) -> float:
        """Hazard ratio under H0: 1, or the non-inferiority margin (converted from a survival difference)."""
        if self.margin_survival_difference is not None:
            return float(noninferiority_margin(self.control_survival, self.margin_survival_difference))
        return 1.0 if self.noninferiority_margin is None else self.noninferiority_margin


def parse_spec(data: Any, source: str = "design specification") -> DesignSpec:
    """Validate a mapping into a :class:`DesignSpec`; errors become one InputError naming each bad key."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping of keys to values, got {type(data).__name__}")
    try:
        return DesignSpec.model_validate(data)
    except ValidationError as err:
        raise key_errors(err, source, DesignSpec.model_fields) from None


@dataclass(frozen=True)
class TrialPlan(HtmlReprMixin):
    """A group-sequential survival design: boundaries (``design``) and events/subjects (``sample_size``).

    ``scope`` says what the specification asked for: "boundaries" (``sample_size`` is None),
    "events" (an :class:`~survtrial.design._plan_scope.EventsPlan`: events, no subjects or timing)
    or "full" (a :class:`~survtrial.design.SurvivalSampleSizeResult`).
    """

    spec: DesignSpec
    design: Any
    sample_size: SurvivalSampleSizeResult | EventsPlan | None
    scope: str = "full"

    @property
    def null_hazard_ratio(self) -> float:
        return self.spec.null_hazard_ratio if self.sample_size is None else self.sample_size.null_hazard_ratio

    def _need_events(self, what: str) -> None:
        if self.sample_size is None:
            raise InputError(f"{what} needs the design's events: give the effect (--hr / hazard_ratio)")

    def hazard_ratio_bounds(self, events: Any) -> pd.DataFrame:
        """Boundaries on the hazard-ratio scale at the given events (null HR x Schoenfeld bound)."""
        frame = self.design.hazard_ratio_bounds(events, self.spec.allocation_ratio)
        for col in frame.columns:
            if col.endswith("_hr"):
                frame[col] = frame[col] * self.null_hazard_ratio
        return frame

    def to_frame(self) -> pd.DataFrame:
        """One row per look: fraction, events, calendar time, subjects, z and HR bounds, alpha spent, power.

        Columns the specification cannot give are left out: events and HR bounds without an effect,
        time and subjects without accrual and follow-up.
        """
        ss = self.sample_size
        d = self.design
        cols: dict[str, Any] = {"look": np.arange(1, d.k + 1), "information_fraction": d.information_fractions}
        if ss is not None:
            cols["events"] = ss.events_per_look
        if self.scope == "full":
            cols |= {"time": ss.look_times, "subjects": ss.subjects_per_look}
        cols |= {"efficacy_z": d.upper, "futility_z": np.where(np.isfinite(d.lower), d.lower, np.nan)}
        if ss is not None:
            hr = self.hazard_ratio_bounds(ss.events_per_look)
            cols |= {"efficacy_hr": hr["efficacy_hr"], "futility_hr": hr["harm_hr" if d.sided == 2 else "futility_hr"]}
        cols |= {"nominal_alpha": d.nominal_alpha, "cumulative_alpha": d.alpha_spent,
                 "cumulative_power": np.cumsum(d.upper_h1)}
        out = pd.DataFrame(cols)
        if d.sided == 2:
            out = out.rename(columns={"futility_z": "lower_z", "futility_hr": "harm_hr"})
        return out

    def monitor(self, events: Any, z: Any, *, final: bool = False, observed_hazard_ratio: Any = None) -> pd.DataFrame:
        """Look-by-look decisions for observed events and z statistics (z > 0 favours experimental).

        Parameters
        ----------
        events, z : sequence of float
            Events and log-rank z statistic at each look carried out so far, in order, in
            survtrial's convention (z > 0 favours the experimental arm; minus the z of
            :func:`~survtrial.stats.logrank_test`, see :mod:`survtrial.design.convention`).
        final : bool
            The last look given is the final analysis (it spends all remaining alpha).
        observed_hazard_ratio : sequence of float, optional
            The hazard ratio (experimental vs control) estimated at each look, e.g. by Cox. Shown
            next to z; ``direction_conflict`` marks looks where the two point in opposite
            directions (most often a z given with the statistics layer's sign).

        Returns
        -------
        pandas.DataFrame
            One row per look: events, information fraction, z, observed HR (Schoenfeld), updated
            efficacy and futility bounds (z and HR), decision, conditional power under the design
            effect and under the current trend (interim looks that continue). Looks after a
            stopping look are reported as not reached.

        Notes
        -----
        Bounds are updated at the observed information fractions (events / maximum events) with
        ``update_design``: alpha is spent as the spending function allows at the observed
        information, bounds of earlier looks stay as used. A futility bound is advisory unless the
        design is binding. Conditional power uses the updated remaining bounds.
        """
        d = np.atleast_1d(np.asarray(events, dtype=float))
        zz = np.atleast_1d(np.asarray(z, dtype=float))
        if d.ndim != 1 or d.size != zz.size or d.size == 0:
            raise InputError(f"events and z: give one value of each per look ({d.size} events, {zz.size} z)")
        if not (np.all(np.isfinite(d)) and np.all(np.isfinite(zz))):
            raise InputError("events and z must be finite numbers")
        if np.any(d <= 0) or np.any(np.diff(d) <= 0):
            raise InputError(f"events={d.tolist()} must be positive and increase from look to look")
        given_hr = None
        if observed_hazard_ratio is not None:
            given_hr = np.atleast_1d(np.asarray(observed_hazard_ratio, dtype=float))
            if given_hr.size != d.size or not np.all(np.isfinite(given_hr)) or np.any(given_hr <= 0):
                raise InputError(f"hazard ratios: give one positive value per look ({d.size}), got {given_hr.tolist()}")
        self._need_events("monitoring")
        dmax = float(self.sample_size.max_events)
        r, hr0 = self.spec.allocation_ratio, self.null_hazard_ratio
        rows, stopped = [], False
        for k in range(1, d.size + 1):
            row: dict[str, Any] = {"look": k, "events": d[k - 1], "information_fraction": d[k - 1] / dmax,
                                   "z": zz[k - 1]}
            row["hazard_ratio"] = hr0 * math.exp(-zz[k - 1] * (1 + r) / math.sqrt(r * d[k - 1]))
            if given_hr is not None:
                row["observed_hazard_ratio"] = float(given_hr[k - 1])
                row["direction_conflict"] = direction_conflict(float(zz[k - 1]), float(given_hr[k - 1]), hr0)
            if stopped:
                rows.append(row | {"decision": "not reached (stopped earlier)"})
                continue
            upd = update_design(self.design, events=d[:k], max_events=dmax, final=final and k == d.size)
            up, low = float(upd.upper[k - 1]), float(upd.lower[k - 1])
            scale = (1 + r) / math.sqrt(r * d[k - 1])
            row |= {
                "efficacy_z": up,
                "futility_z": low if math.isfinite(low) else math.nan,
                "efficacy_hr": hr0 * math.exp(-up * scale),
                "futility_hr": hr0 * math.exp(-low * scale) if math.isfinite(low) else math.nan,
            }
            last = k == upd.k
            if zz[k - 1] >= up:
                row["decision"] = "final: reject H0" if last else "stop: efficacy bound crossed, reject H0"
                stopped = True
            elif zz[k - 1] <= low and upd.sided == 2:
                row["decision"], stopped = "stop: lower bound crossed (experimental worse)", True
            elif zz[k - 1] <= low and upd.binding_futility:
                row["decision"], stopped = "stop: binding futility bound crossed", True
            elif zz[k - 1] <= low:
                row["decision"] = "futility bound crossed (non-binding: stopping advised)"
            else:
                row["decision"] = "final: H0 not rejected" if last else "continue"
            if not last and not stopped:
                cp = conditional_power(upd, float(zz[k - 1]), look=k)
                row |= {"cp_design_effect": cp.design_effect, "cp_current_trend": cp.trend}
            rows.append(row)
        return pd.DataFrame(rows)

    def to_rtf(self, path: Any, *, figure_png: bytes | None = None, overwrite: bool = False) -> Any:
        """The design summary and the looks table (and the boundary figure, PNG bytes, when given) as
        one RTF file with TLF conventions (title, population line, method footnote, page numbers)."""
        from survtrial._tlf import write_rtf
        from survtrial.design._plan_tlf import plan_tlf

        return write_rtf(plan_tlf(self, figure_png), path, overwrite=overwrite, flag="to_rtf path")

    def to_docx(self, path: Any, *, figure_png: bytes | None = None, overwrite: bool = False) -> Any:
        """As :meth:`to_rtf`, as a Word file."""
        from survtrial._tlf import write_docx
        from survtrial.design._plan_tlf import plan_tlf

        return write_docx(plan_tlf(self, figure_png), path, overwrite=overwrite, flag="to_docx path")

    def summary(self) -> dict[str, Any]:
        """Headline numbers as plain Python values (for JSON and the printed table); what the
        specification does not give (events without an effect, subjects and times without
        accrual and follow-up) is None."""
        ss = self.sample_size
        d = self.design
        full = self.scope == "full"
        null_hr = self.null_hazard_ratio
        out: dict[str, Any] = {
            "scope": self.scope,
            "type": "non-inferiority" if null_hr != 1.0 else "superiority",
            "hazard_ratio": None if ss is None else ss.hazard_ratio,
            "null_hazard_ratio": null_hr,
            "alpha": d.alpha,
            "sided": d.sided,
            "power": float(d.power),
            "looks": d.k,
            "method": None if ss is None else ss.method,
            "allocation_ratio": self.spec.allocation_ratio,
            "inflation_factor": float(d.inflation_factor),
            "events_fixed": None if ss is None else ss.events_fixed,
            "max_events": None if ss is None else ss.max_events,
            "max_events_rounded": None if ss is None else math.ceil(ss.max_events - 1e-9),
        }
        for key, attr in (("n_subjects", "n_subjects"), ("accrual_duration", "accrual_duration"),
                          ("follow_up", "follow_up"), ("study_duration", "study_duration"),
                          ("expected_study_duration_h1", "expected_study_duration"),
                          ("expected_subjects_h1", "expected_subjects")):
            out[key] = getattr(ss, attr) if full else None
        out["n_subjects_rounded"] = math.ceil(ss.n_subjects - 1e-9) if full else None
        out["time_unit"] = self.spec.time_unit
        return out


def plan_trial(spec: DesignSpec | dict[str, Any]) -> TrialPlan:
    """Compute the boundaries and the survival sample size for a specification.

    Parameters
    ----------
    spec : DesignSpec or dict
        Design keys (see :class:`DesignSpec`); a dict is validated first.

    Returns
    -------
    TrialPlan
        Boundaries alone when no effect is given; boundaries and events when an effect but no
        accrual or follow-up is given; otherwise also subjects and timing.

    Notes
    -----
    Boundaries from :func:`~survtrial.design.group_sequential` (spending on information
    fractions); events and subjects from :func:`~survtrial.design.survival_sample_size` with that
    design's inflation factor; see both for conventions (rpact-compatible).

    Examples
    --------
    >>> plan = plan_trial({"control_survival": "87.9%", "landmark_time": 3, "hazard_ratio": 0.6,
    ...                    "power": 0.9, "looks": 3, "accrual_time": 5, "follow_up": 2, "time_unit": "years"})
    >>> round(plan.sample_size.max_events, 1), plan.scope
    (163.0, 'full')
    >>> plan_trial({"hazard_ratio": 0.6, "power": 0.9, "looks": 3}).scope   # events alone: no unit needed
    'events'
    """
    if not isinstance(spec, DesignSpec):
        spec = parse_spec(spec)
    what = scope(spec)
    k = spec.looks if spec.information_fractions is None else None
    gs = group_sequential(
        spec.information_fractions,
        k=1 if k is None and spec.information_fractions is None else k,
        alpha=spec.alpha,
        power=spec.power,
        sided=spec.sided,
        alpha_spending=spec.alpha_spending,
        beta_spending=spec.beta_spending,
        binding_futility=spec.binding_futility,
    )
    if what == "boundaries":
        return TrialPlan(spec=spec, design=gs, sample_size=None, scope=what)
    if what == "events":
        return TrialPlan(spec=spec, design=gs, sample_size=events_plan(spec, gs), scope=what)
    if spec.accrual_time is None:
        raise InputError("subjects and timing need the accrual duration: give accrual_time (in time_unit)")
    margin = spec.null_hazard_ratio
    ss = survival_sample_size(
        spec.hazard_ratio,
        control_hazard=spec.control_hazard,
        control_median=spec.control_median,
        control_survival=spec.control_survival,
        experimental_hazard=spec.experimental_hazard,
        experimental_median=spec.experimental_median,
        experimental_survival=spec.experimental_survival,
        landmark_time=spec.landmark_time,
        piecewise_times=spec.piecewise_times,
        noninferiority_margin=None if margin == 1.0 else margin,
        allocation_ratio=spec.allocation_ratio,
        accrual_time=spec.accrual_time,
        accrual_intensity=spec.accrual_intensity,
        accrual_rate=spec.accrual_rate,
        follow_up=spec.follow_up,
        n_subjects=spec.n_subjects,
        dropout_rate=spec.dropout_rate,
        dropout_time=spec.dropout_time,
        method=spec.method,
        design=gs,
    )
    return TrialPlan(spec=spec, design=gs, sample_size=ss, scope=what)
