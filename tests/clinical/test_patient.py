"""Validation of patient values and cohort frames: messages name row, patient, column and the fix."""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
import pytest

from survtrial.clinical.patient import (
    CYTOGENETICS,
    FIELDS,
    validate_patient,
    validate_records,
)
from survtrial.errors import InputError


def frame(**overrides):
    rows = {
        "patient_id": ["A1", "A2", "A3"],
        "age_years": [4.0, 6.5, 2.0],
        "wbc_per_ul": [8000, 12000, 3000],
        "sex": ["M", "F", "M"],
        "cytogenetics": ["ETV6::RUNX1", "other", "unknown"],
        "cns_status": ["CNS1", "CNS2", ""],
        "testicular": [False, False, None],
        "day8_pb_mrd_pct": [0.01, 0.5, None],
        "eoi_bm_flow_mrd_pct": [0.0, 0.02, None],
        "eoi_hts_mrd": ["undetectable", "detectable", None],
        "eoc_bm_mrd_pct": [None, 0.05, None],
    }
    rows.update(overrides)
    return pd.DataFrame(rows)


def test_clean_records_and_blanks():
    recs = validate_records(frame())
    assert [r["patient_id"] for r in recs] == ["A1", "A2", "A3"]
    assert recs[0]["cytogenetics"] == "ETV6::RUNX1" and recs[0]["testicular"] is False
    assert recs[2]["cytogenetics"] is None  # "unknown" means not known
    assert recs[2]["cns_status"] is None and recs[2]["day8_pb_mrd_pct"] is None
    assert recs[0]["eoc_bm_mrd_pct"] is None


def test_polars_and_text_input_give_the_same_records():
    text = frame().astype(str).replace({"None": "", "nan": ""})
    assert validate_records(text) == validate_records(frame())
    assert validate_records(pl.from_pandas(frame())) == validate_records(frame())


def test_labels_are_case_insensitive():
    rec = validate_patient(cytogenetics="kmt2a", cns_status="cns2", sex="f", eoi_hts_mrd="Detectable")
    got = (rec["cytogenetics"], rec["cns_status"], rec["sex"], rec["eoi_hts_mrd"])
    assert got == ("KMT2A", "CNS2", "F", "detectable")


@pytest.mark.parametrize(
    "column, value, fragment",
    [
        ("age_years", -1, "impossible value -1"),
        ("age_years", 45, "between 0 and 30"),
        ("wbc_per_ul", -5, "impossible value -5"),
        ("day8_pb_mrd_pct", 150, "0-100"),
        ("eoi_bm_flow_mrd_pct", -0.1, "0-100"),
        ("eoc_bm_mrd_pct", "lots", "not a number"),
        ("testicular", "maybe", "not true/false"),
        ("cns_status", "CNS4", "accepted: ['CNS1', 'CNS2', 'CNS3']"),
        ("eoi_hts_mrd", "positive", "accepted: ['undetectable', 'detectable', 'indeterminate']"),
    ],
)
def test_bad_values_name_row_patient_and_column(column, value, fragment):
    col = list(frame()[column])
    col[1] = value
    with pytest.raises(InputError) as err:
        validate_records(frame(**{column: col}))
    msg = str(err.value)
    assert f"row 2 (patient_id 'A2'), column '{column}'" in msg
    assert fragment in msg


def test_unknown_cytogenetics_lists_the_accepted_labels():
    with pytest.raises(InputError) as err:
        validate_records(frame(cytogenetics=["ETV6::RUNX1", "other", "t(1;19)"]), first_row=2)
    msg = str(err.value)
    assert "row 4 (patient_id 'A3'), column 'cytogenetics': unknown value 't(1;19)'" in msg
    assert str(list(CYTOGENETICS)) in msg


def test_structural_errors():
    with pytest.raises(InputError, match=r"missing column\(s\) \['eoc_bm_mrd_pct'\]"):
        validate_records(frame().drop(columns="eoc_bm_mrd_pct"))
    with pytest.raises(InputError, match="duplicate id 'A1' \\(also row 1\\)"):
        validate_records(frame(patient_id=["A1", "A2", "A1"]))
    with pytest.raises(InputError, match="row 2, column 'patient_id': blank"):
        validate_records(frame(patient_id=["A1", None, "A3"]))
    with pytest.raises(InputError, match="no rows"):
        validate_records(frame().iloc[:0])
    with pytest.raises(InputError, match="testicular disease recorded for a girl"):
        validate_records(frame(testicular=[False, True, None]))
    with pytest.raises(InputError, match="unknown field"):
        validate_patient(age=4)


def test_every_field_is_returned():
    rec = validate_patient()
    assert set(rec) == set(FIELDS) and all(v is None for v in rec.values())
    assert validate_patient(age_years=math.nan)["age_years"] is None
