"""A synthetic population of children with B-ALL in the cohort-file format, with labelled assumptions.

Used to check the patient-facing claim that about two thirds of children with B-ALL could benefit
from blinatumomab, and to demonstrate cohort mode. Every distribution below is an assumption (an
approximation of published descriptions of COG standard-risk B-ALL, not fitted data); each is a
named field of :class:`PopulationAssumptions` so it can be changed and its effect seen. The
project's digital-twin scenario (``survtrial.simulate``) is the place for a calibrated population.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from survtrial.errors import InputError

__all__ = ["PopulationAssumptions", "synthetic_cohort"]


def _boys_share() -> float:
    from survtrial.clinical.benefit import load_published

    return load_published()["population"]["percent_boys"] / 100


@dataclass(frozen=True)
class PopulationAssumptions:
    """Distributions of the cohort fields among children (1-18 years) with newly diagnosed B-ALL.

    All values are assumptions (status "assumption") unless the note says otherwise; percentages
    of MRD are on the 0-100 scale, ``log10`` of percent for the latent MRD model.
    """

    nci_high_risk_share: float = 0.35
    """share of NCI high risk (age >= 10 or WBC >= 50,000/uL) among B-ALL aged 1-18 (~1/3)."""
    age_log_median_minus_1: float = float(np.log(3.2))
    age_log_sd: float = 0.55
    """NCI SR ages: 1 + lognormal (median about 4.2 years, cf. published median 4.3), cut at < 10."""
    wbc_log_median: float = float(np.log(7000.0))
    wbc_log_sd: float = 0.9
    """NCI SR white counts: lognormal, median 7,000/uL, cut at < 50,000/uL."""
    boys_share: float = field(default_factory=_boys_share)
    """share of boys: the published 52.6% of randomized children (status: abstract/secondary)."""
    cytogenetics: tuple[tuple[str, float], ...] = (
        ("ETV6::RUNX1", 0.30),
        ("double_trisomy_4_10", 0.22),
        ("other", 0.415),
        ("iAMP21", 0.02),
        ("t(17;19)", 0.005),
        ("KMT2A", 0.01),
        ("hypodiploid", 0.01),
        ("BCR::ABL1", 0.02),
    )
    """genetics among NCI SR B-ALL (ETV6::RUNX1 ~30%, double trisomy 4+10 ~20-25% in COG SR series; t(17;19) rare)."""
    cytogenetics_high_risk: tuple[tuple[str, float], ...] = (
        ("ETV6::RUNX1", 0.10),
        ("double_trisomy_4_10", 0.08),
        ("other", 0.635),
        ("iAMP21", 0.05),
        ("t(17;19)", 0.005),
        ("KMT2A", 0.04),
        ("hypodiploid", 0.03),
        ("BCR::ABL1", 0.06),
    )
    """genetics among NCI high-risk B-ALL (fewer favourable, more BCR::ABL1)."""
    cns: tuple[tuple[str, float], ...] = (("CNS1", 0.84), ("CNS2", 0.14), ("CNS3", 0.02))
    testicular_in_boys: float = 0.005
    day8_log10_mean: tuple[tuple[str, float], ...] = (("favorable", -1.6), ("other", -1.0), ("unfavorable", -0.6))
    day8_log10_sd: float = 1.0
    """day-8 blood MRD: log10(percent) normal, mean by genetics class."""
    eoi_shift_log10: float = -2.0
    eoi_log10_sd: float = 0.8
    """latent EOI marrow MRD: log10 = log10(day-8) + shift + Normal(0, sd)."""
    flow_limit_pct: float = 0.01
    """flow cytometry reports 0 below 0.01%."""
    hts_limit_log10_pct: float = -4.0
    """HTS (clonoSEQ) detects 1 cell in 10^6 = 1e-4 %; latent MRD below is 'undetectable'."""
    hts_indeterminate: float = 0.03
    eoc_shift_log10: float = -1.5
    eoc_log10_sd: float = 0.8
    """latent EOC marrow MRD: log10 = latent EOI + shift + Normal(0, sd); flow reports 0 below 0.01%."""

    def __post_init__(self) -> None:
        for name in ("cytogenetics", "cytogenetics_high_risk", "cns"):
            probs = [p for _, p in getattr(self, name)]
            if min(probs) < 0 or abs(sum(probs) - 1) > 1e-9:
                raise InputError(f"PopulationAssumptions.{name}: probabilities must be >= 0 and sum to 1")
        for name in ("nci_high_risk_share", "boys_share", "testicular_in_boys", "hts_indeterminate"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise InputError(f"PopulationAssumptions.{name}={v!r}: must be a share in [0, 1]")

    def describe(self) -> dict[str, object]:
        """The assumptions as a plain dict (for reports)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


_FAVORABLE = {"ETV6::RUNX1", "double_trisomy_4_10"}
_UNFAVORABLE = {"iAMP21", "KMT2A", "t(17;19)", "hypodiploid", "BCR::ABL1"}


def _truncated_lognormal(gen, n, mu, sd, low, high, shift=0.0):
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        x = shift + np.exp(gen.normal(mu, sd, todo.size))
        ok = (x >= low) & (x < high)
        out[todo[ok]] = x[ok]
        todo = todo[~ok]
    return out


def _draw(gen, table, n):
    labels = np.array([k for k, _ in table], dtype=object)
    return labels[gen.choice(len(table), size=n, p=[p for _, p in table])]


def synthetic_cohort(
    n: int,
    *,
    rng: int | np.random.Generator | None = None,
    include_nci_high_risk: bool = False,
    assumptions: PopulationAssumptions | None = None,
):
    """Draw ``n`` children with newly diagnosed B-ALL in the cohort-file format (pandas DataFrame).

    Parameters
    ----------
    n : int
        Number of children.
    rng : int or numpy.random.Generator, optional
        Seed or generator.
    include_nci_high_risk : bool
        False: all children are NCI standard risk (age 1 to <10, WBC < 50,000/uL), as in the
        trial's screening population. True: children aged 1-18 with B-ALL, a share
        ``nci_high_risk_share`` of them NCI high risk (age 10-18 or WBC >= 50,000/uL).
    assumptions : PopulationAssumptions, optional
        Distributions; the defaults are labelled assumptions (see the class).

    Returns
    -------
    pandas.DataFrame
        Columns of the cohort file (``patient_id``, ``age_years``, ..., ``eoc_bm_mrd_pct``), no blanks.

    Notes
    -----
    MRD follows one latent log-normal response per child: day-8 blood MRD by genetics class,
    end-of-induction MRD correlated with it, end-of-consolidation MRD with the end-of-induction
    value; flow reports 0 below 0.01%, HTS is "undetectable" below 1e-4 % (and "indeterminate"
    for a small share). These are modelling assumptions, not published distributions.

    Examples
    --------
    >>> df = synthetic_cohort(5, rng=1)
    >>> df.shape
    (5, 11)
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n={n!r}: the number of children must be an integer >= 1")
    a = assumptions or PopulationAssumptions()
    gen = np.random.default_rng(rng)
    high = gen.random(n) < a.nci_high_risk_share if include_nci_high_risk else np.zeros(n, bool)
    nh = int(high.sum())
    age = _truncated_lognormal(gen, n, a.age_log_median_minus_1, a.age_log_sd, 1.0, 10.0, shift=1.0)
    wbc = _truncated_lognormal(gen, n, a.wbc_log_median, a.wbc_log_sd, 0.0, 50000.0)
    if nh:
        by_age = gen.random(nh) < 0.6  # assumption: 60% of NCI high risk qualify by age
        hr_age = np.where(by_age, gen.uniform(10.0, 18.0, nh), age[high])
        hr_wbc = np.where(
            by_age, wbc[high], _truncated_lognormal(gen, nh, np.log(90000.0), 0.6, 50000.0, 1.5e6)
        )
        age[high], wbc[high] = hr_age, hr_wbc
    sex = np.where(gen.random(n) < a.boys_share, "M", "F")
    cyto = _draw(gen, a.cytogenetics, n)
    if nh:
        cyto[high] = _draw(gen, a.cytogenetics_high_risk, nh)
    cns = _draw(gen, a.cns, n)
    testicular = (sex == "M") & (gen.random(n) < a.testicular_in_boys)
    means = dict(a.day8_log10_mean)
    cls = np.where(
        np.isin(cyto, list(_FAVORABLE)),
        "favorable",
        np.where(np.isin(cyto, list(_UNFAVORABLE)), "unfavorable", "other"),
    )
    d8_log = np.array([means[c] for c in cls]) + gen.normal(0, a.day8_log10_sd, n)
    eoi_log = d8_log + a.eoi_shift_log10 + gen.normal(0, a.eoi_log10_sd, n)
    eoc_log = eoi_log + a.eoc_shift_log10 + gen.normal(0, a.eoc_log10_sd, n)

    def flow(lg: np.ndarray) -> np.ndarray:
        return np.where(10**lg >= a.flow_limit_pct, np.minimum(10**lg, 100.0), 0.0)

    hts = np.where(eoi_log >= a.hts_limit_log10_pct, "detectable", "undetectable").astype(object)
    hts[gen.random(n) < a.hts_indeterminate] = "indeterminate"
    import pandas as pd

    width = len(str(n))
    return pd.DataFrame(
        {
            "patient_id": [f"S{i + 1:0{width}d}" for i in range(n)],
            "age_years": np.floor(age * 100) / 100,  # floor: rounding must not cross 10 years
            "wbc_per_ul": np.floor(wbc / 10) * 10,
            "sex": sex,
            "cytogenetics": cyto.astype(str),
            "cns_status": cns.astype(str),
            "testicular": testicular,
            "day8_pb_mrd_pct": np.minimum(10**d8_log, 100.0),
            "eoi_bm_flow_mrd_pct": flow(eoi_log),
            "eoi_hts_mrd": hts.astype(str),
            "eoc_bm_mrd_pct": flow(eoc_log),
        }
    )
