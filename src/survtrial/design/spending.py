"""Error-spending functions: Lan-DeMets O'Brien-Fleming and Pocock types, Hwang-Shih-DeCani, Kim-DeMets, user."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from survtrial.errors import InputError
from survtrial.stats._input import as_number

__all__ = [
    "SpendingFunction",
    "hwang_shih_decani_spending",
    "kim_demets_spending",
    "obrien_fleming_spending",
    "pocock_spending",
    "spending_function",
    "user_spending",
]

_FAMILIES = ("OF", "P", "HSD", "KD", "user")
_RPACT = {"OF": "asOF", "P": "asP", "HSD": "asHSD", "KD": "asKD", "user": "asUser"}
_GSDESIGN = {"OF": "sfLDOF", "P": "sfLDPocock", "HSD": "sfHSD", "KD": "sfPower", "user": "sfLinear"}


@dataclass(frozen=True)
class SpendingFunction:
    """A cumulative error-spending function ``f(t; level)`` on information fractions ``t`` in [0, 1].

    Build one with the constructors (:func:`obrien_fleming_spending`, :func:`pocock_spending`,
    :func:`hwang_shih_decani_spending`, :func:`kim_demets_spending`, :func:`user_spending`) or
    parse a name with :func:`spending_function`. The same object spends alpha (efficacy) or beta
    (futility): the level is given at the call.

    Attributes
    ----------
    family : str
        ``"OF"``, ``"P"``, ``"HSD"``, ``"KD"`` or ``"user"``.
    parameter : float or None
        gamma for HSD, rho for KD; None otherwise.
    points : tuple of (fraction, proportion) pairs, or None
        For ``"user"``: cumulative proportion of the level spent at each fraction.
    """

    family: str
    parameter: float | None = None
    points: tuple[tuple[float, float], ...] | None = None

    @property
    def rpact_name(self) -> str:
        """rpact ``typeOfDesign`` / ``typeBetaSpending`` name (``asOF``, ``asP``, ``asHSD``, ``asKD``, ``asUser``)."""
        return _RPACT[self.family]

    @property
    def gsdesign_name(self) -> str:
        """gsDesign spending function name (``sfLDOF``, ``sfLDPocock``, ``sfHSD``, ``sfPower``, ``sfLinear``)."""
        return _GSDESIGN[self.family]

    @property
    def label(self) -> str:
        """Short label such as ``asOF`` or ``asHSD(-4)``."""
        if self.parameter is None:
            return self.rpact_name
        return f"{self.rpact_name}({self.parameter:g})"

    def __repr__(self) -> str:
        return f"SpendingFunction({self.label})"

    def spent(self, t: Any, level: float, sided: int = 1) -> np.ndarray:
        """Cumulative error spent at information fractions ``t`` for a total ``level``.

        For ``sided=2`` the level is two-sided and the value is ``2 * f(t; level / 2)``, as rpact
        does (this matters only for the O'Brien-Fleming type, the others are linear in the level).
        """
        if sided == 2:
            return 2.0 * self.spent(t, level / 2.0, 1)
        t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
        fam, p = self.family, self.parameter
        with np.errstate(divide="ignore", invalid="ignore"):
            if fam == "OF":
                z = ndtri(1.0 - level / 2.0)
                out = np.where(t > 0, 2.0 * ndtr(-z / np.sqrt(np.where(t > 0, t, 1.0))), 0.0)
            elif fam == "P":
                out = level * np.log1p((math.e - 1.0) * t)
            elif fam == "HSD":
                out = level * t if p == 0 else level * np.expm1(-p * t) / math.expm1(-p)
            elif fam == "KD":
                out = level * t**p
            else:
                x, y = zip(*self.points, strict=True)
                out = level * np.interp(t, (0.0, *x), (0.0, *y))
        return np.where(t >= 1.0, level, out)

    def __call__(self, t: Any, level: float, sided: int = 1) -> np.ndarray:
        return self.spent(t, level, sided)


def obrien_fleming_spending() -> SpendingFunction:
    """Lan-DeMets O'Brien-Fleming type spending: ``f(t) = 2 (1 - Phi(z_{1-level/2} / sqrt(t)))``.

    Notes
    -----
    rpact ``asOF``, gsDesign ``sfLDOF``. One-sided level alpha uses ``z_{1-alpha/2}``; for a
    two-sided level the function is applied to alpha/2 per side and doubled (rpact convention).

    References
    ----------
    Lan KKG, DeMets DL (1983). Discrete sequential boundaries for clinical trials. Biometrika 70:659-663.

    Examples
    --------
    >>> float(obrien_fleming_spending()(1.0, 0.025))
    0.025
    """
    return SpendingFunction("OF")


def pocock_spending() -> SpendingFunction:
    """Lan-DeMets Pocock type spending: ``f(t) = level * log(1 + (e - 1) t)`` (rpact ``asP``, gsDesign ``sfLDPocock``).

    References
    ----------
    Lan KKG, DeMets DL (1983). Biometrika 70:659-663.

    Examples
    --------
    >>> round(float(pocock_spending()(0.5, 0.05)), 6)
    0.031006
    """
    return SpendingFunction("P")


def hwang_shih_decani_spending(gamma: float) -> SpendingFunction:
    """Hwang-Shih-DeCani spending: ``level (1 - exp(-gamma t)) / (1 - exp(-gamma))``; ``level t`` at gamma 0.

    gamma = -4 resembles O'Brien-Fleming, gamma = 1 resembles Pocock (rpact ``asHSD``, gsDesign ``sfHSD``).

    References
    ----------
    Hwang IK, Shih WJ, DeCani JS (1990). Group sequential designs using a family of type I error
    probability spending functions. Stat Med 9:1439-1445.

    Examples
    --------
    >>> hwang_shih_decani_spending(-4)
    SpendingFunction(asHSD(-4))
    """
    g = as_number(gamma, "gamma")
    return SpendingFunction("HSD", g)


def kim_demets_spending(rho: float) -> SpendingFunction:
    """Kim-DeMets power spending: ``level * t**rho`` with rho > 0 (rpact ``asKD``, gsDesign ``sfPower``).

    References
    ----------
    Kim K, DeMets DL (1987). Design and analysis of group sequential tests based on the type I error
    spending rate function. Biometrika 74:149-154.

    Examples
    --------
    >>> float(kim_demets_spending(2)(0.5, 0.025))
    0.00625
    """
    r = as_number(rho, "rho")
    if r <= 0:
        raise InputError(f"rho: the Kim-DeMets exponent must be > 0, got {rho}")
    return SpendingFunction("KD", r)


def user_spending(fractions: Any, proportions: Any) -> SpendingFunction:
    """Spending through user-given points: cumulative ``proportions`` of the level at ``fractions``.

    Between points (and from (0, 0)) the function is linear (gsDesign ``sfLinear``); at the design's
    own looks it reproduces rpact ``asUser`` with ``userAlphaSpending = level * proportions``.

    Parameters
    ----------
    fractions : sequence of float
        Strictly increasing information fractions in (0, 1].
    proportions : sequence of float
        Non-decreasing cumulative proportions of the level in [0, 1], one per fraction. If the last
        fraction is 1 the last proportion must be 1.

    Examples
    --------
    >>> f = user_spending([0.5, 1.0], [0.2, 1.0])
    >>> round(float(f(0.5, 0.025)), 6)
    0.005
    """
    x = np.asarray(fractions, dtype=float).ravel()
    y = np.asarray(proportions, dtype=float).ravel()
    if x.size == 0 or x.size != y.size:
        raise InputError(
            f"user spending: need one proportion per fraction, got {x.size} fractions and {y.size} proportions"
        )
    if not (np.all(np.isfinite(x)) and np.all(x > 0) and np.all(x <= 1) and np.all(np.diff(x) > 0)):
        raise InputError(f"user spending: fractions must be strictly increasing in (0, 1], got {x.tolist()}")
    if not (np.all(np.isfinite(y)) and np.all(y >= 0) and np.all(y <= 1) and np.all(np.diff(y) >= 0)):
        raise InputError(
            f"user spending: proportions must be non-decreasing in [0, 1], got {y.tolist()}; "
            "give cumulative proportions of the total level (divide cumulative alpha by alpha)"
        )
    if x[-1] == 1.0 and abs(y[-1] - 1.0) > 1e-12:
        raise InputError(f"user spending: the proportion at fraction 1 must be 1, got {y[-1]}")
    if x[-1] < 1.0:
        x, y = np.append(x, 1.0), np.append(y, 1.0)
    return SpendingFunction("user", None, tuple(zip(x.tolist(), y.tolist(), strict=True)))


_ALIASES = {
    "of": "OF", "asof": "OF", "sfldof": "OF", "obrien-fleming": "OF", "obf": "OF",
    "p": "P", "asp": "P", "sfldpocock": "P", "pocock": "P",
    "hsd": "HSD", "ashsd": "HSD", "sfhsd": "HSD",
    "kd": "KD", "askd": "KD", "sfpower": "KD",
}  # fmt: skip


def spending_function(spec: Any, parameter: float | None = None) -> SpendingFunction:
    """Parse a spending-function name into a :class:`SpendingFunction`.

    Accepts a SpendingFunction (returned as is), rpact names (``"asOF"``, ``"asP"``, ``"asHSD(-4)"``,
    ``"asKD(2)"``), gsDesign names (``"sfLDOF"``, ``"sfLDPocock"``, ``"sfHSD(-4)"``, ``"sfPower(2)"``),
    short names (``"OF"``, ``"P"``, ``"HSD"``, ``"KD"``) with ``parameter``, or a tuple
    ``("HSD", -4)``.

    Examples
    --------
    >>> spending_function("sfHSD(-4)")
    SpendingFunction(asHSD(-4))
    >>> spending_function("KD", 3)
    SpendingFunction(asKD(3))
    """
    if isinstance(spec, SpendingFunction):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        spec, parameter = spec
    if not isinstance(spec, str):
        raise InputError(
            f"spending function: expected a name such as 'OF', 'asHSD(-4)' or a SpendingFunction, got {spec!r}"
        )
    m = re.fullmatch(r"\s*([A-Za-z_-]+)\s*(?:\(\s*([^()]*?)\s*\))?\s*", spec)
    fam = _ALIASES.get(m.group(1).lower()) if m else None
    if fam is None:
        raise InputError(
            f"spending function {spec!r} not recognised; use one of OF/asOF/sfLDOF, P/asP/sfLDPocock, "
            "HSD(gamma)/asHSD/sfHSD, KD(rho)/asKD/sfPower, or user_spending(...)"
        )
    if m.group(2):
        try:
            parameter = float(m.group(2))
        except ValueError:
            raise InputError(f"spending function {spec!r}: parameter {m.group(2)!r} is not a number") from None
    if fam == "OF":
        return obrien_fleming_spending()
    if fam == "P":
        return pocock_spending()
    if parameter is None:
        what = "gamma" if fam == "HSD" else "rho"
        raise InputError(f"spending function {spec!r} needs its {what}, e.g. '{fam}(-4)' or parameter=...")
    return hwang_shih_decani_spending(parameter) if fam == "HSD" else kim_demets_spending(parameter)
