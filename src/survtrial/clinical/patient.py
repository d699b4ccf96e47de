"""The patient record: the cohort file's columns, their accepted values, and validation with row/column messages."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial.errors import InputError
from survtrial.stats._input import column

__all__ = ["CYTOGENETICS", "FIELDS", "FieldSpec", "validate_patient", "validate_records"]

CYTOGENETICS = (
    "ETV6::RUNX1",
    "double_trisomy_4_10",
    "BCR::ABL1",
    "iAMP21",
    "KMT2A",
    "hypodiploid",
    "t(17;19)",
    "other",
    "unknown",
)


@dataclass(frozen=True)
class FieldSpec:
    """One column of the cohort file: ``kind`` is "number", "label", "bool" or "id"."""

    name: str
    kind: str
    description: str
    labels: tuple[str, ...] = ()
    low: float = -math.inf
    high: float = math.inf
    blank_labels: tuple[str, ...] = ()  # labels that mean "not known"


FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("patient_id", "id", "identifier, one row per child"),
        FieldSpec("age_years", "number", "age at diagnosis in years", low=0.0, high=30.0),
        FieldSpec("wbc_per_ul", "number", "initial white count per microlitre (e.g. 8500)", low=0.0, high=2e6),
        FieldSpec("sex", "label", "M or F", labels=("M", "F")),
        FieldSpec(
            "cytogenetics", "label", "leukaemia genetics", labels=CYTOGENETICS, blank_labels=("unknown",)
        ),
        FieldSpec("cns_status", "label", "CNS status at diagnosis", labels=("CNS1", "CNS2", "CNS3")),
        FieldSpec("testicular", "bool", "testicular leukaemia at diagnosis (true/false)"),
        FieldSpec("day8_pb_mrd_pct", "number", "day-8 peripheral blood MRD, percent", low=0.0, high=100.0),
        FieldSpec(
            "eoi_bm_flow_mrd_pct", "number", "end-of-induction marrow flow MRD, percent", low=0.0, high=100.0
        ),
        FieldSpec(
            "eoi_hts_mrd",
            "label",
            "end-of-induction high-throughput-sequencing MRD",
            labels=("undetectable", "detectable", "indeterminate"),
        ),
        FieldSpec("eoc_bm_mrd_pct", "number", "end-of-consolidation marrow MRD, percent", low=0.0, high=100.0),
    )
}
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and v.strip() == "":
        return True
    try:
        import pandas as pd

        return bool(v is pd.NA or v is pd.NaT)
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False


def _where(name: str, row: int | None, pid: Any) -> str:
    if row is None:
        return f"field {name!r}"
    who = f" (patient_id {pid!r})" if pid is not None else ""
    return f"row {row}{who}, column {name!r}"


def _coerce(spec: FieldSpec, v: Any, row: int | None, pid: Any) -> Any:
    if _is_blank(v):
        return None
    where = _where(spec.name, row, pid)
    if isinstance(v, np.generic):
        v = v.item()
    if spec.kind == "id":
        return str(v).strip()
    if spec.kind == "number":
        if isinstance(v, bool):
            raise InputError(f"{where}: true/false given where a number is needed")
        try:
            x = float(str(v).strip().replace(",", "")) if isinstance(v, str) else float(v)
        except (TypeError, ValueError):
            raise InputError(f"{where}: {v!r} is not a number; {spec.description}, blank if not known") from None
        if not math.isfinite(x) or not (spec.low <= x <= spec.high):
            unit = " (percent of cells, 0-100)" if spec.name.endswith("_pct") else ""
            raise InputError(
                f"{where}: impossible value {v!r}; {spec.description} must be between "
                f"{spec.low:g} and {spec.high:g}{unit}"
            )
        return x
    if spec.kind == "bool":
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise InputError(f"{where}: {v!r} is not true/false; use true, false or blank")
    s = str(v).strip()
    lookup = {lab.lower(): lab for lab in spec.labels}
    lab = lookup.get(s.lower())
    if lab is None:
        raise InputError(f"{where}: unknown value {v!r}; accepted: {list(spec.labels)} (blank if not known)")
    return None if lab in spec.blank_labels else lab


def _cross_checks(rec: dict[str, Any], row: int | None, pid: Any) -> None:
    if rec.get("testicular") and rec.get("sex") == "F":
        raise InputError(f"{_where('testicular', row, pid)}: testicular disease recorded for a girl (sex F)")


def validate_patient(record: Mapping[str, Any] | None = None, /, **values: Any) -> dict[str, Any]:
    """Check one child's values and return a clean record: every known field, ``None`` when blank.

    Parameters
    ----------
    record : mapping, optional
        Field name -> value (e.g. a dict or a pandas row). Keyword values override it.
    **values
        Field values by name (see ``FIELDS``). Unknown names are an error.

    Returns
    -------
    dict
        One entry per field of ``FIELDS``; numbers as float, labels in their canonical spelling,
        ``"unknown"`` cytogenetics and blanks as ``None``.

    Examples
    --------
    >>> validate_patient(age_years=4, cytogenetics="etv6::runx1")["cytogenetics"]
    'ETV6::RUNX1'
    """
    merged = dict(record or {})
    merged.update(values)
    unknown = [k for k in merged if k not in FIELDS]
    if unknown and record is None:
        raise InputError(f"unknown field(s) {unknown}; known fields: {list(FIELDS)}")
    pid = merged.get("patient_id")
    rec = {name: _coerce(spec, merged.get(name), None, pid) for name, spec in FIELDS.items()}
    _cross_checks(rec, None, pid)
    return rec


def validate_records(data: Any, *, first_row: int = 1) -> list[dict[str, Any]]:
    """Validate a cohort frame (pandas, polars or dict of columns) row by row.

    Every column of ``FIELDS`` must be present (blank cells mean "not known"); extra columns are
    ignored here. Errors name the row (counting data rows from ``first_row``), the patient_id and
    the column. Returns one clean record per row, as :func:`validate_patient` does.
    """
    cols = list(getattr(data, "columns", data.keys() if isinstance(data, dict) else []))
    missing = [c for c in FIELDS if c not in cols]
    if missing:
        raise InputError(
            f"cohort: missing column(s) {missing}; add them (leave cells blank where not known). "
            f"Expected columns: {list(FIELDS)}"
        )
    arrays = {name: column(data, name, name) for name in FIELDS}
    n = len(arrays["patient_id"])
    if n == 0:
        raise InputError("cohort: no rows; the file needs one row per child")
    ids = [None if _is_blank(v) else str(v).strip() for v in arrays["patient_id"]]
    seen: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid is None:
            raise InputError(f"row {i + first_row}, column 'patient_id': blank; every child needs an id")
        if pid in seen:
            raise InputError(
                f"row {i + first_row}, column 'patient_id': duplicate id {pid!r} (also row {seen[pid]}); "
                f"one row per child"
            )
        seen[pid] = i + first_row
    out = []
    for i in range(n):
        row, pid = i + first_row, ids[i]
        rec = {name: _coerce(spec, arrays[name][i], row, pid) for name, spec in FIELDS.items()}
        _cross_checks(rec, row, pid)
        out.append(rec)
    return out
