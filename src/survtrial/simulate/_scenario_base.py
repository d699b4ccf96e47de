"""Shared pieces of the scenario models: the strict base model, number types and share checks."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

__all__ = ["SHARE_TOLERANCE", "NonNegative", "Positive", "Probability", "StrictModel", "check_sum", "fail", "fmt"]

SHARE_TOLERANCE = 1e-9

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class StrictModel(BaseModel):
    """Unknown keys are errors; instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def fail(detail: str) -> PydanticCustomError:
    """A validation error whose message is ``detail`` as written (no pydantic prefix)."""
    return PydanticCustomError("scenario", "{detail}", {"detail": detail})


def check_sum(values: dict[Any, float], what: str) -> None:
    """Shares must sum to 1 within SHARE_TOLERANCE; the error gives the sum."""
    total = float(sum(values.values()))
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise fail(
            f"{what} sum to {total:.12g}, must sum to 1 (tolerance {SHARE_TOLERANCE:g}); "
            f"values: {dict(values)}"
        )


def fmt(names: Any) -> str:
    """Names quoted and comma-separated, for 'allowed: ...' lists."""
    return ", ".join(repr(str(n)) for n in names)
