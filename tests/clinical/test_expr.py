"""The rule evaluator: grammar, three-valued (Kleene) logic, and rejection of anything but rules."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.clinical._expr import compile_rule
from survtrial.clinical.patient import FIELDS
from survtrial.errors import InputError


def ev(src, **rec):
    return compile_rule(src, FIELDS).evaluate(rec)


def test_chained_comparison_and_boundaries():
    rule = "1 <= age_years < 10 and wbc_per_ul < 50000"
    assert ev(rule, age_years=1.0, wbc_per_ul=49999.0) == (True, frozenset())
    assert ev(rule, age_years=10.0, wbc_per_ul=10.0)[0] is False
    assert ev(rule, age_years=0.99, wbc_per_ul=10.0)[0] is False
    assert ev(rule, age_years=4.0, wbc_per_ul=50000.0)[0] is False


def test_labels_lists_and_negation():
    assert ev("cytogenetics in [KMT2A, iAMP21, hypodiploid]", cytogenetics="iAMP21")[0] is True
    assert ev("cytogenetics not in [KMT2A, iAMP21]", cytogenetics="other")[0] is True
    assert ev("not cns_status == CNS1", cns_status="CNS2")[0] is True
    assert ev("cytogenetics == BCR::ABL1", cytogenetics="BCR::ABL1")[0] is True
    assert ev("testicular == true", testicular=False)[0] is False
    assert ev("(cns_status == CNS2 or cns_status == CNS3) and age_years < 10", cns_status="CNS3", age_years=3.0)[0]


def test_unknown_names_the_missing_fields():
    assert ev("1 <= age_years < 10 and wbc_per_ul < 50000", age_years=4.0) == (None, frozenset({"wbc_per_ul"}))
    # a known false conjunct decides an "and" whatever is blank
    assert ev("age_years < 10 and wbc_per_ul < 50000", age_years=12.0) == (False, frozenset())
    # a known true disjunct decides an "or"
    assert ev("cns_status == CNS2 or day8_pb_mrd_pct >= 1", day8_pb_mrd_pct=3.0) == (True, frozenset())
    assert ev("not eoi_hts_mrd == undetectable") == (None, frozenset({"eoi_hts_mrd"}))


@pytest.mark.parametrize(
    "src, fragment",
    [
        ("__import__('os').system('true')", "cannot read"),
        ("__import__ == 1", "not a known field"),
        ("age_years.__class__ == 1", "not a known field"),
        ("agee_years < 10", "not a known field"),
        ("cytogenetics == KMT2B", "accepted"),
        ("cns_status < CNS2", "cannot order"),
        ("age_years < CNS2", "numeric"),
        ("cytogenetics in KMT2A", "needs a list"),
        ("age_years < 10 and", "expected a value"),
        ("age_years <", "expected a value"),
        ("(age_years < 10", "expected ')'"),
        ("age_years ; 3", "cannot read"),
        ("", "non-empty"),
    ],
)
def test_malformed_or_unsafe_rules_are_rejected(src, fragment):
    with pytest.raises(InputError, match="rule") as err:
        compile_rule(src, FIELDS)
    assert fragment in str(err.value)


# Kleene logic, double-programmed: truth tables written out for and/or/not over {T, F, U}.
def kleene_and(a, b):
    return False if False in (a, b) else (None if None in (a, b) else True)


def kleene_or(a, b):
    return True if True in (a, b) else (None if None in (a, b) else False)


ATOM = {True: 1.0, False: 0.0}  # "day8_pb_mrd_pct >= 1" is True for 1.0, False for 0.0, unknown for blank


def _rec(field, truth):
    return {} if truth is None else {field: ATOM[truth]}


def test_truth_tables_match_kleene():
    for a, b in itertools.product([True, False, None], repeat=2):
        rec = {**_rec("day8_pb_mrd_pct", a), **_rec("eoc_bm_mrd_pct", b)}
        got_and = ev("day8_pb_mrd_pct >= 1 and eoc_bm_mrd_pct >= 1", **rec)[0]
        got_or = ev("day8_pb_mrd_pct >= 1 or eoc_bm_mrd_pct >= 1", **rec)[0]
        assert got_and is kleene_and(a, b), (a, b)
        assert got_or is kleene_or(a, b), (a, b)
    for a in (True, False, None):
        got = ev("not day8_pb_mrd_pct >= 1", **_rec("day8_pb_mrd_pct", a))[0]
        assert got is (None if a is None else not a)


NUMERIC = ["age_years", "wbc_per_ul", "day8_pb_mrd_pct", "eoi_bm_flow_mrd_pct", "eoc_bm_mrd_pct"]


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.floats(0, 20)), min_size=3, max_size=3),
    cuts=st.lists(st.floats(0, 20), min_size=3, max_size=3),
    ops=st.lists(st.sampled_from(["and", "or"]), min_size=2, max_size=2),
)
def test_random_expressions_match_a_plain_kleene_fold(values, cuts, ops):
    fields = NUMERIC[:3]
    src = f"{fields[0]} < {cuts[0]!r} {ops[0]} {fields[1]} >= {cuts[1]!r} {ops[1]} {fields[2]} != {cuts[2]!r}"
    rec = {f: v for f, v in zip(fields, values, strict=True) if v is not None}
    atoms = [
        None if values[0] is None else values[0] < cuts[0],
        None if values[1] is None else values[1] >= cuts[1],
        None if values[2] is None else values[2] != cuts[2],
    ]
    # precedence: "and" binds tighter than "or"
    if ops == ["and", "or"]:
        expect = kleene_or(kleene_and(atoms[0], atoms[1]), atoms[2])
    elif ops == ["or", "and"]:
        expect = kleene_or(atoms[0], kleene_and(atoms[1], atoms[2]))
    elif ops == ["and", "and"]:
        expect = kleene_and(kleene_and(atoms[0], atoms[1]), atoms[2])
    else:
        expect = kleene_or(kleene_or(atoms[0], atoms[1]), atoms[2])
    truth, missing = compile_rule(src, FIELDS).evaluate(rec)
    assert truth is expect
    if truth is not None:
        assert missing == frozenset()
    else:
        assert missing and missing <= {f for f, v in zip(fields, values, strict=True) if v is None}
