"""Tests of scenario loading and validation, and of the provenance of every number in aall1731.yaml."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import operator
import re
from importlib import resources

import pytest
import yaml

from survtrial.errors import InputError
from survtrial.simulate.scenario import (
    Scenario,
    load_scenario,
    packaged_scenarios,
    scenario_from_dict,
)


def packaged_text() -> str:
    return resources.files("survtrial.scenarios").joinpath("aall1731.yaml").read_text(encoding="utf-8")


@pytest.fixture
def data() -> dict:
    """A fresh, valid scenario mapping to break in each test."""
    return yaml.safe_load(packaged_text())


def error_of(data: dict) -> str:
    with pytest.raises(InputError) as info:
        scenario_from_dict(data, source="test")
    message = str(info.value)
    # never a raw pydantic dump
    assert "validation error for" not in message and "errors.pydantic.dev" not in message
    return message


# --- loading ----------------------------------------------------------------------------------


def test_packaged_scenario_loads_by_name_and_by_path(tmp_path):
    assert "aall1731" in packaged_scenarios()
    by_name = load_scenario("aall1731")
    path = tmp_path / "copy.yaml"
    path.write_text(packaged_text(), encoding="utf-8")
    by_path = load_scenario(path)
    assert by_path.digest == by_name.digest
    assert load_scenario(str(path)).digest == by_name.digest
    assert load_scenario(by_name) is by_name
    assert isinstance(by_name, Scenario)


def test_unknown_name_lists_the_packaged_scenarios():
    with pytest.raises(InputError, match=r"unknown scenario 'aall9999'; packaged scenarios: .*aall1731"):
        load_scenario("aall9999")


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(InputError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_yaml_syntax_error_gives_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\narms:\n  chemo: {n: 3\n  blina: {}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"YAML syntax error at line \d+, column \d+"):
        load_scenario(path)


def test_duplicate_keys_are_refused_with_their_lines(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("name: x\ndropout:\n  rate: 0.1\ndropout:\n  rate: 0.2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 4, column 1: duplicate key 'dropout' \(first given at line 2\)"):
        load_scenario(path)


def test_top_level_must_be_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected a mapping"):
        load_scenario(path)


# --- validation messages name the key and what is allowed -----------------------------------------


def test_unknown_top_level_key(data):
    data["dropuot"] = {"rate": 0.1}
    msg = error_of(data)
    assert "scenario key 'dropuot': unknown key; allowed keys:" in msg
    assert "'dropout'" in msg and "'hazards'" in msg


def test_unknown_nested_key_lists_that_level_s_keys(data):
    data["accrual"]["rate"] = 300
    msg = error_of(data)
    assert ("scenario key 'accrual.rate': unknown key; "
            "allowed keys: 'start_date', 'n', 'duration_years', 'periods'") in msg


def test_unknown_key_inside_a_tagged_covariate(data):
    data["covariates"]["age_years"]["median"] = 4.3
    msg = error_of(data)
    assert "scenario key 'covariates.age_years.median': unknown key; allowed keys: 'type', 'quantiles'" in msg


def test_stratum_shares_must_sum_to_one_and_the_sum_is_given(data):
    data["strata"]["SR-Avg"]["share"], data["strata"]["SR-High"]["share"] = 0.6, 0.3
    msg = error_of(data)
    assert "scenario key 'strata'" in msg and "sum to 0.9," in msg and "must sum to 1" in msg


def test_level_probabilities_must_sum_to_one(data):
    data["covariates"]["sex"]["levels"]["F"] = 0.5
    msg = error_of(data)
    assert "scenario key 'covariates.sex'" in msg and "sum to 1.026" in msg


def test_negative_rates_are_refused(data):
    data["dropout"]["rate"] = -0.01
    assert "scenario key 'dropout.rate': value -0.01 is out of range; allowed: >= 0" in error_of(data)


def test_negative_explicit_hazard_rate_is_refused(data):
    data["hazards"]["SR-Avg"]["blina"] = {"breaks": [0.0, 3.0], "rates": [0.01, -0.002]}
    msg = error_of(data)
    assert "scenario key 'hazards.SR-Avg.blina.rates': rate -0.002 at position 1 is invalid" in msg
    assert "allowed: finite hazard rates >= 0" in msg


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.2, -0.1])
def test_landmark_targets_outside_zero_one_are_refused(data, bad):
    data["hazards"]["SR-Avg"]["blina"]["survival_targets"] = {3.0: bad}
    msg = error_of(data)
    assert "scenario key 'hazards.SR-Avg.blina.survival_targets'" in msg
    assert f"survival target {bad!r} at 3 years is outside (0, 1)" in msg


def test_landmark_targets_must_decrease_in_time(data):
    data["hazards"]["SR-Avg"]["blina"]["survival_targets"] = {1.0: 0.97, 3.0: 0.98}
    msg = error_of(data)
    assert "scenario key 'hazards.SR-Avg.blina.survival_targets'" in msg
    assert "must decrease in time: S(3) = 0.98 is not below S(1) = 0.97" in msg


def test_unknown_arm_in_hazards_names_the_allowed_arms(data):
    data["hazards"]["SR-Avg"]["blinatumomab"] = data["hazards"]["SR-Avg"].pop("blina")
    msg = error_of(data)
    assert "scenario key 'hazards.SR-Avg.blinatumomab': unknown arm; allowed: 'chemo', 'blina'" in msg
    assert "scenario key 'hazards.SR-Avg': missing arm(s) 'blina'" in msg


def test_missing_stratum_and_unknown_references_are_all_listed(data):
    del data["hazards"]["SR-High"]
    data["toxicity"]["fever"] = {"chemo": 0.3}
    data["covariates"]["cytogenetics"]["by"] = "risk"
    msg = error_of(data)
    assert "4 problems" in msg  # SR-High's hazards gone, its parameter is used nowhere
    assert "scenario key 'parameters.blina_late_sr_high': declared but used nowhere" in msg
    assert "scenario key 'hazards': missing stratum(s) 'SR-High'" in msg
    assert "scenario key 'toxicity.fever': missing arm(s) 'blina'" in msg
    assert "scenario key 'covariates.cytogenetics.by': unknown parent 'risk'; allowed: 'risk_group'" in msg


def test_unknown_covariate_type(data):
    data["covariates"]["age_years"]["type"] = "normal"
    msg = error_of(data)
    assert ("scenario key 'covariates.age_years': unknown type 'normal'; "
            "allowed: 'categorical', 'quantiles', 'constant'") in msg


def test_unknown_event_type_in_cause_targets(data):
    data["competing_events"]["by_arm"]["chemo"]["cif_targets"][0]["types"] = ["bone_marrow_relapse"]
    msg = error_of(data)
    assert ("scenario key 'competing_events.by_arm.chemo.cif_targets': "
            "unknown event type(s) 'bone_marrow_relapse'") in msg


def test_block_size_must_fit_the_ratio(data):
    data["randomization"]["block_size"] = 5
    msg = error_of(data)
    assert "scenario key 'randomization': block_size 5 is not a multiple of the ratio total 2; allowed: 2, 4, 6" in msg


def test_arm_sizes_must_agree_with_the_accrual_total(data):
    data["accrual"]["n"] = 1000
    assert "scenario key 'accrual.n': 1000 differs from the sum of the arms' n (1440)" in error_of(data)


def test_spending_function_names_are_checked(data):
    data["interim_analyses"]["spending"] = "asQuadratic"
    msg = error_of(data)
    assert "scenario key 'interim_analyses'" in msg and "not recognised" in msg and "asOF" in msg


def test_data_cut_needs_exactly_one_rule(data):
    data["data_cut"]["events"] = 80
    msg = error_of(data)
    assert "scenario key 'data_cut': give exactly one of" in msg


def test_infeasible_targets_fail_at_load_time_naming_the_key(tmp_path, data):
    data["competing_events"]["by_arm"]["blina"]["cif_targets"][0]["cif"] = 0.05  # > 1 - DFS(3) for blina
    path = tmp_path / "infeasible.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")  # covariates reordered too
    with pytest.raises(InputError, match=r"scenario key 'competing_events.by_arm.blina': .*infeasible"):
        load_scenario(path)


def test_updated_revalidates_and_keeps_the_rest(aall1731):
    changed = aall1731.updated({"dropout.rate": 0.02, "accrual.n": None})
    assert changed.dropout.rate == 0.02 and changed.accrual.n is None
    assert changed.hazards == aall1731.hazards
    with pytest.raises(InputError, match=r"scenario key 'dropout\.rate'"):
        aall1731.updated({"dropout.rate": -1})


def test_digest_and_repr(aall1731):
    assert load_scenario("aall1731").digest == aall1731.digest
    assert aall1731.updated({"dropout.rate": 0.02}).digest != aall1731.digest
    text = repr(aall1731)
    assert "\n" not in text and "aall1731" in text and len(text) < 200


# --- aall1731.yaml: every number has a checked source ------------------------------------------------

_LINE = re.compile(r"^\s*(?:-\s+)?(?:\"[^\"]*\"|[^#:\s][^#:]*?)\s*:\s+(?P<value>[^#\s][^#]*?)\s*(?:#\s*(?P<note>.*))?$")
_PATH = re.compile(r"[a-z_0-9]+(?:\.[A-Za-z0-9_-]+)+")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _lookup(published: dict, path: str):
    node = published
    for part in path.split("."):
        assert isinstance(node, dict) and part in node, f"{path!r} is not a field of aall1731_published.yaml"
        node = node[part]
    return node


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.left), _arith(node.right))
    raise AssertionError(f"not plain arithmetic: {ast.dump(node)}")


def _has_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | dt.date):
        return True
    return isinstance(value, list) and any(_has_number(v) for v in value)


def _numbered_lines() -> list[tuple[int, object, str | None]]:
    out = []
    for i, line in enumerate(packaged_text().splitlines(), start=1):
        m = _LINE.match(line)
        if m is None:
            continue
        if m.group("value")[0] in "&*":  # YAML anchor or alias: no value on this line
            continue
        value = yaml.safe_load(m.group("value"))
        if _has_number(value):
            out.append((i, value, m.group("note")))
    return out


def test_every_number_in_the_scenario_names_its_source():
    lines = _numbered_lines()
    assert len(lines) > 60  # the parser found the numbers
    for i, value, note in lines:
        assert note and re.match(r"(published|derived|source|assumption): \S", note), (
            f"aall1731.yaml line {i}: {value!r} has no 'published:', 'derived:', 'source:' or 'assumption:' comment"
        )


def test_published_and_derived_numbers_equal_the_reference(reference, reference_notes):
    checked = 0
    notes = " ".join(reference_notes.split())
    for i, value, note in _numbered_lines():
        kind, _, text = note.partition(": ")
        if kind == "published":
            m = re.match(r"(?P<path>\S+)(?:\s*/\s*(?P<div>100))?", text)
            ref = _lookup(reference, m.group("path"))
            if isinstance(ref, int | float) and not isinstance(ref, bool):
                want = ref / 100 if m.group("div") else ref
                assert value == pytest.approx(want, rel=1e-12), f"line {i}: {value} != {note}"
                checked += 1
            elif isinstance(ref, dt.date) or isinstance(ref, list):
                assert value == ref, f"line {i}: {value} != {note}"
                checked += 1
        elif kind == "derived":
            expr = _PATH.sub(lambda p: repr(float(_lookup(reference, p.group(0)))), text)
            assert value == pytest.approx(_arith(ast.parse(expr, mode="eval")), rel=1e-12), f"line {i}: {note}"
            checked += 1
        elif kind == "source":
            quote = re.match(r'"([^"]+)"', text)
            assert quote and quote.group(1) in notes, f"line {i}: quote not found in aall1731.md: {text}"
    assert checked >= 20


def test_scenario_counts_and_split_equal_the_published_ones(aall1731, reference):
    pop = reference["population"]
    assert {a: arm.n for a, arm in aall1731.arms.items()} == {
        "chemo": pop["randomized_chemo"],
        "blina": pop["randomized_blina"],
    }
    assert aall1731.accrual.n == pop["randomized_total"]
    split = reference["risk_groups"]["split_of_randomized"]
    assert {s: st.share for s, st in aall1731.strata.items()} == {s: split[s] for s in aall1731.strata}


def test_yaml_keeps_only_targets_not_hand_tuned_rates():
    # hazards come from targets (exact landmarks, or a hazard ratio whose free values are solved
    # parameters), never from rates typed in
    data = yaml.safe_load(packaged_text())
    for per_arm in data["hazards"].values():
        for spec in per_arm.values():
            assert set(spec) in ({"survival_targets"}, {"hazard_ratio"})
            if "hazard_ratio" in spec:
                assert all(v == 1.0 or v in data["parameters"] for v in spec["hazard_ratio"]["values"])


def test_updated_copy_does_not_touch_the_original(data):
    sc = scenario_from_dict(copy.deepcopy(data))
    sc.updated({"arms.chemo.n": 10, "arms.blina.n": 10, "accrual.n": 20})
    assert sc.arms["chemo"].n == data["arms"]["chemo"]["n"]


# --- hazard ratios and cure fractions -------------------------------------------------------------

DELAYED = {"breaks": [0.0, 0.5], "values": [1.0, "fit"]}


@pytest.mark.parametrize(("spec", "key", "fragment"), [
    ({"hazard_ratio": {"breaks": [0.0, 0.5], "values": [1.0, "fit"]}}, "hazards.SR-Avg.blina",
     "values 'fit' need 'survival_targets'"),
    ({"survival_targets": {3.0: 0.975}, "hazard_ratio": {"breaks": [0.0, 0.5], "values": [1.0, 0.5]}},
     "hazards.SR-Avg.blina", "need at least one value 'fit'"),
    ({"hazard_ratio": {"breaks": [0.0, 0.5], "values": [1.0]}}, "hazards.SR-Avg.blina.hazard_ratio",
     "2 breaks but 1 values"),
    ({"hazard_ratio": {"breaks": [0.5], "values": [1.0]}}, "hazards.SR-Avg.blina.hazard_ratio.breaks",
     "breaks must start at 0"),
    ({"hazard_ratio": {"breaks": [0.0], "values": [-0.5]}}, "hazards.SR-Avg.blina.hazard_ratio.values",
     "value -0.5 at position 0 is invalid; allowed: a hazard ratio >= 0, 'fit'"),
    ({"hazard_ratio": {"breaks": [0.0, 1.0], "values": [1.0, "fit ted"]}},
     "hazards.SR-Avg.blina.hazard_ratio.values", "value 'fit ted' at position 1 is invalid"),
    ({"hazard_ratio": {"breaks": [0.0, 1.0], "values": [1.0, "fitted"]}},
     "hazards.SR-Avg.blina.hazard_ratio.values",
     "unknown parameter 'fitted'; declared in 'parameters': 'control_first_year'"),
    ({"survival_targets": {3.0: 0.975}, "shape": {"breaks": [0.0], "relative": [1.0]}, "hazard_ratio": DELAYED},
     "hazards.SR-Avg.blina", "'shape' does not go with 'hazard_ratio'"),
    ({"breaks": [0.0], "rates": [0.01], "hazard_ratio": {"breaks": [0.0], "values": [0.5]}},
     "hazards.SR-Avg.blina", "'rates' go alone"),
    ({"survival_targets": {3.0: 0.975}, "cure_fraction": 1.0}, "hazards.SR-Avg.blina.cure_fraction",
     "allowed: < 1"),
    ({"survival_targets": {3.0: 0.975}, "cure_fraction": 0.98}, "hazards.SR-Avg.blina",
     "not above the cure fraction 0.98"),
    ({"hazard_ratio": {"breaks": [0.0], "values": [0.5], "reference": "placebo"}},
     "hazards.SR-Avg.blina.hazard_ratio.reference", "unknown arm 'placebo'; allowed: 'chemo'"),
    ({"hazard_ratio": {"breaks": [0.0], "values": [0.5], "reference": "blina"}},
     "hazards.SR-Avg.blina.hazard_ratio.reference", "cannot be its own reference"),
])
def test_bad_hazard_ratios_and_cure_fractions_name_the_key(data, spec, key, fragment):
    data["hazards"]["SR-Avg"]["blina"] = spec
    msg = error_of(data)
    assert f"scenario key '{key}'" in msg and fragment in msg, msg


def test_the_default_reference_is_the_first_arm_and_chains_are_refused(data):
    data["hazards"]["SR-Avg"]["chemo"] = {"hazard_ratio": {"breaks": [0.0], "values": [2.0]}}
    msg = error_of(data)
    assert "scenario key 'hazards.SR-Avg.chemo.hazard_ratio.reference': arm 'chemo' cannot be its own" in msg
    assert "the default reference is the first arm" in msg
    data["hazards"]["SR-Avg"]["chemo"]["hazard_ratio"]["reference"] = "blina"
    data["hazards"]["SR-Avg"]["blina"] = {"hazard_ratio": {"breaks": [0.0], "values": [0.5],
                                                           "reference": "chemo"}}
    msg = error_of(data)
    assert "the reference arm 'blina' is itself given by a hazard ratio" in msg


def test_packaged_delayed_effect_scenario_has_hr_one_then_point_six():
    sc = load_scenario("delayed_effect")
    assert "delayed_effect" in packaged_scenarios()
    hr = sc.calibrated.hazard_ratio("experimental", "control", "all")
    assert hr["start"].tolist()[:2] == [0.0, 1.0]
    assert hr["hazard_ratio"].iloc[0] == 1.0
    assert hr["hazard_ratio"].iloc[1:].tolist() == pytest.approx([0.6] * (len(hr) - 1), rel=1e-15)
