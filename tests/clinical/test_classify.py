"""Risk classification: each rule at its boundary, blanks, and a double-programmed classifier.

Thresholds and label lists come from the reference's rule strings (fixture ``thresholds``), so the
tests follow the reference rather than retyping it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.clinical.classify import classify_patient
from survtrial.clinical.patient import FIELDS


@pytest.fixture
def base(thresholds):
    """An SR-Avg child who would be randomized, every value known and away from every threshold."""
    return {
        "patient_id": "P1",
        "age_years": (thresholds["age_low"] + thresholds["age_high"]) / 2,
        "wbc_per_ul": thresholds["wbc_high"] / 5,
        "sex": "M",
        "cytogenetics": "other",
        "cns_status": "CNS1",
        "testicular": False,
        "day8_pb_mrd_pct": thresholds["fav_day8"] / 10,
        "eoi_bm_flow_mrd_pct": 0.0,
        "eoi_hts_mrd": thresholds["avg_randomized_hts"][0],
        "eoc_bm_mrd_pct": 0.0,
    }


def test_base_child_is_sr_avg_randomized(base):
    r = classify_patient(base)
    assert (r.eligible, r.risk_group, r.randomized, r.arms, r.needs) == (True, "SR-Avg", True, "A vs B", ())
    assert r.rule_keys == ("eligibility.nci_standard_risk", "sr_avg.randomized_if")
    assert r.summary == "SR-Avg, randomized (A vs B)"


@pytest.mark.parametrize("shift, eligible", [(0.0, False), (-0.01, True)])
def test_age_at_the_upper_limit(base, thresholds, shift, eligible):
    r = classify_patient(base, age_years=thresholds["age_high"] + shift)
    assert r.eligible is eligible
    if not eligible:
        assert r.risk_group is None and r.randomized is False
        assert r.summary.startswith("not eligible: eligibility.nci_standard_risk")


@pytest.mark.parametrize("shift, eligible", [(0.0, True), (-0.01, False)])
def test_age_at_the_lower_limit(base, thresholds, shift, eligible):
    assert classify_patient(base, age_years=thresholds["age_low"] + shift).eligible is eligible


@pytest.mark.parametrize("shift, eligible", [(0.0, False), (-1.0, True)])
def test_wbc_at_the_limit(base, thresholds, shift, eligible):
    assert classify_patient(base, wbc_per_ul=thresholds["wbc_high"] + shift).eligible is eligible


@pytest.mark.parametrize(
    "change, key",
    [
        ({"cytogenetics": "BCR::ABL1"}, "exclusions.bcr_abl1"),
        ({"cns_status": "CNS3"}, "exclusions.cns3"),
        ({"testicular": True}, "exclusions.testicular"),
    ],
)
def test_each_exclusion(base, change, key):
    r = classify_patient(base, **change)
    assert (r.eligible, r.risk_group, r.randomized) == (False, None, False)
    assert key in r.rule_keys
    # an exclusion decides eligibility even when age and WBC are blank
    r2 = classify_patient(base, **change, age_years=None, wbc_per_ul=None)
    assert r2.eligible is False and r2.needs == ()


@pytest.mark.parametrize(
    "change, key",
    [
        ({"cns_status": "CNS2"}, "sr_high.neutral_genetics_cns2"),
        ("eoi_at_threshold", "sr_high.eoi_flow_mrd_positive"),
        ("double_trisomy_eoi_at_threshold", "sr_high.double_trisomy_eoi_mrd"),
        ("unfavorable", "sr_high.unfavorable_genetics"),
    ],
)
def test_each_sr_high_rule_fires_at_its_threshold(base, thresholds, change, key):
    if change == "eoi_at_threshold":
        changes = [{"eoi_bm_flow_mrd_pct": thresholds["eoi_flow"]}]
        # any cytogenetics but double trisomy, favourable ones included
        changes += [{"eoi_bm_flow_mrd_pct": thresholds["eoi_flow"], "cytogenetics": thresholds["favorable"][0]}]
    elif change == "double_trisomy_eoi_at_threshold":
        changes = [{"eoi_bm_flow_mrd_pct": thresholds["dt_eoi_flow"], "cytogenetics": thresholds["dt_label"]}]
    elif change == "unfavorable":
        changes = [{"cytogenetics": c} for c in thresholds["unfavorable"]]
    else:
        changes = [change]
    for ch in changes:
        r = classify_patient(base, **ch)
        assert r.risk_group == "SR-High" and key in r.rule_keys, ch
        assert r.randomized is True and r.arms == "C vs D"


def test_just_below_the_mrd_thresholds_is_not_sr_high(base, thresholds):
    assert classify_patient(base, eoi_bm_flow_mrd_pct=thresholds["eoi_flow"] * 0.99).risk_group == "SR-Avg"
    # double trisomy 4+10 between the two EOI thresholds: neither SR-High nor SR-Fav
    dt = dict(base, cytogenetics=thresholds["dt_label"])
    assert classify_patient(dt, eoi_bm_flow_mrd_pct=thresholds["dt_eoi_flow"] * 0.99).risk_group == "SR-Avg"
    assert classify_patient(dt, eoi_bm_flow_mrd_pct=thresholds["eoi_flow"]).risk_group == "SR-Avg"


def test_cns2_makes_sr_high_only_with_neutral_cytogenetics(base, thresholds):
    assert classify_patient(base, cns_status="CNS2").risk_group == "SR-High"
    for c in thresholds["favorable"]:  # favourable genetics, fast response: SR-Fav despite CNS2
        assert classify_patient(base, cns_status="CNS2", cytogenetics=c).risk_group == "SR-Fav"
    # an unknown cytogenetics result is no result: CNS2 alone cannot decide
    r = classify_patient(base, cns_status="CNS2", cytogenetics="unknown")
    assert r.risk_group is None and "cytogenetics" in r.needs


@pytest.mark.parametrize("factor, randomized", [(1.0, False), (0.99, True)])
def test_end_of_consolidation_mrd_decides_sr_high_randomization(base, thresholds, factor, randomized):
    r = classify_patient(base, cns_status="CNS2", eoc_bm_mrd_pct=thresholds["eoc"] * factor)
    assert r.risk_group == "SR-High" and r.randomized is randomized
    assert r.summary == ("SR-High, randomized (C vs D)" if randomized else "SR-High, not randomized")


@pytest.fixture
def favourable(base, thresholds):
    return dict(base, cytogenetics=thresholds["favorable"][0])


def test_sr_fav_needs_every_condition(favourable, thresholds):
    r = classify_patient(favourable)
    assert (r.risk_group, r.randomized) == ("SR-Fav", False)
    assert len([k for k in r.rule_keys if k.startswith("sr_fav.")]) == 3
    assert classify_patient(favourable, cytogenetics=thresholds["favorable"][1]).risk_group == "SR-Fav"
    # the sequencing MRD plays no part in SR-Fav
    for hts in ("undetectable", "detectable", "indeterminate"):
        assert classify_patient(favourable, eoi_hts_mrd=hts).risk_group == "SR-Fav"
    # each condition failing alone moves the child out of SR-Fav
    assert classify_patient(favourable, cytogenetics="other").risk_group == "SR-Avg"
    assert classify_patient(favourable, day8_pb_mrd_pct=thresholds["fav_day8"]).risk_group == "SR-Avg"
    assert classify_patient(favourable, eoi_bm_flow_mrd_pct=thresholds["fav_eoi_flow"]).risk_group == "SR-High"


@pytest.mark.parametrize("hts, randomized", [("detectable", True), ("indeterminate", True), ("undetectable", False)])
def test_sr_avg_randomization_follows_hts(base, hts, randomized):
    r = classify_patient(base, eoi_hts_mrd=hts)
    assert (r.risk_group, r.randomized) == ("SR-Avg", randomized)


def test_kmt2a_decides_sr_high_whatever_else_is_blank(thresholds):
    r = classify_patient(age_years=4, wbc_per_ul=1000, cytogenetics="KMT2A", cns_status="CNS1", testicular=False)
    assert (r.eligible, r.risk_group, r.randomized) == (True, "SR-High", None)
    assert r.needs == ("eoc_bm_mrd_pct",)
    assert r.summary == "SR-High; randomization cannot be decided: needs eoc_bm_mrd_pct"


def test_blanks_give_cannot_classify_naming_the_fields(base):
    r = classify_patient(base, eoi_bm_flow_mrd_pct=None)
    assert r.risk_group is None and r.randomized is None
    assert r.needs == ("eoi_bm_flow_mrd_pct",)
    assert r.summary == "cannot classify: needs eoi_bm_flow_mrd_pct"
    everything_blank = classify_patient()
    assert everything_blank.risk_group is None and everything_blank.eligible is None
    assert {"age_years", "wbc_per_ul", "cytogenetics"} <= set(everything_blank.needs)


def test_audit_trail_is_readable(base):
    text = classify_patient(base, cns_status="CNS2").explain()
    assert (
        "sr_high.neutral_genetics_cns2: cytogenetics is neutral and cns_status == CNS2 -> true "
        "(cns_status=CNS2, cytogenetics=other) [secondary]"
    ) in text
    assert text.splitlines()[0] == "SR-High, randomized (C vs D)"


# ---- double programming: the reference's rules written as plain if/else --------------------------
def plain_classifier(r, t):
    eligible = t["age_low"] <= r["age_years"] < t["age_high"] and r["wbc_per_ul"] < t["wbc_high"]
    excluded = r["cytogenetics"] == "BCR::ABL1" or r["cns_status"] == "CNS3" or r["testicular"]
    if not eligible or excluded:
        return False, None, False
    cyto, eoi = r["cytogenetics"], r["eoi_bm_flow_mrd_pct"]
    neutral = cyto not in t["favorable"] and cyto not in t["unfavorable"]
    if (
        cyto in t["unfavorable"]
        or (cyto == t["dt_label"] and eoi >= t["dt_eoi_flow"])
        or (cyto != t["dt_label"] and eoi >= t["eoi_flow"])
        or (neutral and r["cns_status"] == "CNS2")
    ):
        return True, "SR-High", r["eoc_bm_mrd_pct"] < t["eoc"]
    if cyto in t["favorable"] and r["day8_pb_mrd_pct"] < t["fav_day8"] and eoi < t["fav_eoi_flow"]:
        return True, "SR-Fav", False
    return True, "SR-Avg", r["eoi_hts_mrd"] in t["avg_randomized_hts"]


mrd = st.sampled_from([0.0, 0.001, 0.0099, 0.01, 0.05, 0.0999, 0.1, 0.5, 0.99, 1.0, 5.0, 100.0])
child = st.fixed_dictionaries(
    {
        "age_years": st.sampled_from([0.5, 0.99, 1.0, 4.3, 9.99, 10.0, 12.0]),
        "wbc_per_ul": st.sampled_from([0.0, 3000.0, 49999.0, 50000.0, 120000.0]),
        "sex": st.sampled_from(["M", "F"]),
        "cytogenetics": st.sampled_from([c for c in FIELDS["cytogenetics"].labels if c != "unknown"]),
        "cns_status": st.sampled_from(["CNS1", "CNS2", "CNS3"]),
        "testicular": st.booleans(),
        "day8_pb_mrd_pct": mrd,
        "eoi_bm_flow_mrd_pct": mrd,
        "eoi_hts_mrd": st.sampled_from(["undetectable", "detectable", "indeterminate"]),
        "eoc_bm_mrd_pct": mrd,
    }
).map(lambda d: dict(d, testicular=d["testicular"] and d["sex"] == "M"))


@settings(max_examples=50, deadline=None)
@given(child)
def test_matches_plain_classifier_on_complete_records(thresholds, rec):
    r = classify_patient(rec)
    assert (r.eligible, r.risk_group, r.randomized) == plain_classifier(rec, thresholds)
    assert r.needs == ()


@settings(max_examples=50, deadline=None)
@given(child, st.sets(st.sampled_from([f for f in FIELDS if f not in ("patient_id", "sex")])))
def test_a_decided_result_never_changes_when_blanks_are_filled(thresholds, rec, blank):
    """Three-valued logic is sound: what is decided with blanks equals the complete-record result,
    and an open result names only blank fields."""
    partial = classify_patient({k: (None if k in blank else v) for k, v in rec.items()})
    full = plain_classifier(rec, thresholds)
    assert set(partial.needs) <= blank
    if partial.eligible is not None:
        assert partial.eligible == full[0]
    if partial.risk_group is not None and partial.eligible is not False:
        assert full[0] is False or partial.risk_group == full[1]
    if partial.randomized is not None:
        assert partial.randomized == full[2]
