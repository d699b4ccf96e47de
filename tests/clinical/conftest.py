"""Fixtures for the clinical tests: thresholds read out of the reference's rule strings."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(scope="session")
def thresholds(reference) -> dict:
    """Numbers and label lists read out of the reference's rule strings (never retyped in tests)."""
    cr = reference["classification_rules"]

    def num(s: str) -> list[float]:
        return [float(x) for x in re.findall(r"(?<![\w:])\d+(?:\.\d+)?", s)]

    def lst(s: str) -> list[str]:
        return re.search(r"\[(.*)\]", s).group(1).replace(" ", "").split(",")

    def label(s: str) -> str:
        return re.search(r"== (\S+)", s).group(1)

    elig = num(cr["eligibility"]["nci_standard_risk"])
    high, fav = cr["sr_high"]["any_of"], cr["sr_fav"]["all_of"]
    classes = cr["cytogenetics_classes"]
    assert high[0] == "cytogenetics in unfavorable" and fav[0] == "cytogenetics in favorable"
    assert high[3] == "cytogenetics is neutral and cns_status == CNS2"
    return {
        "age_low": elig[0],
        "age_high": elig[1],
        "wbc_high": elig[2],
        "unfavorable": classes["unfavorable"],
        "favorable": classes["favorable"],
        "dt_label": label(high[1]),
        "dt_eoi_flow": num(high[1])[0],
        "eoi_flow": num(high[2])[0],
        "eoc": num(cr["sr_high"]["randomized_if"])[0],
        "fav_day8": num(fav[1])[0],
        "fav_eoi_flow": num(fav[2])[0],
        "avg_randomized_hts": lst(cr["sr_avg"]["randomized_if"]),
    }
