"""Small scenarios and designs for the engine tests (fast: a few hundred patients)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from survtrial.simulate.scenario import scenario_from_dict


def small_scenario(
    n: int = 300,
    control_3y: float = 0.6,
    hazard_ratio: float = 0.7,
    dropout: float = 0.05,
    strata: tuple[str, ...] = ("low", "high"),
    cure_tail: float | None = None,
) -> dict[str, Any]:
    """Two arms, exponential (or piecewise with a zero tail) DFS per stratum, uniform 2-year accrual."""
    lam = -math.log(control_3y) / 3.0
    hazards = {}
    for i, s in enumerate(strata):
        base = lam * (1.0 + 0.5 * i)
        if cure_tail is None:
            ctl = {"breaks": [0.0], "rates": [base]}
            exp = {"breaks": [0.0], "rates": [base * hazard_ratio]}
        else:
            ctl = {"breaks": [0.0, cure_tail], "rates": [base, 0.0]}
            exp = {"breaks": [0.0, cure_tail], "rates": [base * hazard_ratio, 0.0]}
        hazards[s] = {"control": ctl, "treated": exp}
    share = 1.0 / len(strata)
    return {
        "name": "small",
        "arms": {"control": {}, "treated": {}},
        "strata": {s: {"share": share if i < len(strata) - 1 else 1.0 - share * (len(strata) - 1)}
                   for i, s in enumerate(strata)},
        "accrual": {"start_date": "2020-01-01", "n": n, "duration_years": 2.0},
        "randomization": {"ratio": {"control": 1, "treated": 1}, "block_size": 4, "stratified": True},
        "hazards": hazards,
        "competing_events": {
            "types": {"relapse": {}, "death": {"fatal": True}},
            "by_arm": {"control": {"shares": {"relapse": 0.8, "death": 0.2}},
                       "treated": {"shares": {"relapse": 0.8, "death": 0.2}}},
        },
        "dropout": {"rate": dropout},
        "data_cut": {"events": 50},
    }


def scenario(**kwargs: Any):
    return scenario_from_dict(small_scenario(**kwargs), source="test scenario")


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
