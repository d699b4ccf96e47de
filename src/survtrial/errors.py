"""Error and warning types that survtrial raises for bad input or ill-defined statistics, and for a run stopped
at the caller's request."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: the message says what is wrong, where (column, row, key) and how to fix it.

    Example: ``column 'AVAL' row 17: negative time -3.0; times must be >= 0``.
    The CLI catches it, prints the message without a traceback and exits with status 2.
    """


class Cancelled(Exception):
    """A long run stopped because its caller asked it to (its ``cancel`` event was set); nothing is returned."""


class ConvergenceWarning(UserWarning):
    """An iterative fit did not converge, or converged to an infinite estimate (monotone likelihood)."""


class StatisticWarning(UserWarning):
    """A statistic is undefined or unreliable for these data (e.g. no events); a value is still returned."""
