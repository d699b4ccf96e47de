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

    elig = num(cr["eligibility"]["nci_standard_risk"])
    high, fav = cr["sr_high"]["any_of"], cr["sr_fav"]["all_of"]
    return {
        "age_low": elig[0],
        "age_high": elig[1],
        "wbc_high": elig[2],
        "unfavorable": lst(high[0]),
        "eoi_flow": num(high[2])[0],
        "day8": num(high[3])[0],
        "eoc": num(cr["sr_high"]["randomized_if"])[0],
        "favorable": lst(fav[0]),
        "fav_day8": num(fav[2])[0],
        "fav_eoi_flow": num(fav[3])[0],
        "avg_randomized_hts": lst(cr["sr_avg"]["randomized_if"]),
    }
