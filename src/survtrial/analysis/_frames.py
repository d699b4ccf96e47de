"""Small frame helpers shared by the analysis pipelines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["combined_key"]


def combined_key(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray | None:
    """One label per row joining ``columns`` with '/', e.g. stratum 'SR-Avg/M'; None without columns."""
    if not columns:
        return None
    key = frame[columns[0]].astype(str)
    for c in columns[1:]:
        key = key + "/" + frame[c].astype(str)
    return key.to_numpy()
