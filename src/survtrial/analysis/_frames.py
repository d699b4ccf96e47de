"""Small frame helpers shared by the analysis pipelines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from survtrial.errors import InputError

__all__ = ["combined_key", "require_labels"]


def require_labels(frame: pd.DataFrame, columns: Sequence[str], what: str = "label") -> None:
    """Refuse a blank cell (missing or only spaces) in a label column, naming the column and the 1-based row."""
    for col in columns:
        values = frame[col]
        blank = values.isna().to_numpy()
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            blank = blank | values.astype(str).str.strip().eq("").to_numpy()
        if blank.any():
            row = int(np.flatnonzero(blank)[0]) + 1
            raise InputError(
                f"column {col!r} row {row}: blank {what} ({int(blank.sum())} such row(s)); every subject needs one"
            )


def combined_key(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray | None:
    """One label per row joining ``columns`` with '/', e.g. stratum 'SR-Avg/M'; None without columns."""
    if not columns:
        return None
    key = frame[columns[0]].astype(str)
    for c in columns[1:]:
        key = key + "/" + frame[c].astype(str)
    return key.to_numpy()
