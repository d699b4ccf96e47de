"""The control-arm rule: given, else the lowest arm code, else a name that says control, else refused."""

import pytest

from survtrial.analysis.arms import CONTROL_TERMS, choose_reference, control_term
from survtrial.errors import InputError


@pytest.mark.parametrize(
    ("arms", "control", "term"),
    [
        (["drug", "placebo"], "placebo", "placebo"),
        (["Blinatumomab + chemo", "Chemotherapy alone"], "Chemotherapy alone", "chemotherapy alone"),
        (["chemo_alone", "chemo + blina"], "chemo_alone", "chemo alone"),
        (["OBSERVATION", "Drug X"], "OBSERVATION", "observation"),
        (["SOC", "SOC + new drug"], None, None),  # both say control: refused below
        (["Standard of care", "Drug"], "Standard of care", "standard of care"),
        (["Best supportive care", "Drug"], "Best supportive care", "best supportive care"),
        (["PBO", "ACTIVE"], "PBO", "pbo"),
        (["Control arm", "Experimental arm"], "Control arm", "control"),
    ],
)
def test_names_that_say_control(arms, control, term):
    if control is None:
        with pytest.raises(InputError, match="both names say control"):
            choose_reference(arms)
        return
    choice = choose_reference(arms * 3)
    assert choice.reference == control and choice.rule == "name"
    assert choice.reason == f"its name says control ({term!r})"
    assert choice.experimental == next(a for a in arms if a != control)


def test_words_inside_other_words_do_not_count():
    assert control_term("nonstandard dose") is None and control_term("Socrates") is None
    assert control_term("uncontrolled") is None and control_term("placebo-controlled") == "placebo"


def test_refused_without_a_rule_lists_the_arms_and_the_words():
    with pytest.raises(InputError) as err:
        choose_reference(["chemo", "blina"])
    msg = str(err.value)
    assert "NAME one of: blina, chemo" in msg and "--reference" in msg
    assert all(t in msg for t in CONTROL_TERMS)


def test_given_reference_wins_and_is_checked():
    assert choose_reference(["drug", "placebo"], reference="drug").reference == "drug"
    with pytest.raises(InputError, match="--reference 'Placebo' is not an arm of the data; the arms are"):
        choose_reference(["drug", "placebo"], reference="Placebo")


def test_arm_codes_order_the_arms():
    c = choose_reference(["Drug X", "Observation"], order={"Observation": 1, "Drug X": 2}, order_variable="TRT01PN")
    assert (c.reference, c.rule) == ("Observation", "order")
    c = choose_reference(["A", "B"], order={"A": 3.0, "B": 1.0}, order_variable="TRT01AN")
    assert c.reference == "B" and c.reason == "lowest TRT01AN (1 = 'B')"
    with pytest.raises(InputError, match="same code"):
        choose_reference(["A", "B"], order={"A": 1, "B": 1}, order_variable="TRT01PN")
    with pytest.raises(InputError, match="makes 'drug' the control, but the name 'placebo' says control"):
        choose_reference(["drug", "placebo"], order={"drug": 1, "placebo": 2}, order_variable="TRT01PN")


def test_two_arms_needed():
    with pytest.raises(InputError, match="exactly two arms, found 3"):
        choose_reference(["a", "b", "placebo"])
