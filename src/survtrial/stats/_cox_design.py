"""Design matrices for regression models: numeric and treatment-coded categorical covariates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial.errors import InputError
from survtrial.stats._input import as_labels, as_numeric_matrix, column

__all__ = ["Design", "build_design", "build_labels", "check_collinear"]


@dataclass(frozen=True)
class Design:
    """A numeric design matrix with one name per column.

    ``categorical`` maps each expanded categorical covariate to (reference level, other levels);
    ``terms`` lists each input covariate (R's model term) with the design columns it spans.
    """

    x: np.ndarray
    names: tuple[str, ...]
    categorical: dict[str, tuple[str, tuple[str, ...]]]
    terms: tuple[tuple[str, tuple[int, ...]], ...] = ()


def _is_frame(obj: Any) -> bool:
    return hasattr(obj, "columns") and not isinstance(obj, np.ndarray)


def _raw_column(data: Any, name: str) -> Any:
    column(data, name, "covariates")  # raises a clear InputError if the column is absent
    return data[name]


def _declared_levels(raw: Any) -> list[str] | None:
    """Category order declared by a pandas Categorical or a polars Enum, else None."""
    dtype = getattr(raw, "dtype", None)
    if getattr(dtype, "name", "") == "category" and hasattr(raw, "cat"):
        return [str(c) for c in raw.cat.categories]
    cats = getattr(dtype, "categories", None)
    if cats is not None and type(dtype).__name__ == "Enum":
        return [str(c) for c in cats]
    return None


def _is_categorical(values: np.ndarray) -> bool:
    if values.dtype.kind in "bUS":
        return True
    if values.dtype.kind == "O":  # all labels (None = missing) -> categorical; mixed -> numeric path
        labels = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
        return bool(labels) and all(isinstance(v, (str, bool, np.bool_)) for v in labels)
    return False


def _numeric(values: np.ndarray, name: str) -> np.ndarray:
    if values.dtype.kind in "iuf":
        return values.astype(np.float64)
    out = np.empty(values.size)
    for i, v in enumerate(values):
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            if v is None or type(v).__name__ in ("NAType", "NaTType"):
                out[i] = np.nan
            else:
                raise InputError(
                    f"covariate {name!r} row {i}: non-numeric value {v!r}; pass numbers, or "
                    f"strings/categories to have the column treatment-coded"
                ) from None
    return out


def _expand(
    name: str, values: np.ndarray, declared: list[str] | None, reference: Any
) -> tuple[np.ndarray, list[str], tuple[str, tuple[str, ...]]]:
    codes, levels = as_labels(values, role=f"covariate {name!r}")
    levels = [str(v) for v in levels]
    if declared is not None:  # keep the declared order of the categories that occur
        present = set(levels)
        order = [lv for lv in declared if lv in present]
        remap = np.array([order.index(lv) for lv in levels])
        codes, levels = remap[codes], order
    if len(levels) < 2:
        raise InputError(
            f"covariate {name!r} is constant (single level {levels[0]!r}); drop it from the model"
        )
    if reference is None:
        ref = 0
    else:
        if str(reference) not in levels:
            raise InputError(
                f"reference={{{name!r}: {reference!r}}}: level not found in column {name!r}; "
                f"levels are {levels}"
            )
        ref = levels.index(str(reference))
    others = [j for j in range(len(levels)) if j != ref]
    x = (codes[:, None] == np.asarray(others)[None, :]).astype(np.float64)
    names = [f"{name}[T.{levels[j]}]" for j in others]
    return x, names, (levels[ref], tuple(levels[j] for j in others))


def build_design(
    covariates: Any,
    data: Any,
    names: Sequence[str] | None,
    reference: Mapping[str, Any] | None,
) -> Design:
    """Turn ``covariates`` (columns of ``data``, a frame, or an array) into a numeric design.

    String, boolean and categorical columns are treatment-coded against a reference level (first
    sorted level, or the first declared category of a pandas Categorical / polars Enum, unless
    ``reference`` names one); dummy columns are named ``"col[T.level]"``.
    """
    reference = dict(reference or {})
    if covariates is None:
        raise InputError("covariates: at least one covariate is needed (a column name or an array)")
    if data is None and (_is_frame(covariates) or isinstance(covariates, Mapping)):
        data, covariates = covariates, [str(c) for c in (covariates.columns if _is_frame(covariates) else covariates)]
    if data is not None and isinstance(covariates, str):
        covariates = [covariates]
    if data is not None and isinstance(covariates, (list, tuple)) and all(isinstance(c, str) for c in covariates):
        if len(covariates) == 0:
            raise InputError("covariates: empty list; name at least one column")
        if names is not None:
            raise InputError("names= is for array covariates; with data=frame the column names are used")
        unknown = set(reference) - set(covariates)
        if unknown:
            raise InputError(f"reference: {sorted(unknown)} are not among the covariates {list(covariates)}")
        blocks: list[np.ndarray] = []
        out_names: list[str] = []
        cats: dict[str, tuple[str, tuple[str, ...]]] = {}
        terms: list[tuple[str, tuple[int, ...]]] = []
        for c in covariates:
            raw = _raw_column(data, c) if not isinstance(data, Mapping) else data[c]
            values = column(data, c, "covariates")
            if values.ndim != 1:
                raise InputError(f"covariate {c!r}: expected a 1-d column, got shape {values.shape}")
            declared = _declared_levels(raw)
            if declared is not None or _is_categorical(values):
                xb, nb, info = _expand(c, values, declared, reference.get(c))
                cats[c] = info
            else:
                if c in reference:
                    raise InputError(
                        f"reference: covariate {c!r} is numeric; convert it to strings or a "
                        f"category to have it treatment-coded"
                    )
                xb = as_numeric_matrix(_numeric(values, c), [c])
                nb = [c]
            blocks.append(xb)
            terms.append((c, tuple(range(len(out_names), len(out_names) + len(nb)))))
            out_names.extend(nb)
        return Design(np.hstack(blocks), tuple(out_names), cats, tuple(terms))
    if reference:
        raise InputError("reference= needs data=frame with categorical columns named in covariates")
    arr = column(None, covariates, "covariates") if data is None else np.asarray(covariates)
    if arr.ndim not in (1, 2):
        raise InputError(f"covariates: expected a 1-d or 2-d array, got shape {arr.shape}")
    p = 1 if arr.ndim == 1 else arr.shape[1]
    if names is None:
        series_name = getattr(covariates, "name", None)
        names = [str(series_name)] if p == 1 and series_name is not None else [f"x{j}" for j in range(p)]
    names = [str(nm) for nm in names]
    if len(names) != p:
        raise InputError(f"names: got {len(names)} names for {p} covariate column(s)")
    if len(set(names)) != p:
        raise InputError(f"names: duplicated covariate names {names}")
    return Design(as_numeric_matrix(arr, names), tuple(names), {}, tuple((nm, (j,)) for j, nm in enumerate(names)))


def build_labels(spec: Any, data: Any, role: str, n: int) -> tuple[np.ndarray | None, list[str]]:
    """Codes 0..k-1 and level names for strata / cluster given as column name(s) or array(s)."""
    if spec is None:
        return None, []
    if isinstance(spec, str) or (
        isinstance(spec, (list, tuple)) and spec and all(isinstance(s, str) for s in spec)
    ):
        cols = [spec] if isinstance(spec, str) else list(spec)
        parts = [as_labels(column(data, c, role), role=f"{role} {c!r}") for c in cols]
        tags = cols
    else:
        parts = [as_labels(column(data, spec, role), role=role)]
        tags = [None]
    for codes, _ in parts:
        if codes.size != n:
            raise InputError(f"{role}: length {codes.size} does not match the {n} observations")
    if len(parts) == 1:
        codes, levels = parts[0]
        combos = [(lv,) for lv in levels]
    else:
        stacked = np.stack([c for c, _ in parts], axis=1)
        uniq, codes = np.unique(stacked, axis=0, return_inverse=True)
        codes = codes.reshape(-1)
        combos = [tuple(parts[i][1][u[i]] for i in range(len(parts))) for u in uniq]
    labels = [
        ", ".join(str(lv) if tag is None else f"{tag}={lv}" for tag, lv in zip(tags, combo, strict=True))
        for combo in combos
    ]
    return codes.astype(np.int64), labels


def check_collinear(x: np.ndarray, w: np.ndarray, names: Sequence[str], tol: float = 1e-10) -> None:
    """Raise InputError naming the first covariate that is a linear combination of earlier ones."""
    xc = x - np.einsum("n,np->p", w, x) / w.sum()
    M = np.einsum("np,nq->pq", xc * w[:, None], xc)
    kept: list[int] = []
    for j in range(M.shape[0]):
        if kept:
            Mk = M[np.ix_(kept, kept)]
            b = np.linalg.solve(Mk, M[kept, j])
            resid = M[j, j] - M[j, kept] @ b
        else:
            resid = M[j, j]
        if resid <= tol * M[j, j]:
            others = [names[i] for i in kept]
            raise InputError(
                f"covariates: {names[j]!r} is a linear combination of {others} (collinear design); "
                f"drop one of them"
            )
        kept.append(j)
