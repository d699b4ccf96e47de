"""Cohort chart for AALL1731 benefit: who falls in which risk group, and the DFS gain where established."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure

from survtrial.report._style import PALETTE, new_figure, plain, style

__all__ = ["benefit_chart"]

_INK = "#222222"


def benefit_chart(assessment: Any) -> Figure:
    """Two panels for a :class:`survtrial.clinical.cohort.CohortAssessment`.

    Left: share of the cohort per category (not eligible, SR-Fav, SR-Avg, SR-High, cannot
    classify), the part that would have been randomized (eligible for blinatumomab) filled.
    Right: 3-year DFS difference (blinatumomab minus chemotherapy, percentage points = DFS events
    prevented per 100 treated) with its confidence interval, per randomized group and for the
    cohort's mix; SR-Fav is marked "not randomized: benefit not established".

    Examples
    --------
    >>> from survtrial.clinical.cohort import assess_cohort
    >>> from survtrial.clinical.population import synthetic_cohort
    >>> fig = benefit_chart(assess_cohort(synthetic_cohort(300, rng=1)))
    >>> len(fig.axes)
    2
    """
    from survtrial.clinical.cohort import CATEGORIES

    s = assessment.summary
    cats = [c for c in CATEGORIES if s.counts[c] or c in ("SR-Fav", "SR-Avg", "SR-High")]
    cat_of = assessment.categories()
    randomized = {c: 0 for c in cats}
    for c, cl in zip(cat_of, assessment.classifications, strict=True):
        if cl.randomized and c in randomized:
            randomized[c] += 1
    with style():
        fig: Figure = new_figure(9.0, 3.6)
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
        y = list(range(len(cats)))[::-1]
        total = [s.counts[c] / s.n for c in cats]
        rnd = [randomized[c] / s.n for c in cats]
        ax1.barh(y, total, color="white", edgecolor=PALETTE[0], linewidth=1.0, label="in category")
        ax1.barh(y, rnd, color=PALETTE[0], label="would be randomized\n(eligible for blinatumomab)")
        for yi, t in zip(y, total, strict=True):
            ax1.text(t + 0.01, yi, f"{t:.0%}", va="center", fontsize=8.5, color=_INK)
        ax1.set_yticks(y, [plain(c) for c in cats])
        ax1.set_xlim(0, max([*total, 0.1]) * 1.25)
        ax1.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax1.set_xlabel(f"share of {s.n} children")
        ax1.set_title(f"Who could benefit: {s.share_randomized:.0%} eligible for blinatumomab")
        ax1.legend(frameon=False, fontsize=7.5, loc="lower right")

        rows = []
        for g in ("SR-Avg", "SR-High"):
            b = assessment.benefits[g]
            rows.append((g, b.difference, *b.difference_ci))
        lo, hi = s.benefit_per_100_treated_ci
        rows.append(("cohort mix", s.benefit_per_100_treated, lo, hi))
        yy = list(range(len(rows) + 1))[::-1]
        for yi, (name, est, low, high) in zip(yy[:-1], rows, strict=True):  # the last row is SR-Fav
            if math.isfinite(est):
                ax2.errorbar(est, yi, xerr=[[est - low], [high - est]], fmt="D" if name == "cohort mix" else "o",
                             color=PALETTE[1] if name == "cohort mix" else PALETTE[0], capsize=3, ms=5)
                ax2.text(high + 0.5, yi, f"{est:.1f} ({low:.1f} to {high:.1f})", va="center", fontsize=8,
                         color=_INK)
        ax2.text(0.8, yy[-1], "not randomized: benefit not established", va="center", fontsize=8,
                 color="#555555")
        ax2.set_yticks(yy, [r[0] for r in rows] + ["SR-Fav"])
        ax2.axvline(0, color="#888888", linewidth=0.8)
        ax2.set_xlim(min(-2.0, min(r[2] for r in rows if math.isfinite(r[2])) - 1) if any(
            math.isfinite(r[2]) for r in rows) else -2.0, 32)
        ax2.set_ylim(-0.6, len(rows) + 0.5)
        ax2.set_xlabel(f"3-year DFS gain, points ({s.level:.0%} CI)\n= DFS events prevented per 100 children treated")
        ax2.set_title("Absolute benefit (AALL1731, first interim)")
    return fig
