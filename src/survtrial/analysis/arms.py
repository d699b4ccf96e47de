"""Which arm is the control (reference) arm, and why: the one rule every analysis, report and monitor uses.

The rule, in order:

1. the arm given by the user (``--reference`` / ``reference=``);
2. the arm with the lowest code of the data's numeric arm variable (ADaM ``TRT01PN``, ``TRT01AN``,
   ``TRTPN``, ``TRTAN``, or a numeric ``ARMCD``), when the data have one;
3. the one arm whose name says control: one of :data:`CONTROL_TERMS` as a word, in any case
   (placebo, control, observation, standard, SOC, chemo alone...);
4. otherwise the analysis is refused, listing the arms, and ``--reference`` must be given.

When rules 2 and 3 point at different arms the data contradict themselves and the analysis is
refused too. Alphabetical order is never used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from survtrial.errors import InputError

__all__ = ["CONTROL_TERMS", "ReferenceArm", "choose_reference", "control_term"]

#: Words and phrases that name a control arm (matched as whole words, case-insensitive).
CONTROL_TERMS = (
    "placebo",
    "pbo",
    "control",
    "observation",
    "standard of care",
    "standard",
    "soc",
    "usual care",
    "best supportive care",
    "bsc",
    "chemo alone",
    "chemotherapy alone",
    "sham",
    "no treatment",
)
_PATTERNS = [(t, re.compile(r"(?<![a-z0-9])" + re.escape(t).replace(r"\ ", r"[\s_-]+") + r"(?![a-z0-9])"))
             for t in CONTROL_TERMS]


def control_term(label: str) -> str | None:
    """The first of :data:`CONTROL_TERMS` found as a word in ``label``, else None.

    Examples
    --------
    >>> control_term("Placebo + chemo"), control_term("Drug X"), control_term("chemo_alone")
    ('placebo', None, 'chemo alone')
    """
    text = str(label).lower()
    return next((term for term, pattern in _PATTERNS if pattern.search(text)), None)


@dataclass(frozen=True)
class ReferenceArm:
    """The control arm of a two-arm comparison and why it was chosen.

    ``rule`` is ``"given"``, ``"order"`` (a numeric arm code) or ``"name"``; ``reason`` says it in
    words for reports ("lowest TRT01PN (1 = 'Observation')").
    """

    reference: str
    experimental: str
    rule: str
    reason: str

    def __str__(self) -> str:
        return f"reference (control) arm: {self.reference} ({self.reason})"


def _levels(values: Sequence[object] | pd.Series) -> list[str]:
    levels = sorted(pd.Series(values).dropna().astype(str).unique())
    if len(levels) != 2:
        raise InputError(
            f"arm: the analysis needs exactly two arms, found {len(levels)}: {levels}; filter the data to two arms"
        )
    return levels


def choose_reference(
    arms: Sequence[object] | pd.Series,
    *,
    reference: str | ReferenceArm | None = None,
    order: Mapping[str, float] | None = None,
    order_variable: str | None = None,
) -> ReferenceArm:
    """Choose the control arm of a two-arm trial by the module's rule and say why.

    Parameters
    ----------
    arms : the arm label of every subject (or the two labels).
    reference : the control arm given by the user (or an earlier choice, passed through).
    order : numeric code of each arm (ADaM ``TRT01PN``); the lowest code is the control.
    order_variable : name of the variable holding ``order`` (for the reason and messages).

    Returns
    -------
    ReferenceArm

    Examples
    --------
    >>> choose_reference(["drug", "placebo", "drug"]).reference
    'placebo'
    >>> choose_reference(["A", "B"], order={"B": 1, "A": 2}, order_variable="TRT01PN").reason
    "lowest TRT01PN (1 = 'B')"
    """
    levels = _levels(arms)
    if isinstance(reference, ReferenceArm):
        if {reference.reference, reference.experimental} != set(levels):
            raise InputError(f"reference arm {reference.reference!r}: the arms of these data are {levels}")
        return reference
    if reference is not None:
        if str(reference) not in levels:
            raise InputError(f"--reference {str(reference)!r} is not an arm of the data; the arms are {levels}")
        ref = str(reference)
        return ReferenceArm(ref, _other(levels, ref), "given", "set by --reference / reference=")
    by_order = _by_order(levels, order, order_variable)
    named = [(lv, control_term(lv)) for lv in levels]
    by_name = [(lv, term) for lv, term in named if term is not None]
    if by_order is not None:
        ref, reason = by_order
        clash = [lv for lv, _ in by_name if lv != ref]
        if len(by_name) == 1 and clash:
            raise InputError(
                f"arms {levels}: {reason} makes {ref!r} the control, but the name {clash[0]!r} says control "
                f"({by_name[0][1]!r}); give the control arm with --reference"
            )
        return ReferenceArm(ref, _other(levels, ref), "order", reason)
    if len(by_name) == 1:
        ref, term = by_name[0]
        return ReferenceArm(ref, _other(levels, ref), "name", f"its name says control ({term!r})")
    why = ("both names say control" if by_name else "neither name says control")
    raise InputError(
        f"arms {levels}: cannot tell which is the control arm ({why}; control words: "
        f"{', '.join(CONTROL_TERMS)}); give it with --reference NAME, NAME one of: {', '.join(levels)}"
    )


def _other(levels: list[str], ref: str) -> str:
    return levels[1] if levels[0] == ref else levels[0]


def _by_order(levels: list[str], order: Mapping[str, float] | None, variable: str | None) -> tuple[str, str] | None:
    if not order:
        return None
    name = variable or "arm code"
    missing = [lv for lv in levels if lv not in order]
    if missing:
        raise InputError(f"{name}: no code for arm(s) {missing}; every arm needs one")
    codes = {lv: float(order[lv]) for lv in levels}
    if codes[levels[0]] == codes[levels[1]]:
        raise InputError(f"{name}: arms {levels} have the same code {codes[levels[0]]:g}; codes must differ")
    ref = min(levels, key=lambda lv: codes[lv])
    return ref, f"lowest {name} ({codes[ref]:g} = {ref!r})"
