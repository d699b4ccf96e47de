"""rules.yaml: the package's copy agrees with the reference, and a broken or edited copy behaves."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from survtrial.clinical.classify import classify_patient
from survtrial.clinical.rules import DEFAULT_RULES, load_rules
from survtrial.errors import InputError

_NOTE_KEYS = {"id", "title", "source", "group", "note", "arms"}


def _projection(stage: dict, per_rule_status: bool) -> dict:
    """A stage reduced to what the reference states: rule strings, randomization, status."""
    out = {}
    for k, v in stage.items():
        if k in _NOTE_KEYS:
            continue
        if k in ("any_of", "all_of"):
            out[k] = [e["rule"] if isinstance(e, dict) else e for e in v]
        elif isinstance(v, dict) and "rule" in v:
            out[k] = v["rule"]
        else:
            out[k] = v
    return out


def test_package_rules_follow_the_reference(reference):
    ref = reference["classification_rules"]
    pkg = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))["classification_rules"]
    assert pkg["order"] == ref["order"]
    assert pkg["missing_values"] == ref["missing_values"]
    assert pkg["cytogenetics_classes"] == ref["cytogenetics_classes"]
    for stage in ref["order"]:
        assert _projection(pkg[stage], True) == ref[stage], stage


def test_every_rule_has_a_status_and_a_source():
    for stage in load_rules().stages:
        for rule in (*stage.rules, *([stage.randomized_if] if stage.randomized_if else [])):
            assert rule.status, rule.key
            assert rule.source, rule.key


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_clinician_can_change_a_threshold_without_code(tmp_path, thresholds):
    child = {
        "age_years": 4, "wbc_per_ul": 9000, "sex": "F", "cytogenetics": "other", "cns_status": "CNS1",
        "testicular": False, "day8_pb_mrd_pct": 0.0, "eoi_bm_flow_mrd_pct": thresholds["eoi_flow"] / 2,
        "eoi_hts_mrd": "detectable", "eoc_bm_mrd_pct": 0,
    }
    assert classify_patient(child).risk_group == "SR-Avg"
    # lower the EOI flow MRD threshold below this child's value: the same child becomes SR-High
    old = f'"cytogenetics != double_trisomy_4_10 and eoi_bm_flow_mrd_pct >= {thresholds["eoi_flow"]:g}"'
    new = f'"cytogenetics != double_trisomy_4_10 and eoi_bm_flow_mrd_pct >= {thresholds["eoi_flow"] / 4:g}"'
    result = classify_patient(child, rules=_copy_with(tmp_path, old, new))
    assert result.risk_group == "SR-High"
    assert "sr_high.eoi_flow_mrd_positive" in result.rule_keys


def test_a_clinician_can_change_a_class_without_code(tmp_path):
    child = {
        "age_years": 4, "wbc_per_ul": 9000, "sex": "F", "cytogenetics": "other", "cns_status": "CNS1",
        "testicular": False, "day8_pb_mrd_pct": 0.0, "eoi_bm_flow_mrd_pct": 0.0,
        "eoi_hts_mrd": "detectable", "eoc_bm_mrd_pct": 0,
    }
    assert classify_patient(child).risk_group == "SR-Avg"
    edited = _copy_with(tmp_path, "unfavorable: [iAMP21, KMT2A, t(17;19), hypodiploid]",
                        "unfavorable: [iAMP21, KMT2A, t(17;19), hypodiploid, other]")
    result = classify_patient(child, rules=edited)
    assert result.risk_group == "SR-High" and "sr_high.unfavorable_genetics" in result.rule_keys


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ('"cytogenetics is neutral and cns_status == CNS2"', '"cytogenetics is neutral and cns_staus == CNS2"',
         "not a known field"),
        ('"cytogenetics is neutral and cns_status == CNS2"', '"cytogenetics is neutral and cns_status == CNS4"',
         "accepted"),
        ('"cytogenetics in unfavorable"', '"cytogenetics in unfavourable"', "needs a list"),
        ('"cytogenetics is neutral and', '"cytogenetics is other and', "'is' needs a class"),
        ("unfavorable: [iAMP21, KMT2A, t(17;19), hypodiploid]", "unfavorable: [iAMP21, KMT2B]",
         "not values of field 'cytogenetics'"),
        ("    group: SR-High\n", "", "needs 'group"),
        (
            "order: [eligibility, exclusions, sr_high, sr_fav, sr_avg]",
            "order: [eligibility, exclusions, sr_high, sr_fav, sr_avg, sr_x]",
            "not defined",
        ),
    ],
)
def test_broken_rules_file_is_reported_with_its_key(tmp_path, old, new, fragment):
    path = _copy_with(tmp_path, old, new)
    with pytest.raises(InputError, match=r"classification_rules|order") as err:
        load_rules(path)
    assert fragment in str(err.value)


def test_unreadable_rules_file(tmp_path):
    with pytest.raises(InputError, match=r"rules file .*absent\.yaml' not found"):
        load_rules(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("classification_rules: [unclosed", encoding="utf-8")
    with pytest.raises(InputError, match="YAML syntax error at line 1"):
        load_rules(bad)
