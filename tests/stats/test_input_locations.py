"""Bad times, event codes, weights and labels are named by column and row when they come from a frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survtrial.errors import InputError
from survtrial.stats import (
    cox_ph,
    cumulative_incidence,
    kaplan_meier,
    logrank_test,
    restricted_mean_survival_time,
)


def frame(**changes):
    df = pd.DataFrame({
        "months": [5.0, 8.0, 12.0, 3.0, 9.0, 15.0],
        "relapse": [1, 0, 1, 1, 0, 1],
        "arm": ["a", "b", "a", "b", "a", "b"],
        "w": [1.0, 2.0, 1.0, 1.0, 2.0, 1.0],
        "age": [4.0, 6.0, 3.0, 8.0, 5.0, 7.0],
    })
    for col, (row, value) in changes.items():
        if value is None or isinstance(value, str):
            df[col] = df[col].astype(object)
        df.loc[row, col] = value
    return df


CALLS = {
    "kaplan_meier": lambda d: kaplan_meier("months", "relapse", "arm", data=d, weights="w"),
    "logrank_test": lambda d: logrank_test("months", "relapse", "arm", data=d, weights="w"),
    "cox_ph": lambda d: cox_ph("months", "relapse", ["age"], data=d, weights="w"),
    "restricted_mean_survival_time": lambda d: restricted_mean_survival_time("months", "relapse", "arm", data=d,
                                                                            tau=5),
    "cumulative_incidence": lambda d: cumulative_incidence("months", "relapse", "arm", data=d, weights="w"),
}
CASES = [
    ({"months": (2, "abc")}, "column 'months' row 3: non-numeric value 'abc'"),
    ({"months": (1, np.nan)}, "column 'months' row 2: missing or infinite time nan"),
    ({"months": (4, -2.5)}, "column 'months' row 5: invalid time -2.5"),
    ({"relapse": (3, 2)}, "column 'relapse' row 4: event code 2 is not one of [0, 1]"),
    ({"relapse": (0, "yes")}, "column 'relapse' row 1: non-numeric value 'yes'"),
    ({"relapse": (5, np.nan)}, "column 'relapse' row 6: missing event indicator"),
    ({"w": (1, -1.0)}, "column 'w' row 2: weight -1.0 is not a finite number > 0"),
    ({"w": (3, "two")}, "column 'w' row 4: non-numeric weight 'two'"),
    ({"arm": (2, None)}, "column 'arm' row 3: missing label"),
]


# columns each function takes (cox_ph has no group, the RMST no weights; cumulative_incidence reads
# event types rather than 0/1 codes, checked by its own tests)
_TAKES = {"cox_ph": {"months", "relapse", "w"}, "restricted_mean_survival_time": {"months", "relapse", "arm"},
          "cumulative_incidence": {"months", "arm", "w"}}


@pytest.mark.parametrize(
    ("name", "changes", "message"),
    [(name, changes, message) for name in CALLS for changes, message in CASES
     if next(iter(changes)) in _TAKES.get(name, {"months", "relapse", "arm", "w"})],
)
def test_frame_inputs_name_column_and_row(name, changes, message):
    with pytest.raises(InputError) as err:
        CALLS[name](frame(**changes))
    assert message in str(err.value)


def test_array_inputs_name_the_argument_and_position():
    with pytest.raises(InputError, match=r"^time position 2: invalid time -1\.0"):
        kaplan_meier([1.0, 2.0, -1.0], [1, 0, 1])
    with pytest.raises(InputError, match=r"^event position 0: event code 3 is not one of \[0, 1\]"):
        logrank_test([1.0, 2.0], [3, 0], ["a", "b"])
    # a column name without a frame is still refused as before
    with pytest.raises(InputError, match="looks like a column name"):
        kaplan_meier("months", "relapse")
