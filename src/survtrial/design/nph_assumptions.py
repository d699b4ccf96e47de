"""Planning assumptions as tables: piecewise enrolment, failure, hazard-ratio and dropout rates per stratum."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from survtrial.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DesignAssumptions", "StratumAssumptions", "design_assumptions"]

ENROLL_TABLE = "enroll_rate"
FAIL_TABLE = "fail_rate"
_ENROLL_COLUMNS = ("stratum", "duration", "rate")
_FAIL_COLUMNS = ("stratum", "duration", "fail_rate", "hr", "dropout_rate")
_DEFAULT_STRATUM = "All"


@dataclass(frozen=True, repr=False)
class StratumAssumptions:
    """One stratum's tables as arrays (rows in the order given).

    ``enroll_duration`` / ``enroll_rate``: subjects per time unit (both arms) over consecutive
    calendar periods from the start of enrolment. ``fail_duration`` (last may be ``inf``),
    ``control_hazard``, ``hazard_ratio`` (experimental over control) and ``dropout_hazard`` per
    consecutive period of time since randomisation. ``enroll_rows`` / ``fail_rows`` are the rows of
    the user's tables (1-based), for error messages.
    """

    name: str
    enroll_duration: np.ndarray
    enroll_rate: np.ndarray
    fail_duration: np.ndarray
    control_hazard: np.ndarray
    hazard_ratio: np.ndarray
    dropout_hazard: np.ndarray
    enroll_rows: tuple[int, ...]
    fail_rows: tuple[int, ...]

    @property
    def enroll_breaks(self) -> np.ndarray:
        """Calendar times where the enrolment rate changes, from 0 to the end of enrolment."""
        return np.concatenate([[0.0], np.cumsum(self.enroll_duration)])

    @property
    def fail_starts(self) -> np.ndarray:
        """Start of each failure period (time since randomisation)."""
        return np.concatenate([[0.0], np.cumsum(self.fail_duration[:-1])])

    @property
    def fail_end(self) -> float:
        """End of the last failure period (``inf`` when open-ended)."""
        return float(np.sum(self.fail_duration))

    @property
    def n_subjects(self) -> float:
        """Subjects enrolled in this stratum by the end of enrolment."""
        return float(self.enroll_duration @ self.enroll_rate)

    def __repr__(self) -> str:
        return (
            f"StratumAssumptions({self.name!r}, {self.enroll_rate.size} enrolment period(s), "
            f"{self.control_hazard.size} failure period(s), {self.n_subjects:.4g} subjects)"
        )


@dataclass(frozen=True, repr=False)
class DesignAssumptions:
    """Enrolment, failure, hazard-ratio and dropout assumptions of a two-arm trial, as tables.

    Build with :func:`design_assumptions` (tables) or :meth:`from_keywords` (the keyword API of
    :func:`~survtrial.design.survival_sample_size`). Frozen; :meth:`scaled` returns a copy with
    enrolment rates multiplied (the sample-size search of every design).

    Attributes
    ----------
    strata : tuple of StratumAssumptions
    allocation_ratio : float
        Experimental subjects per control subject.
    """

    strata: tuple[StratumAssumptions, ...]
    allocation_ratio: float

    @property
    def n_subjects(self) -> float:
        """Total subjects enrolled (all strata) by the end of enrolment."""
        return float(sum(s.n_subjects for s in self.strata))

    @property
    def enrollment_duration(self) -> float:
        """Calendar time at which the last stratum stops enrolling."""
        return float(max(s.enroll_breaks[-1] for s in self.strata))

    @property
    def proportional_hazards(self) -> bool:
        """True when every period of every stratum has the same hazard ratio."""
        hrs = np.concatenate([s.hazard_ratio for s in self.strata])
        return bool(np.all(hrs == hrs[0]))

    @property
    def shares(self) -> tuple[float, float]:
        """Proportion randomised to (experimental, control)."""
        r = self.allocation_ratio
        return r / (1.0 + r), 1.0 / (1.0 + r)

    def scaled(self, factor: float) -> DesignAssumptions:
        """A copy with every enrolment rate multiplied by ``factor`` (> 0): same timing, more subjects."""
        f = float(factor)
        if not (math.isfinite(f) and f > 0):
            raise InputError(f"factor={factor!r}: enrolment rates can only be scaled by a finite number > 0")
        return replace(self, strata=tuple(replace(s, enroll_rate=s.enroll_rate * f) for s in self.strata))

    def enrollment_frame(self) -> pd.DataFrame:
        """The enrolment table (stratum, duration, rate), as gsDesign2's ``enroll_rate``."""
        import pandas as pd
        return pd.DataFrame(
            [
                {"stratum": s.name, "duration": d, "rate": r}
                for s in self.strata
                for d, r in zip(s.enroll_duration, s.enroll_rate, strict=True)
            ]
        )

    def failure_frame(self) -> pd.DataFrame:
        """The failure table (stratum, duration, fail_rate, hr, dropout_rate), as gsDesign2's ``fail_rate``."""
        rows = []
        for s in self.strata:
            for d, lam, hr, phi in zip(
                s.fail_duration, s.control_hazard, s.hazard_ratio, s.dropout_hazard, strict=True
            ):
                rows.append({"stratum": s.name, "duration": d, "fail_rate": lam, "hr": hr, "dropout_rate": phi})
        import pandas as pd
        return pd.DataFrame(rows)

    def check_follow_up(self, horizon: float, what: str = "the analysis") -> None:
        """InputError when a stratum's failure table ends before follow-up ``horizon`` is reached."""
        for s in self.strata:
            end = s.fail_end
            if math.isfinite(end) and horizon > end * (1 + 1e-12):
                raise InputError(
                    f"table {FAIL_TABLE!r}, stratum {s.name!r}, row {s.fail_rows[-1]}, column 'duration': the "
                    f"failure periods end at follow-up {end:g} but {what} at calendar time {horizon:.6g} needs "
                    f"follow-up up to {horizon:.6g}; make the last duration inf (open-ended)"
                )

    @classmethod
    def from_keywords(cls, **keywords: Any) -> DesignAssumptions:
        """Tables from the keyword API of :func:`~survtrial.design.survival_sample_size` (one planning case).

        Takes ``hazard_ratio`` (or an experimental target), a control target, ``piecewise_times``,
        ``allocation_ratio``, ``accrual_time`` with ``accrual_rate`` (closed) or
        ``accrual_intensity`` with ``n_subjects``, and ``dropout_rate`` / ``dropout_time``. The
        result is the proportional-hazards special case: one stratum, one hazard ratio.

        Examples
        --------
        >>> a = DesignAssumptions.from_keywords(hazard_ratio=0.7, control_median=12, accrual_time=24,
        ...                                     n_subjects=400, dropout_rate=0.05, dropout_time=12)
        >>> round(a.n_subjects, 6), a.proportional_hazards
        (400.0, True)
        """
        from survtrial.design._assumptions import assumptions
        from survtrial.design.timing import fixed_subjects_model

        if "follow_up" in keywords:
            raise InputError("from_keywords: give the number of subjects (n_subjects or accrual_rate), not follow_up")
        a = assumptions(**keywords)
        if a.n != 1:
            raise InputError("from_keywords: give one planning case (scalars), not a grid")
        model, end = fixed_subjects_model(a)
        if model.dropout_hazard[0] != model.dropout_hazard[1]:
            raise InputError(
                "dropout_rate: the tables hold one dropout rate per period for both arms; give one dropout_rate"
            )
        breaks = np.minimum(a.accrual_breaks, end[0])
        keep = np.diff(breaks) > 0
        durations = np.diff(breaks)[keep]
        rates = model.accrual_rates[0][keep]
        starts = a.survival_starts
        fail_duration = np.append(np.diff(starts), np.inf)
        m = starts.size
        enroll = {"duration": durations, "rate": rates}
        fail = {
            "duration": fail_duration,
            "fail_rate": a.control_hazard[0],
            "hr": np.full(m, a.hazard_ratio[0]),
            "dropout_rate": np.full(m, model.dropout_hazard[0]),
        }
        return design_assumptions(enroll, fail, allocation_ratio=a.allocation_ratio)

    def __repr__(self) -> str:
        names = ", ".join(repr(s.name) for s in self.strata)
        ph = "proportional hazards" if self.proportional_hazards else "piecewise hazard ratio"
        return (
            f"DesignAssumptions({len(self.strata)} stratum/strata [{names}], {self.n_subjects:.4g} subjects, "
            f"enrolment over {self.enrollment_duration:.4g}, {ph}, allocation {self.allocation_ratio:g}:1)"
        )


def _table(data: Any, table: str, allowed: Sequence[str]) -> dict[str, list[Any]]:
    """Columns of a pandas/polars frame, a dict of columns or a list of row dicts, as lists."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        cols = {str(c): data[c].tolist() for c in data.columns}
    elif hasattr(data, "to_dict") and hasattr(data, "columns") and not isinstance(data, Mapping):
        try:  # polars
            cols = {str(k): list(v) for k, v in data.to_dict(as_series=False).items()}
        except TypeError:
            cols = {str(c): list(data[c]) for c in data.columns}
    elif isinstance(data, Mapping):
        raw = {str(k): v for k, v in data.items()}
        lengths = {k: len(v) for k, v in raw.items() if not isinstance(v, str) and np.ndim(v) > 0}
        n = max(lengths.values(), default=1)
        bad = [k for k, size in lengths.items() if size not in (1, n)]
        if bad:
            raise InputError(
                f"table {table!r}: columns differ in length ({', '.join(f'{k!r} has {lengths[k]}' for k in bad)}, "
                f"others {n}); give one value per row (or one value for all rows)"
            )
        cols = {}
        for k, v in raw.items():
            if k in lengths:
                values = list(np.asarray(v, dtype=object).ravel()) if not isinstance(v, list) else list(v)
                cols[k] = values * n if len(values) == 1 else values
            else:
                cols[k] = [v] * n
    elif isinstance(data, Sequence) and not isinstance(data, str) and all(isinstance(r, Mapping) for r in data):
        keys: list[str] = []
        for r in data:
            keys += [str(k) for k in r if str(k) not in keys]
        cols = {k: [r.get(k) for r in data] for k in keys}
    else:
        raise InputError(
            f"table {table!r}: expected a pandas or polars DataFrame, a dict of columns or a list of row "
            f"dicts, got {type(data).__name__}"
        )
    unknown = [c for c in cols if c not in allowed]
    if unknown:
        raise InputError(f"table {table!r}: unknown column(s) {unknown}; columns are {', '.join(allowed)}")
    if not cols or max(len(v) for v in cols.values()) == 0:
        raise InputError(f"table {table!r}: no rows; give at least one period")
    return cols


def _numbers(cols: dict[str, list[Any]], name: str, table: str, default: float | None) -> np.ndarray:
    n = max(len(v) for v in cols.values())
    if name not in cols:
        if default is None:
            raise InputError(f"table {table!r}: column {name!r} is missing")
        return np.full(n, float(default))
    out = np.empty(n)
    for i, v in enumerate(cols[name]):
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            raise InputError(f"table {table!r}, row {i + 1}, column {name!r}: {v!r} is not a number") from None
        if math.isnan(out[i]):
            raise InputError(f"table {table!r}, row {i + 1}, column {name!r}: missing value")
    return out


def _check(values: np.ndarray, ok: np.ndarray, table: str, column: str, rule: str) -> None:
    bad = np.flatnonzero(~ok)
    if bad.size:
        i = int(bad[0])
        raise InputError(f"table {table!r}, row {i + 1}, column {column!r}: {values[i]!r} {rule}")


def _strata(cols: dict[str, list[Any]], n: int) -> list[str]:
    if "stratum" not in cols:
        return [_DEFAULT_STRATUM] * n
    return [str(v) for v in cols["stratum"]]


def design_assumptions(enroll_rate: Any, fail_rate: Any, *, allocation_ratio: float = 1.0) -> DesignAssumptions:
    """Validate enrolment and failure tables into one frozen :class:`DesignAssumptions`.

    Parameters
    ----------
    enroll_rate : DataFrame (pandas or polars), dict of columns or list of row dicts
        Columns ``duration`` (> 0, finite) and ``rate`` (subjects per time unit, both arms, >= 0),
        optionally ``stratum``: consecutive calendar periods from the start of enrolment, per
        stratum (gsDesign2's ``enroll_rate``).
    fail_rate : same forms
        Columns ``duration`` (> 0; the last period of a stratum may be ``inf``, open-ended),
        ``fail_rate`` (control-arm hazard, >= 0), ``hr`` (experimental over control hazard, > 0;
        default 1), ``dropout_rate`` (exponential dropout hazard of both arms, >= 0; default 0),
        optionally ``stratum``: consecutive periods of time since randomisation (gsDesign2's
        ``fail_rate``). A scalar in a dict of columns applies to every row.
    allocation_ratio : float, default 1
        Experimental subjects per control subject.

    Returns
    -------
    DesignAssumptions

    Notes
    -----
    Rates are per the same time unit as durations. Strata named in one table must appear in the
    other; without a ``stratum`` column a table is one stratum named ``"All"``. A failure table
    whose last period is finite is accepted, but any calculation that needs follow-up beyond its
    end raises an error naming the row (make the last duration ``inf``). Errors name the table,
    the row (1-based, as given) and the column.

    Examples
    --------
    gsDesign2's default tables (delayed effect: HR 0.9 for 3 months, 0.6 after):

    >>> a = design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
    ...                        {"duration": [3, 100], "fail_rate": [0.0770, 0.0385], "hr": [0.9, 0.6],
    ...                         "dropout_rate": 0.001})
    >>> a.n_subjects
    108.0
    """
    r = _positive_number(allocation_ratio, "allocation_ratio")
    e = _table(enroll_rate, ENROLL_TABLE, _ENROLL_COLUMNS)
    f = _table(fail_rate, FAIL_TABLE, _FAIL_COLUMNS)
    e_dur = _numbers(e, "duration", ENROLL_TABLE, None)
    e_rate = _numbers(e, "rate", ENROLL_TABLE, None)
    _check(e_dur, np.isfinite(e_dur) & (e_dur > 0), ENROLL_TABLE, "duration", "must be a finite duration > 0")
    _check(e_rate, np.isfinite(e_rate) & (e_rate >= 0), ENROLL_TABLE, "rate", "must be a finite rate >= 0")
    f_dur = _numbers(f, "duration", FAIL_TABLE, None)
    lam = _numbers(f, "fail_rate", FAIL_TABLE, None)
    hr = _numbers(f, "hr", FAIL_TABLE, 1.0)
    phi = _numbers(f, "dropout_rate", FAIL_TABLE, 0.0)
    _check(f_dur, f_dur > 0, FAIL_TABLE, "duration", "must be a duration > 0 (inf for an open-ended last period)")
    _check(lam, np.isfinite(lam) & (lam >= 0), FAIL_TABLE, "fail_rate", "must be a finite hazard rate >= 0")
    _check(hr, np.isfinite(hr) & (hr > 0), FAIL_TABLE, "hr",
           "must be a finite hazard ratio > 0 (experimental over control; an HR of 0 would mean no events)")
    _check(phi, np.isfinite(phi) & (phi >= 0), FAIL_TABLE, "dropout_rate", "must be a finite dropout hazard >= 0")
    e_strata, f_strata = _strata(e, e_dur.size), _strata(f, f_dur.size)
    names = list(dict.fromkeys(e_strata))
    missing = [s for s in names if s not in f_strata] + [s for s in dict.fromkeys(f_strata) if s not in names]
    if missing:
        where = FAIL_TABLE if missing[0] in names else ENROLL_TABLE
        raise InputError(
            f"table {where!r}, column 'stratum': stratum {missing[0]!r} has no rows there; every stratum needs "
            f"rows in both {ENROLL_TABLE!r} and {FAIL_TABLE!r}"
        )
    strata = []
    for name in names:
        ei = np.array([i for i, s in enumerate(e_strata) if s == name])
        fi = np.array([i for i, s in enumerate(f_strata) if s == name])
        inf_rows = fi[np.isinf(f_dur[fi])]
        if inf_rows.size and inf_rows[0] != fi[-1]:
            raise InputError(
                f"table {FAIL_TABLE!r}, row {inf_rows[0] + 1}, column 'duration': only the last period of "
                f"stratum {name!r} may be open-ended (inf)"
            )
        if not np.any(e_rate[ei] > 0):
            raise InputError(
                f"table {ENROLL_TABLE!r}, row {ei[0] + 1}, column 'rate': stratum {name!r} enrols nobody "
                "(every rate is 0)"
            )
        if not np.any(lam[fi] > 0):
            raise InputError(
                f"table {FAIL_TABLE!r}, row {fi[0] + 1}, column 'fail_rate': stratum {name!r} has no events "
                "(every failure rate is 0)"
            )
        strata.append(
            StratumAssumptions(
                name=name,
                enroll_duration=e_dur[ei],
                enroll_rate=e_rate[ei],
                fail_duration=f_dur[fi],
                control_hazard=lam[fi],
                hazard_ratio=hr[fi],
                dropout_hazard=phi[fi],
                enroll_rows=tuple(int(i) + 1 for i in ei),
                fail_rows=tuple(int(i) + 1 for i in fi),
            )
        )
    return DesignAssumptions(strata=tuple(strata), allocation_ratio=r)


def _positive_number(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a number") from None
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{name}={value!r} must be a finite number > 0")
    return v


def as_assumptions(value: Any) -> DesignAssumptions:
    """A DesignAssumptions, or a pair / mapping of tables (``enroll_rate``, ``fail_rate``) to validate."""
    if isinstance(value, DesignAssumptions):
        return value
    if isinstance(value, Mapping) and {"enroll_rate", "fail_rate"} <= set(value):
        extra = set(value) - {"enroll_rate", "fail_rate", "allocation_ratio"}
        if extra:
            raise InputError(f"assumptions: unknown key(s) {sorted(extra)}; keys are enroll_rate, fail_rate, "
                             "allocation_ratio")
        return design_assumptions(value["enroll_rate"], value["fail_rate"],
                                  allocation_ratio=value.get("allocation_ratio", 1.0))
    raise InputError(
        f"assumptions: expected DesignAssumptions (see design_assumptions) or a mapping with enroll_rate and "
        f"fail_rate tables, got {type(value).__name__}"
    )
