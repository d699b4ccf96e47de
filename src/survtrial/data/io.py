"""Read a trial table from CSV, Parquet, SAS transport (.xpt) or .sas7bdat into a pandas frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from survtrial.errors import InputError

__all__ = ["SUPPORTED_SUFFIXES", "read_table"]

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq", ".xpt", ".sas7bdat")


def read_table(path: str | Path, *, role: str = "table") -> pd.DataFrame:
    """Read one data set; the format follows the file suffix.

    Parameters
    ----------
    path : file path ending in .csv, .parquet/.pq, .xpt (SAS transport v5/v8) or .sas7bdat.
    role : what the table is (``"ADSL"``, ``"ADTTE"``...), used in error messages.

    Returns
    -------
    pandas.DataFrame with the file's columns; SAS character blanks are read as empty strings
    and CSV blanks as missing (NaN).

    Notes
    -----
    SAS files are read with pyreadstat; CSV with pandas (``keep_default_na=True``).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{role}: file not found: {p}")
    if p.is_dir():
        raise InputError(f"{role}: {p} is a directory; give the data set file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(p)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if suffix in (".xpt", ".sas7bdat"):
            import pyreadstat

            reader = pyreadstat.read_xport if suffix == ".xpt" else pyreadstat.read_sas7bdat
            frame, _meta = reader(str(p))
            return frame
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{role}: could not read {p} as {suffix[1:]}: {exc}") from None
    raise InputError(
        f"{role}: unsupported file type {suffix or '(none)'} for {p}; "
        f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
    )
