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
    SAS files are read with pyreadstat; CSV with pandas (``keep_default_na=True``). SAS files are
    checked for truncation (rows promised by the file's layout or header against rows read): a
    truncated file is an InputError naming the file and the counts, never a shorter table.
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
            return _read_sas(p, suffix, role)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{role}: could not read {p} as {suffix[1:]}: {exc}") from None
    raise InputError(
        f"{role}: unsupported file type {suffix or '(none)'} for {p}; "
        f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
    )


def _read_sas(p: Path, suffix: str, role: str) -> pd.DataFrame:
    """Read an .xpt (its first member) or .sas7bdat file, refused if truncated (``survtrial.data._sasfile``).

    The layout is checked before reading (the reader's own error says only "cannot read"), and the
    rows read are compared with it after.
    """
    import pyreadstat

    from survtrial.data._sasfile import check_sas7bdat, check_xpt

    if suffix == ".xpt":
        _low, high = check_xpt(p, role=role)
        # row_limit: the reader would take a second member's records as more rows of the first
        frame, _meta = pyreadstat.read_xport(str(p), row_limit=high) if high else pyreadstat.read_xport(str(p))
        check_xpt(p, len(frame), role)
        return frame
    check_sas7bdat(p, role=role)
    frame, meta = pyreadstat.read_sas7bdat(str(p))
    check_sas7bdat(p, len(frame), getattr(meta, "number_rows", None), role)
    return frame
