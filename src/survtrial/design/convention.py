"""survtrial's one sign convention for test statistics: z > 0 favours the experimental arm.

The statistics layer keeps R's convention: :func:`survtrial.stats.logrank_test` gives
``z = (O - E) / sqrt(V)`` of the experimental (non-reference) arm, negative when the experimental arm
has fewer events than expected. Design, monitoring, the CLI and every report use the opposite sign,
the one of group-sequential boundaries (reject H0 when z >= the efficacy bound). The conversion is
made here and nowhere else: every caller that prints, stores or compares a log-rank z uses
:func:`design_z`.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Z_CONVENTION", "design_z", "direction_conflict", "z_direction"]

#: The convention in words, for reports, help texts and table notes.
Z_CONVENTION = "z > 0 favours the experimental arm"


def design_z(logrank: Any) -> float:
    """The log-rank z in survtrial's convention (z > 0 favours the experimental arm).

    Parameters
    ----------
    logrank : a :class:`~survtrial.stats.logrank.LogRankResult` of two arms (or its ``z``).

    Returns
    -------
    float
        ``-logrank.z``: minus (O - E)/sqrt(V) of the experimental arm.

    Examples
    --------
    >>> from survtrial.stats.logrank import logrank_test
    >>> lr = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], ["c", "e", "c", "e", "c", "e"], reference="c")
    >>> round(lr.z, 4), round(design_z(lr), 4)
    (-0.6963, 0.6963)
    """
    z = getattr(logrank, "z", logrank)
    if z is None:
        raise ValueError("the log-rank result has no z (it compares more than two groups)")
    return -float(z)


def z_direction(z: float, experimental: str = "the experimental arm", reference: str = "control") -> str:
    """'favours drug' / 'favours placebo' / 'favours neither' for a z in survtrial's convention."""
    if z > 0:
        return f"favours {experimental}"
    if z < 0:
        return f"favours {reference}"
    return "favours neither arm"


def direction_conflict(z: float, hazard_ratio: float, null_hazard_ratio: float = 1.0) -> bool:
    """True when ``z`` (survtrial's convention) and a hazard ratio point in opposite directions.

    z > 0 says the experimental arm is better than under H0, i.e. HR < ``null_hazard_ratio``; a z
    from :func:`~survtrial.stats.logrank_test` used without :func:`design_z` has the wrong sign and
    shows as a conflict. Exact zeros and HR equal to the null conflict with nothing.

    Examples
    --------
    >>> direction_conflict(-4.40, 0.39), direction_conflict(4.40, 0.39)
    (True, False)
    """
    if not (math.isfinite(z) and math.isfinite(hazard_ratio)) or hazard_ratio <= 0:
        return False
    log_ratio = math.log(null_hazard_ratio / hazard_ratio)
    return (z > 0 and log_ratio < 0) or (z < 0 and log_ratio > 0)
