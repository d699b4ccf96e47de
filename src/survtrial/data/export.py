"""Write one-row-per-subject trial data as CDISC ADaM-shaped ADSL, ADTTE and ADAE frames or files."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from survtrial._atomic import write_directory
from survtrial.errors import InputError

__all__ = ["AdamFrames", "to_adam", "write_adam"]


@dataclass(frozen=True)
class AdamFrames:
    """ADSL (one row per subject), ADTTE (one row per subject x parameter), ADAE (one row per event)."""

    adsl: pd.DataFrame
    adtte: pd.DataFrame
    adae: pd.DataFrame


def to_adam(
    frame: pd.DataFrame,
    *,
    subject: str,
    arm: str,
    endpoints: Mapping[str, tuple[str, str, str | None]],
    variables: Sequence[str] | Mapping[str, str] = (),
    toxicities: Mapping[str, tuple[str, str, int]] | None = None,
    study: str = "STUDY",
    days_per_year: float = 365.25,
) -> AdamFrames:
    """Turn a subject-level frame (times in years) into ADaM-shaped frames.

    Parameters
    ----------
    subject, arm : columns with the subject id and the randomized arm (-> USUBJID, TRT01P).
    endpoints : ``{PARAMCD: (time_col, event_col, event_type_col or None)}``; AVAL is written in
        days (AVALU = "DAYS", rounded to 0.01 day), CNSR = 0 for events and 1 for censorings
        (ADaM convention), EVNTDESC from the event-type column for events.
    variables : ADSL variables to carry (risk group, sex, ...): a mapping column -> ADaM name
        (at most 8 characters, as SAS transport v5 requires), or a list of columns whose
        upper-cased names are used.
    toxicities : ``{boolean_col: (AEDECOD, AEBODSYS, grade)}``: one ADAE record per subject with
        the toxicity, treatment-emergent (TRTEMFL = "Y").
    """
    names = dict(variables) if isinstance(variables, Mapping) else {v: v.upper() for v in variables}
    long = [n for n in names.values() if len(n) > 8]
    if long:
        raise InputError(f"to_adam: ADaM variable names {long} are longer than 8 characters; "
                         f"pass variables as a mapping column -> short name")
    need = [subject, arm, *names, *[c for v in endpoints.values() for c in v if c]]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputError(f"to_adam: column(s) {missing} not found; available: {list(frame.columns)}")
    usubjid = [f"{study}-{s}" for s in frame[subject].astype(str)]
    adsl = pd.DataFrame({"STUDYID": study, "USUBJID": usubjid, "TRT01P": frame[arm].astype(str).to_numpy()})
    for col, name in names.items():
        adsl[name] = frame[col].to_numpy()
    parts = []
    for code, (tcol, ecol, typecol) in endpoints.items():
        ev = frame[ecol].to_numpy().astype(int)
        desc = np.where(ev == 1, frame[typecol].astype(str).to_numpy() if typecol else "event", "")
        parts.append(pd.DataFrame({
            "STUDYID": study, "USUBJID": usubjid, "PARAMCD": code, "PARAM": f"{code} (days)",
            "AVAL": frame[tcol].to_numpy(dtype=float) * days_per_year, "AVALU": "DAYS",
            "CNSR": 1 - ev, "EVNTDESC": desc,
            "CNSDTDSC": np.where(ev == 1, "", "Censored at last follow-up or data cut"),
        }))
    adtte = pd.concat(parts, ignore_index=True)
    ae_parts = []
    for col, (term, body, grade) in (toxicities or {}).items():
        if col not in frame.columns:
            raise InputError(f"to_adam: toxicity column {col!r} not found")
        m = frame[col].astype(bool).to_numpy()
        ids = np.asarray(usubjid, dtype=object)[m]
        ae_parts.append(pd.DataFrame({"STUDYID": study, "USUBJID": ids, "AEDECOD": term, "AEBODSYS": body,
                                      "AETOXGR": str(grade), "TRTEMFL": "Y"}))
    adae = (pd.concat(ae_parts, ignore_index=True) if ae_parts else
            pd.DataFrame(columns=["STUDYID", "USUBJID", "AEDECOD", "AEBODSYS", "AETOXGR", "TRTEMFL"]))
    return AdamFrames(adsl=adsl, adtte=adtte, adae=adae)


def write_adam(frames: AdamFrames, out_dir: str | os.PathLike[str], *, formats: Sequence[str] = ("csv", "xpt"),
               overwrite: bool = True) -> Path:
    """Write adsl/adtte/adae in each format (csv, xpt, parquet) into ``out_dir``, atomically.

    The folder is built beside ``out_dir`` and renamed into place when complete; an existing
    ``out_dir`` is replaced (``overwrite``) only if survtrial wrote it or it holds nothing but these
    files (see :func:`survtrial._atomic.write_directory`), and is left as it was on any error.
    """
    bad = [f for f in formats if f not in ("csv", "xpt", "parquet")]
    if bad:
        raise InputError(f"write_adam formats {bad}: use csv, xpt or parquet")

    def fill(tmp: Path) -> None:
        for name, df in (("adsl", frames.adsl), ("adtte", frames.adtte), ("adae", frames.adae)):
            if "csv" in formats:
                df.to_csv(tmp / f"{name}.csv", index=False)
            if "parquet" in formats:
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            if "xpt" in formats:
                import pyreadstat

                pyreadstat.write_xport(df, str(tmp / f"{name}.xpt"), table_name=name.upper(), file_format_version=5)

    return write_directory(out_dir, fill, flag="out_dir", overwrite=overwrite, parents=True)
