"""Validation and semantics of the ADaM readers (every error names the variable and row)."""

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from survtrial.data.adam import load_adam, prepare_adam
from survtrial.errors import InputError


def _adsl(n=6):
    return pd.DataFrame({
        "USUBJID": [f"S{i:02d}" for i in range(n)],
        "TRT01P": ["Chemo", "Blina"] * (n // 2),
        "RISKGRP": ["SR-Avg", "SR-High"] * (n // 2),
    })


def _adtte(n=6):
    return pd.DataFrame({
        "USUBJID": [f"S{i:02d}" for i in range(n)],
        "PARAMCD": ["DFS"] * n,
        "AVAL": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0][:n],
        "AVALU": ["DAYS"] * n,
        "CNSR": [0, 1, 0, 1, 1, 0][:n],
        "EVNTDESC": ["Marrow relapse", "", "Death in remission", "", "", "Marrow relapse"][:n],
    })


def test_cnsr_zero_is_event_and_times_stay_in_avalu():
    d = prepare_adam(_adsl(), _adtte(), variables=["RISKGRP"])
    s = d.subjects.set_index("subject_id")
    assert s.loc["S00", "event"] == 1 and s.loc["S01", "event"] == 0
    assert s.loc["S00", "event_type"] == "Marrow relapse"
    assert s.loc["S01", "event_type"] == "censored"
    assert s.loc["S00", "time"] == 100.0 and d.time_unit == "days" and d.time_unit_source == "AVALU"
    assert d.randomized.to_dict() == {"Blina": 3, "Chemo": 3}


def test_cnsr_greater_than_one_is_censoring():
    tte = _adtte()
    tte.loc[1, "CNSR"] = 2
    assert prepare_adam(_adsl(), tte).subjects["event"].iloc[1] == 0


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda sl, tt: tt.drop(columns="CNSR"), "CNSR missing"),
        (lambda sl, tt: tt.assign(CNSR=[0, 1, 0.5, 1, 1, 0]), "row 3"),
        (lambda sl, tt: tt.assign(CNSR=[0, 1, -1, 1, 1, 0]), "CNSR must be an integer >= 0"),
        (lambda sl, tt: tt.assign(AVAL=[1, 2, -3.0, 4, 5, 6]), "row 3 (USUBJID 'S02'): AVAL"),
        (lambda sl, tt: tt.assign(AVAL=[1, 2, np.nan, 4, 5, 6]), "AVAL"),
        (lambda sl, tt: tt.assign(PARAMCD="OS"), "PARAMCD 'DFS' not found; the data set has ['OS']"),
        (lambda sl, tt: tt.assign(USUBJID=["S00", "S00", "S02", "S03", "S04", "S05"]), "duplicated USUBJID x PARAMCD"),
        (lambda sl, tt: tt.assign(USUBJID=["S00", "X1", "S02", "S03", "S04", "S05"]), "not in ADSL: 'X1'"),
        (lambda sl, tt: tt.drop(columns="AVALU"),
         "no AVALU variable to tell the time unit of AVAL; give it with --time-unit"),
        (lambda sl, tt: tt.assign(AVALU=""), "AVALU is blank"),
        (lambda sl, tt: tt.assign(AVALU=["DAYS"] * 5 + ["MONTHS"]), "AVALU holds several units ['DAYS', 'MONTHS']"),
    ],
)
def test_adtte_validation_messages(mutate, fragment):
    tte = mutate(_adsl(), _adtte())
    with pytest.raises(InputError, match=None) as err:
        prepare_adam(_adsl(), tte, paramcd="DFS")
    assert fragment in str(err.value)


def test_adsl_duplicates_and_missing_arm():
    sl = _adsl()
    sl.loc[1, "USUBJID"] = "S00"
    with pytest.raises(InputError, match="ADSL: duplicated USUBJID: 'S00'"):
        prepare_adam(sl, _adtte().iloc[[0, 2, 3, 4, 5]])
    with pytest.raises(InputError, match="no arm variable found"):
        prepare_adam(_adsl().drop(columns="TRT01P"), _adtte())
    with pytest.raises(InputError, match="STRAT1"):
        prepare_adam(_adsl(), _adtte(), variables=["STRAT1"])


def test_arm_with_no_subjects():
    sl = pd.concat([_adsl(), pd.DataFrame({"USUBJID": ["S99"], "TRT01P": ["Placebo"], "RISKGRP": ["SR-Avg"]})])
    with pytest.raises(InputError, match=r"arm\(s\) \['Placebo'\] have no subjects"):
        prepare_adam(sl, _adtte())


def test_adae_subjects_listed_first_ten():
    ae = pd.DataFrame({"USUBJID": [f"Z{i}" for i in range(12)], "AEDECOD": "Fever",
                       "AEBODSYS": "General", "AETOXGR": "3"})
    with pytest.raises(InputError) as err:
        prepare_adam(_adsl(), _adtte(), ae)
    msg = str(err.value)
    assert "12 subject(s) not in ADSL" in msg and "and 2 more" in msg


def test_xpt_and_csv_read_the_same(tmp_path):
    sl, tt = _adsl(), _adtte()
    pyreadstat.write_xport(sl, str(tmp_path / "adsl.xpt"), table_name="ADSL")
    pyreadstat.write_xport(tt, str(tmp_path / "adtte.xpt"), table_name="ADTTE")
    sl.to_csv(tmp_path / "adsl.csv", index=False)
    tt.to_csv(tmp_path / "adtte.csv", index=False)
    a = load_adam(tmp_path / "adsl.xpt", tmp_path / "adtte.xpt").subjects
    b = load_adam(tmp_path / "adsl.csv", tmp_path / "adtte.csv").subjects
    pd.testing.assert_frame_equal(a, b)


def test_sas7bdat_and_csv_read_the_same(tmp_path):
    # sas7bdat files of the same two tables written by SAS-compatible software (R haven;
    # tests/data/sas/make_fixtures.R): numbers come back as doubles, blanks as empty strings
    from pathlib import Path

    sas = Path(__file__).parent / "sas"
    sl, tt = _adsl(), _adtte()
    sl.to_csv(tmp_path / "adsl.csv", index=False)
    tt.to_csv(tmp_path / "adtte.csv", index=False)
    a = load_adam(sas / "adsl.sas7bdat", sas / "adtte.sas7bdat").subjects
    b = load_adam(tmp_path / "adsl.csv", tmp_path / "adtte.csv").subjects
    pd.testing.assert_frame_equal(a, b)
    assert a["event"].sum() == 3 and a["time"].max() == 600.0


def test_unknown_file_type(tmp_path):
    p = tmp_path / "adsl.txt"
    p.write_text("x")
    with pytest.raises(InputError, match=r"unsupported file type \.txt"):
        load_adam(p, p)
    with pytest.raises(InputError, match="file not found"):
        load_adam(tmp_path / "nope.csv", p)
