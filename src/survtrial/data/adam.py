"""CDISC ADaM readers and validation: ADSL + ADTTE (+ ADAE) into one analysis-ready data set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from survtrial.data.io import read_table
from survtrial.data.units import UNIT_TO_YEARS, resolve_time_unit, unit_column_values
from survtrial.errors import InputError
from survtrial.units import unit_in_name

__all__ = ["ARM_CANDIDATES", "ARM_CODES", "UNIT_TO_YEARS", "AnalysisData", "load_adam", "prepare_adam"]

ARM_CANDIDATES = ("TRT01P", "TRT01A", "ARM", "ACTARM", "TRTP", "TRTA")
#: The numeric (or numeric-coded) variable that orders each arm variable's values: the lowest code
#: is the control arm (survtrial.analysis.arms). ARMCD/ACTARMCD count only when every code is a number.
ARM_CODES = {"TRT01P": "TRT01PN", "TRT01A": "TRT01AN", "TRTP": "TRTPN", "TRTA": "TRTAN",
             "ARM": "ARMCD", "ACTARM": "ACTARMCD"}
GRADE_CANDIDATES = ("AETOXGR", "ATOXGR", "AETOXGRN", "ATOXGRN", "ASEV", "AESEV")
MAX_LISTED = 10


@dataclass(frozen=True)
class AnalysisData:
    """An analysis-ready trial data set in survtrial's standard column names.

    Attributes
    ----------
    subjects : one row per analysed subject: ``subject_id, arm, time`` (AVAL, in ``time_unit``), ``event`` (1 =
        event, 0 = censored), ``event_type`` (``"censored"`` or the event description), plus the
        requested ADSL variables under their own names.
    adverse_events : one row per adverse event (treatment-emergent only when TRTEMFL exists):
        ``subject_id, arm, term, body_system, grade`` (grade numeric where it can be, else NaN).
        None when no ADAE was given.
    randomized : ADSL subjects per arm (the denominator for safety and the subject flow).
    paramcd, param : the analysed parameter's code and its description (PARAM, None if absent).
    time_unit : unit of AVAL (days, weeks, months, years) and where it was stated (``time_unit_source``).
    arm_variable : the ADSL arm variable; ``arm_codes`` the code of each arm from its numeric
        companion (``arm_code_variable``, e.g. TRT01PN), None when the data have none.
    """

    subjects: pd.DataFrame
    adverse_events: pd.DataFrame | None
    randomized: pd.Series
    paramcd: str
    time_unit: str
    arm_variable: str
    notes: tuple[str, ...] = field(default=())
    param: str | None = None
    time_unit_source: str = ""
    arm_codes: dict[str, float] | None = None
    arm_code_variable: str | None = None


def _require(frame: pd.DataFrame, name: str, needed: Sequence[str], hint: str = "") -> None:
    missing = [v for v in needed if v not in frame.columns]
    if missing:
        raise InputError(
            f"{name}: required variable(s) {', '.join(missing)} missing; found: "
            f"{', '.join(map(str, frame.columns))}" + (f". {hint}" if hint else "")
        )


_FILE_ROW = "__file_row__"  # the 1-based row of the data set a record came from (kept through filters)


def _row_ref(frame: pd.DataFrame, pos: int) -> str:
    sid = frame["USUBJID"].iloc[pos] if "USUBJID" in frame.columns else None
    row = int(frame[_FILE_ROW].iloc[pos]) if _FILE_ROW in frame.columns else pos + 1
    return f"row {row}" + (f" (USUBJID {_plain(sid)!r})" if sid is not None else "")


def _plain(value: Any) -> Any:
    """A cell as the user wrote it: ``-3.0``, not numpy's ``np.float64(-3.0)``."""
    return value.item() if isinstance(value, np.generic) else value


def _listed(values: Sequence[Any]) -> str:
    vals = list(values)
    shown = ", ".join(repr(v) for v in vals[:MAX_LISTED])
    more = f" and {len(vals) - MAX_LISTED} more" if len(vals) > MAX_LISTED else ""
    return f"{shown}{more}"


def _strip(s: pd.Series) -> pd.Series:
    """Strip blanks from text values (blank -> missing); numbers pass through. Works on the
    distinct values only, so a million-row ADAE costs what its few hundred terms cost."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        clean = pd.Series(uniques).astype("string").str.strip().replace("", pd.NA)
        out = pd.Series(pd.array(clean.to_numpy(), dtype="string")[np.maximum(codes, 0)], index=s.index)
        return out.where(codes >= 0, pd.NA)
    return s


def _check_duplicates(frame: pd.DataFrame, name: str, keys: list[str]) -> None:
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        first = frame.loc[dup, keys].drop_duplicates()
        vals = [tuple(r) if len(keys) > 1 else r[0] for r in first.itertuples(index=False)]
        pos = np.flatnonzero(dup.to_numpy())[:MAX_LISTED]
        rows = (frame[_FILE_ROW].to_numpy()[pos] if _FILE_ROW in frame.columns else pos + 1).tolist()
        raise InputError(
            f"{name}: duplicated {' x '.join(keys)}: {_listed(vals)} (rows {rows}); "
            f"each must appear once"
        )


def _times(adtte: pd.DataFrame, time_unit: str | None) -> tuple[np.ndarray, str, str]:
    """AVAL as numbers, in the unit stated by AVALU, PARAM and --time-unit (all that say one must agree)."""
    aval = pd.to_numeric(adtte["AVAL"], errors="coerce")
    bad = aval.isna().to_numpy() | (aval.to_numpy() < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raw = _plain(adtte["AVAL"].iloc[pos])
        raise InputError(
            f"ADTTE {_row_ref(adtte, pos)}: AVAL = {raw!r} is missing or negative "
            f"({int(bad.sum())} such row(s)); AVAL must be a time >= 0"
        )
    avalu = unit_column_values(adtte["AVALU"], "AVALU", "ADTTE") if "AVALU" in adtte.columns else None
    if avalu is None and time_unit is None:
        what = "no AVALU variable" if "AVALU" not in adtte.columns else "AVALU is blank"
        raise InputError(
            f"ADTTE: {what} to tell the time unit of AVAL; give it with --time-unit (days, weeks, "
            f"months or years)"
        )
    params = _strip(adtte["PARAM"]).dropna().unique().tolist() if "PARAM" in adtte.columns else []
    in_param = unit_in_name(str(params[0])) if len(params) == 1 else None
    unit, source = resolve_time_unit(
        [("--time-unit", time_unit), ("AVALU", avalu),
         (f"PARAM {params[0]!r}" if params else "PARAM", in_param)],
        where="ADTTE", column="AVAL")
    return aval.to_numpy(dtype=float), unit, source


def _arm_codes(adsl: pd.DataFrame, arm_var: str) -> tuple[dict[str, float] | None, str | None]:
    """Each arm's code from the arm variable's numeric companion (TRT01P -> TRT01PN), if present."""
    code_var = ARM_CODES.get(arm_var)
    if code_var is None or code_var not in adsl.columns:
        return None, None
    raw = _strip(adsl[code_var])
    codes = pd.to_numeric(raw, errors="coerce")
    if codes.isna().any():
        if code_var.endswith("CD"):
            return None, None  # character arm codes (ARMCD 'A', 'PBO') do not order the arms
        pos = int(np.flatnonzero(codes.isna().to_numpy())[0])
        raise InputError(f"ADSL {_row_ref(adsl, pos)}: {code_var} = {adsl[code_var].iloc[pos]!r} is not a number")
    pairs = pd.DataFrame({"arm": adsl[arm_var].astype(str), "code": codes}).drop_duplicates()
    twice = pairs["arm"][pairs["arm"].duplicated()].unique().tolist()
    if twice:
        found = pairs[pairs["arm"] == twice[0]]["code"].tolist()
        raise InputError(f"ADSL: {arm_var} {twice[0]!r} has several {code_var} codes {found}; each arm needs one")
    shared = pairs["code"][pairs["code"].duplicated()].unique().tolist()
    if shared:
        arms = pairs[pairs["code"] == shared[0]]["arm"].tolist()
        raise InputError(f"ADSL: {code_var} {shared[0]:g} is the code of several arms {arms}; codes must differ")
    return dict(zip(pairs["arm"], pairs["code"].astype(float), strict=True)), code_var


def _event_indicator(adtte: pd.DataFrame) -> np.ndarray:
    cnsr = pd.to_numeric(adtte["CNSR"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(cnsr) | (cnsr < 0) | (cnsr != np.round(cnsr))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"ADTTE {_row_ref(adtte, pos)}: CNSR = {_plain(adtte['CNSR'].iloc[pos])!r}; CNSR must be an "
            f"integer >= 0 (0 = event, >= 1 = censored) ({int(bad.sum())} such row(s))"
        )
    return (cnsr == 0).astype(np.int64)  # ADaM: CNSR = 0 is an event


def _event_types(adtte: pd.DataFrame, event: np.ndarray, column: str | None) -> np.ndarray:
    col = column or ("EVNTDESC" if "EVNTDESC" in adtte.columns else None)
    out = np.full(event.size, "censored", dtype=object)
    if col is None:
        out[event == 1] = "event"
        return out
    if col not in adtte.columns:
        raise InputError(f"ADTTE: event-type variable {col!r} not found; found: {list(adtte.columns)}")
    desc = _strip(adtte[col]).fillna("event").astype(str).to_numpy()
    out[event == 1] = desc[event == 1]
    return out


def prepare_adam(
    adsl: pd.DataFrame,
    adtte: pd.DataFrame,
    adae: pd.DataFrame | None = None,
    *,
    paramcd: str | None = None,
    arm_var: str | None = None,
    variables: Sequence[str] = (),
    time_unit: str | None = None,
    event_type_var: str | None = None,
) -> AnalysisData:
    """Validate ADaM frames and join them into an :class:`AnalysisData`.

    Parameters
    ----------
    adsl, adtte, adae : ADaM frames (ADAE optional).
    paramcd : the ADTTE parameter to analyse (e.g. ``"DFS"``); may be omitted when ADTTE holds one.
    arm_var : ADSL arm variable; default: the first of TRT01P, TRT01A, ARM, ACTARM, TRTP, TRTA found.
        Its numeric companion (TRT01PN...; see :data:`ARM_CODES`) is read when present: the lowest
        code marks the control arm.
    variables : ADSL variables to carry (stratification factors, subgroups).
    time_unit : unit of AVAL. Needed when AVALU is absent or blank; when AVALU (or a unit in PARAM)
        says another unit the data are refused, naming both. Times stay in this unit.
    event_type_var : ADTTE variable holding the event type (default EVNTDESC if present).

    Notes
    -----
    ADaM convention: ``CNSR = 0`` is an event and ``CNSR >= 1`` a censoring. Treatment-emergent
    adverse events only (``TRTEMFL == 'Y'``) when ADAE has TRTEMFL.
    """
    _require(adsl, "ADSL", ["USUBJID"])
    _require(adtte, "ADTTE", ["USUBJID", "PARAMCD", "AVAL", "CNSR"])
    if arm_var is None:
        arm_var = next((v for v in ARM_CANDIDATES if v in adsl.columns), None)
        if arm_var is None:
            raise InputError(
                f"ADSL: no arm variable found (looked for {', '.join(ARM_CANDIDATES)}); "
                f"name it with arm_var= / --arm-var"
            )
    _require(adsl, "ADSL", [arm_var, *variables], "check --arm-var/--strata/--subgroups names")
    adsl = adsl.copy()
    adsl["USUBJID"] = _strip(adsl["USUBJID"])
    adsl[arm_var] = _strip(adsl[arm_var])
    _check_duplicates(adsl, "ADSL", ["USUBJID"])
    no_arm = adsl[arm_var].isna().to_numpy()
    if no_arm.any():
        pos = int(np.flatnonzero(no_arm)[0])
        raise InputError(f"ADSL {_row_ref(adsl, pos)}: {arm_var} is blank; every subject needs an arm")

    adtte = adtte.copy()
    adtte[_FILE_ROW] = np.arange(1, len(adtte) + 1)
    adtte["USUBJID"] = _strip(adtte["USUBJID"])
    adtte["PARAMCD"] = _strip(adtte["PARAMCD"])
    params = adtte["PARAMCD"].dropna().unique().tolist()
    if paramcd is None:
        if len(params) != 1:
            raise InputError(f"ADTTE holds parameters {sorted(map(str, params))}; choose one with --paramcd")
        paramcd = str(params[0])
    if paramcd not in params:
        raise InputError(f"ADTTE: PARAMCD {paramcd!r} not found; the data set has {sorted(map(str, params))}")
    tte = adtte.loc[adtte["PARAMCD"] == paramcd].reset_index(drop=True)
    _check_duplicates(tte, "ADTTE", ["USUBJID", "PARAMCD"])
    unknown = sorted(set(tte["USUBJID"].dropna()) - set(adsl["USUBJID"].dropna()))
    if unknown:
        raise InputError(
            f"ADTTE: {len(unknown)} subject(s) not in ADSL: {_listed(unknown)}; every ADTTE subject "
            f"must have an ADSL record"
        )
    times, unit, unit_source = _times(tte, time_unit)
    event = _event_indicator(tte)
    etype = _event_types(tte, event, event_type_var)
    codes, code_var = _arm_codes(adsl, arm_var)
    param = None
    if "PARAM" in tte.columns:
        texts = _strip(tte["PARAM"]).dropna().unique().tolist()
        param = str(texts[0]) if len(texts) == 1 else None

    subjects = pd.DataFrame({"subject_id": tte["USUBJID"].astype(str).to_numpy(), "time": times,
                             "event": event, "event_type": etype})
    keep = adsl[["USUBJID", arm_var, *variables]].rename(columns={"USUBJID": "subject_id", arm_var: "arm"})
    keep["subject_id"] = keep["subject_id"].astype(str)
    subjects = subjects.merge(keep, on="subject_id", how="left", validate="one_to_one")
    subjects["arm"] = subjects["arm"].astype(str)
    randomized = adsl[arm_var].astype(str).value_counts().sort_index()
    analysed = subjects["arm"].value_counts()
    empty = [a for a in randomized.index if analysed.get(a, 0) == 0]
    if empty:
        raise InputError(
            f"arm(s) {empty} have no subjects with PARAMCD {paramcd!r} in ADTTE; "
            f"check {arm_var} values or the ADTTE parameter"
        )
    if randomized.size < 2:
        raise InputError(f"ADSL: {arm_var} has one level {list(randomized.index)}; two arms are needed")
    ae = _prepare_adae(adae, adsl, arm_var) if adae is not None else None
    return AnalysisData(subjects=subjects, adverse_events=ae, randomized=randomized,
                        paramcd=paramcd, time_unit=unit, arm_variable=arm_var, param=param,
                        time_unit_source=unit_source, arm_codes=codes, arm_code_variable=code_var)


def _prepare_adae(adae: pd.DataFrame, adsl: pd.DataFrame, arm_var: str) -> pd.DataFrame:
    _require(adae, "ADAE", ["USUBJID", "AEDECOD", "AEBODSYS"])
    grade_var = next((v for v in GRADE_CANDIDATES if v in adae.columns), None)
    if grade_var is None:
        raise InputError(f"ADAE: no grade variable (looked for {', '.join(GRADE_CANDIDATES)})")
    ae = adae.copy()
    ae["USUBJID"] = _strip(ae["USUBJID"])
    unknown = sorted(set(ae["USUBJID"].dropna()) - set(adsl["USUBJID"].dropna()))
    if unknown:
        raise InputError(
            f"ADAE: {len(unknown)} subject(s) not in ADSL: {_listed(unknown)}; every ADAE subject "
            f"must have an ADSL record"
        )
    if "TRTEMFL" in ae.columns:
        ae = ae.loc[_strip(ae["TRTEMFL"]).fillna("").str.upper() == "Y"]
    grade = _grade_numbers(ae[grade_var])
    arms = adsl.set_index("USUBJID")[arm_var].astype(str)
    return pd.DataFrame({
        "subject_id": ae["USUBJID"].astype(str).to_numpy(),
        "arm": arms.reindex(ae["USUBJID"]).to_numpy(),
        "term": _strip(ae["AEDECOD"]).fillna("(not coded)").astype(str).to_numpy(),
        "body_system": _strip(ae["AEBODSYS"]).fillna("(not coded)").astype(str).to_numpy(),
        "grade": grade,
    })


def _grade_numbers(s: pd.Series) -> np.ndarray:
    """Toxicity grade as a number: 1-5 from AETOXGR, or MILD/MODERATE/SEVERE -> 1/2/3 from ASEV."""
    sev = {"MILD": 1.0, "MODERATE": 2.0, "SEVERE": 3.0, "LIFE THREATENING": 4.0, "FATAL": 5.0}
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    txt = pd.Series(uniques).astype("string").str.strip().str.upper()
    num = pd.to_numeric(txt.str.replace(r"^GRADE\s*", "", regex=True), errors="coerce")
    values = num.fillna(txt.map(sev)).to_numpy(dtype=float)
    return np.where(codes >= 0, values[np.maximum(codes, 0)] if values.size else np.nan, np.nan)


def load_adam(
    adsl: str | Path,
    adtte: str | Path,
    adae: str | Path | None = None,
    **options: Any,
) -> AnalysisData:
    """Read ADSL/ADTTE/ADAE files (CSV, Parquet, XPT, sas7bdat) and validate them; see :func:`prepare_adam`."""
    return prepare_adam(
        read_table(adsl, role="ADSL"),
        read_table(adtte, role="ADTTE"),
        None if adae is None else read_table(adae, role="ADAE"),
        **options,
    )
