"""Cohort mode: reading CSV/Parquet, per-child table, summary shares and the expected benefit."""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
import pytest

from survtrial.clinical.benefit import absolute_benefit
from survtrial.clinical.classify import classify_patient
from survtrial.clinical.cohort import CATEGORIES, assess_cohort, read_cohort
from survtrial.clinical.population import synthetic_cohort
from survtrial.errors import InputError

HEADER = (
    "patient_id,age_years,wbc_per_ul,sex,cytogenetics,cns_status,testicular,"
    "day8_pb_mrd_pct,eoi_bm_flow_mrd_pct,eoi_hts_mrd,eoc_bm_mrd_pct"
)
CSV = HEADER + """
P01,4.2,8000,F,ETV6::RUNX1,CNS1,false,0.05,0,undetectable,
P02,6.0,12000,M,other,CNS1,false,0.2,0,detectable,
P03,3.1,20000,M,KMT2A,CNS1,false,,,,0.02
P04,12.0,4000,F,other,CNS1,false,0.1,0,detectable,
P05,5.5,9000,M,BCR::ABL1,CNS1,false,,,,
P06,2.5,7000,F,double_trisomy_4_10,CNS1,false,0.01,,detectable,
P07,8.0,30000,F,other,CNS2,false,0.5,0.02,detectable,0.2
P08,7.0,5000,M,unknown,CNS1,false,0.1,0,indeterminate,
"""


@pytest.fixture
def cohort_csv(tmp_path):
    p = tmp_path / "cohort.csv"
    p.write_text(CSV)
    return p


def test_per_child_table(cohort_csv):
    a = assess_cohort(cohort_csv)
    f = a.to_frame().set_index("patient_id")
    assert list(f["risk_group"].fillna("-")) == ["SR-Fav", "SR-Avg", "SR-High", "-", "-", "-", "SR-High", "-"]
    assert f.loc["P02", "randomized"] and f.loc["P02", "benefit_pct"] == absolute_benefit("SR-Avg").difference
    assert f.loc["P03", "rules"] == "eligibility.nci_standard_risk; sr_high.unfavorable_genetics; sr_high.randomized_if"
    assert not f.loc["P04", "eligible"] and not f.loc["P05", "eligible"]
    # double trisomy 4+10 without EOI flow MRD: SR-High (>= 0.1%) and SR-Fav (< 0.01%) both open
    assert f.loc["P06", "needs"] == "eoi_bm_flow_mrd_pct"
    assert f.loc["P06", "classification"].startswith("cannot classify")
    assert not f.loc["P07", "randomized"]  # False, not unknown: NA would raise here
    assert f.loc["P08", "needs"] == "cytogenetics"  # "unknown" genetics: SR-High or not cannot be told
    assert f.loc["P01", "nnt_text"].startswith("no estimate")
    assert math.isnan(f.loc["P01", "benefit_pct"])
    # every row equals the single-patient classifier
    for pid, row in f.iterrows():
        c = classify_patient(row[:11].to_dict() | {"patient_id": pid})
        assert (c.risk_group, c.randomized) == (None if pd.isna(row["risk_group"]) else row["risk_group"],
                                               None if pd.isna(row["randomized"]) else bool(row["randomized"]))


def test_summary_counts_and_expected_benefit(cohort_csv):
    a = assess_cohort(cohort_csv)
    s = a.summary
    assert s.counts == {"not eligible": 2, "SR-Fav": 1, "SR-Avg": 1, "SR-High": 2, "cannot classify": 2}
    assert s.share_randomized == pytest.approx(2 / 8)
    # P02 (SR-Avg) and P03 (SR-High) randomized: mean of the two group differences
    avg, high = absolute_benefit("SR-Avg"), absolute_benefit("SR-High")
    assert s.benefit_per_100_treated == pytest.approx((avg.difference + high.difference) / 2)
    se = math.sqrt((avg.se_difference / 2) ** 2 + (high.se_difference / 2) ** 2)
    assert s.benefit_per_100_treated_ci == pytest.approx(
        (s.benefit_per_100_treated - 1.959963984540054 * se, s.benefit_per_100_treated + 1.959963984540054 * se))
    assert s.benefit_per_100_children == pytest.approx(s.benefit_per_100_treated * 2 / 8)
    table = s.to_frame()
    assert table.loc[table["measure"] == "share SR-High", "value"].item() == pytest.approx(2 / 8)
    assert sorted(a.categories()) == sorted(k for k, v in s.counts.items() for _ in range(v))


def test_parquet_polars_and_csv_agree(cohort_csv, tmp_path):
    csv_frame = assess_cohort(cohort_csv).to_frame()
    df = read_cohort(cohort_csv)
    pq = tmp_path / "cohort.parquet"
    df.to_parquet(pq)
    assert assess_cohort(pq).to_frame().equals(csv_frame)
    assert assess_cohort(pl.from_pandas(df)).to_frame().equals(csv_frame)


def test_file_errors(tmp_path, cohort_csv):
    with pytest.raises(InputError, match="not found"):
        read_cohort(tmp_path / "nope.csv")
    bad = tmp_path / "cohort.xlsx"
    bad.write_text("x")
    with pytest.raises(InputError, match="unsupported type"):
        read_cohort(bad)
    broken = tmp_path / "broken.csv"
    broken.write_text(CSV.replace("P07,8.0", "P07,-8.0"))
    with pytest.raises(InputError, match="row 7 \\(patient_id 'P07'\\), column 'age_years'"):
        assess_cohort(broken)


def test_no_randomized_child_gives_no_benefit_estimate():
    df = synthetic_cohort(20, rng=1)
    df["age_years"] = 12.0
    s = assess_cohort(df).summary
    assert s.counts["not eligible"] == 20 and math.isnan(s.benefit_per_100_treated)
    assert s.benefit_per_100_children == 0.0
    assert set(CATEGORIES) == set(s.counts)
