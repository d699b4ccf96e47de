"""Input files for the bad-input harness (tests/cli/test_bad_input.py), made once per test module.

``make_inputs(folder)`` writes every file named in ``INPUTS``; a case refers to one as ``{in:NAME}``.
To add a malformed input, add one entry: name -> function returning the file's bytes or text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
ADAM = REPO / "examples" / "adam"
SAS = REPO / "tests" / "data" / "sas"


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def _trial() -> pd.DataFrame:
    """A plain one-row-per-subject table from the example ADaM data (months, relapse, arm, ...)."""
    adsl = pd.read_csv(ADAM / "adsl.csv")
    tte = pd.read_csv(ADAM / "adtte.csv")
    tte = tte[tte["PARAMCD"] == "DFS"]
    df = tte.merge(adsl, on="USUBJID")
    return pd.DataFrame({"id": df["USUBJID"], "months": (df["AVAL"] / 30.4375).round(2),
                         "relapse": 1 - df["CNSR"], "arm": df["TRT01P"], "sex": df["SEX"],
                         "risk": df["RISKGRP"]}).head(300)


def _trial_with(column: str, row: int, value, *, dtype=object) -> Callable[[], str]:
    """The trial table with one cell changed (``row`` is the 1-based data row)."""
    def make() -> str:
        df = _trial()
        df[column] = df[column].astype(dtype)
        df.loc[row - 1, column] = value
        return _csv(df)
    return make


def _adam_csv(name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[], str]:
    return lambda: _csv(change(pd.read_csv(ADAM / f"{name}.csv")))


def _set(column: str, row: int, value) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df[column] = df[column].astype(object)
        df.loc[row - 1, column] = value
        return df
    return change


def _cut(path: Path, at: Callable[[bytes], int]) -> Callable[[], bytes]:
    def make() -> bytes:
        data = path.read_bytes()
        return data[: at(data)]
    return make


RECONSTRUCT = REPO / "tests" / "data" / "reconstruct"


def _digitized(name: str, change: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> Callable[[], str]:
    """A digitized curve or at-risk table of tests/data/reconstruct, optionally changed."""
    def make() -> str:
        df = pd.read_csv(RECONSTRUCT / f"bonner2006_locoregional_{name}.csv")
        return _csv(change(df) if change else df)
    return make


def _cohort() -> pd.DataFrame:
    from survtrial.clinical.population import synthetic_cohort

    return synthetic_cohort(12, rng=3)


def _cohort_with(column: str, row: int, value) -> Callable[[], str]:
    def make() -> str:
        df = _cohort().astype(object)
        df.loc[row - 1, column] = value
        return _csv(df)
    return make


def _alias_bomb() -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def _scenario_yaml() -> str:
    import sys

    sys.path.insert(0, str(REPO / "tests" / "simulate"))
    from engine_scenarios import small_scenario

    return json.dumps(small_scenario(n=200))


SIM_DESIGN = {"events": [20, 45, 70], "alpha": 0.025}
NPH_DESIGN = REPO / "examples" / "design" / "aall1731_like_delayed.yaml"


def _nph(change: Callable[[dict], None]) -> Callable[[], str]:
    """The example design file of tables with one change."""
    def make() -> str:
        import yaml

        data = yaml.safe_load(NPH_DESIGN.read_text())
        change(data)
        return yaml.safe_dump(data)
    return make


def _cell(table: str, row: int, column: str, value) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        data[table][row - 1][column] = value
    return change


def _keys(**changes) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        for k, v in changes.items():
            if v is None:
                data.pop(k, None)
            else:
                data[k] = v
    return change


DESIGN = {"hazard_ratio": 0.6, "control_survival": 0.879, "landmark_time": 3, "power": 0.9, "looks": 3,
          "accrual_time": 5, "follow_up": 2, "time_unit": "years"}


def _xpt_data_start(data: bytes) -> int:
    from survtrial.data._sasfile import xpt_members

    return xpt_members(data)[0].data_start


INPUTS: dict[str, Callable[[], str | bytes]] = {
    # --- ADaM, good and truncated SAS files
    "adsl.xpt": lambda: (ADAM / "adsl.xpt").read_bytes(),
    "adtte.xpt": lambda: (ADAM / "adtte.xpt").read_bytes(),
    "adae.xpt": lambda: (ADAM / "adae.xpt").read_bytes(),
    "adsl.csv": lambda: (ADAM / "adsl.csv").read_text(),
    "adtte.csv": lambda: (ADAM / "adtte.csv").read_text(),
    "adae.csv": lambda: (ADAM / "adae.csv").read_text(),
    "adsl_cut_header.xpt": _cut(ADAM / "adsl.xpt", lambda d: 40),
    "adsl_cut_member.xpt": _cut(ADAM / "adsl.xpt", lambda d: 4 * 80 + 17),
    "adsl_cut_namestr.xpt": _cut(ADAM / "adsl.xpt", lambda d: 11 * 80 + 3),
    "adsl_cut_obs_header.xpt": _cut(ADAM / "adsl.xpt", lambda d: _xpt_data_start(d) - 30),
    "adsl_cut_first_row.xpt": _cut(ADAM / "adsl.xpt", lambda d: _xpt_data_start(d) + 40),
    "adsl_cut_half.xpt": _cut(ADAM / "adsl.xpt", lambda d: len(d) // 2),
    "adsl_cut_aligned.xpt": _cut(ADAM / "adsl.xpt", lambda d: len(d) // 2 - (len(d) // 2) % 80),
    "adsl_cut_last_byte.xpt": _cut(ADAM / "adsl.xpt", lambda d: len(d) - 1),
    "adtte_cut_third.xpt": _cut(ADAM / "adtte.xpt", lambda d: len(d) // 3),
    "adtte_cut_last_byte.xpt": _cut(ADAM / "adtte.xpt", lambda d: len(d) - 1),
    "adtte_cut_header.xpt": _cut(ADAM / "adtte.xpt", lambda d: 200),
    "adae_cut_half.xpt": _cut(ADAM / "adae.xpt", lambda d: len(d) // 2 + 11),
    "adae_cut_last_byte.xpt": _cut(ADAM / "adae.xpt", lambda d: len(d) - 1),
    "adsl_cut_page.sas7bdat": _cut(SAS / "adsl_1440.sas7bdat", lambda d: len(d) // 2),
    "adsl_cut_header.sas7bdat": _cut(SAS / "adsl_1440.sas7bdat", lambda d: 600),
    "adsl_cut_last_byte.sas7bdat": _cut(SAS / "adsl_1440.sas7bdat", lambda d: len(d) - 1),
    "adtte_cut.sas7bdat": _cut(SAS / "adtte.sas7bdat", lambda d: 9000),
    "adsl_not_sas.xpt": lambda: "USUBJID,TRT01P\nS1,chemo\n",
    "adsl_not_sas.sas7bdat": lambda: b"\x00" * 100,
    # --- ADaM CSVs with bad values
    "adtte_aval_negative.csv": _adam_csv("adtte", _set("AVAL", 17, -3.0)),
    "adtte_os_aval_negative.csv": _adam_csv("adtte", _set("AVAL", 1457, -3.0)),
    "adtte_aval_text.csv": _adam_csv("adtte", _set("AVAL", 5, "soon")),
    "adtte_aval_blank.csv": _adam_csv("adtte", _set("AVAL", 9, None)),
    "adtte_cnsr_half.csv": _adam_csv("adtte", _set("CNSR", 3, 0.5)),
    "adtte_cnsr_negative.csv": _adam_csv("adtte", _set("CNSR", 8, -1)),
    "adtte_cnsr_text.csv": _adam_csv("adtte", _set("CNSR", 4, "Y")),
    "adtte_no_cnsr.csv": _adam_csv("adtte", lambda d: d.drop(columns="CNSR")),
    "adtte_no_avalu.csv": _adam_csv("adtte", lambda d: d.drop(columns="AVALU")),
    "adtte_two_units.csv": _adam_csv("adtte", _set("AVALU", 2, "MONTHS")),
    "adtte_bad_unit.csv": _adam_csv("adtte", lambda d: d.assign(AVALU="FORTNIGHTS")),
    "adtte_duplicate.csv": _adam_csv("adtte", lambda d: pd.concat([d, d.iloc[[4]]], ignore_index=True)),
    "adtte_unknown_subject.csv": _adam_csv("adtte", _set("USUBJID", 6, "NOBODY-1")),
    "adsl_no_arm.csv": _adam_csv("adsl", lambda d: d.drop(columns="TRT01P")),
    "adsl_blank_arm.csv": _adam_csv("adsl", _set("TRT01P", 11, None)),
    "adsl_duplicate.csv": _adam_csv("adsl", _set("USUBJID", 2, "AALL1731SIM-1")),
    "adsl_one_arm.csv": _adam_csv("adsl", lambda d: d.assign(TRT01P="chemo")),
    "adsl_no_usubjid.csv": _adam_csv("adsl", lambda d: d.drop(columns="USUBJID")),
    "adae_no_grade.csv": _adam_csv("adae", lambda d: d.drop(columns="AETOXGR")),
    "adae_unknown_subject.csv": _adam_csv("adae", _set("USUBJID", 1, "NOBODY-2")),
    "adae_no_term.csv": _adam_csv("adae", lambda d: d.drop(columns="AEDECOD")),
    # --- plain tables
    "trial.csv": lambda: _csv(_trial()),
    "trial_time_text.csv": _trial_with("months", 7, "abc"),
    "trial_time_negative.csv": _trial_with("months", 12, -3.0, dtype=float),
    "trial_time_blank.csv": _trial_with("months", 5, None, dtype=float),
    "trial_time_inf.csv": _trial_with("months", 20, float("inf"), dtype=float),
    "trial_event_two.csv": _trial_with("relapse", 9, 2, dtype=int),
    "trial_event_text.csv": _trial_with("relapse", 4, "yes"),
    "trial_event_blank.csv": _trial_with("relapse", 15, None, dtype=float),
    "trial_event_half.csv": _trial_with("relapse", 6, 0.5, dtype=float),
    "trial_arm_blank.csv": _trial_with("arm", 3, None),
    "trial_one_arm.csv": lambda: _csv(_trial().assign(arm="chemo")),
    "trial_three_arms.csv": _trial_with("arm", 2, "radiation"),
    "trial_header_only.csv": lambda: "id,months,relapse,arm,sex,risk\n",
    "trial.parquet": lambda: b"PAR1 this is not parquet",
    "trial.txt": lambda: "months relapse arm\n",
    "empty.csv": lambda: "",
    "binary.csv": lambda: bytes(range(256)) * 8,
    # --- YAML and JSON
    "bomb.yaml": _alias_bomb,
    "recursive.yaml": lambda: "looks: &a [1, *a]\n",
    "deep.yaml": lambda: "looks: " + "[" * 200 + "]" * 200 + "\n",
    "duplicate.yaml": lambda: "alpha: 0.025\npower: 0.9\nalpha: 0.05\n",
    "syntax.yaml": lambda: "alpha: [0.025\npower: 0.9\n",
    "list.yaml": lambda: "- alpha\n- power\n",
    "latin1.yaml": lambda: "title: \xe9tude\n".encode("latin-1"),
    "python_tag.yaml": lambda: "alpha: !!python/object/apply:os.system ['true']\n",
    "design.yaml": lambda: json.dumps(DESIGN),
    "design_alpha.yaml": lambda: json.dumps({**DESIGN, "alpha": 1.5}),
    "design_unknown_key.yaml": lambda: json.dumps({**DESIGN, "hazzard_ratio": 0.5}),
    "design_hr_text.yaml": lambda: json.dumps({**DESIGN, "hazard_ratio": "small"}),
    "nph_design.yaml": lambda: NPH_DESIGN.read_text(),
    "nph_duration0.yaml": _nph(_cell("enroll_rate", 3, "duration", 0)),
    "nph_rate_negative.yaml": _nph(_cell("fail_rate", 1, "fail_rate", -0.04)),
    "nph_dropout_negative.yaml": _nph(_cell("fail_rate", 2, "dropout_rate", -0.01)),
    "nph_hr0.yaml": _nph(_cell("fail_rate", 2, "hr", 0)),
    "nph_not_open.yaml": _nph(_cell("fail_rate", 2, "duration", 5)),
    "nph_late.yaml": _nph(_keys(looks={"analysis_times": [3, 5, 7], "study_duration": 6})),
    "nph_unreachable.yaml": _nph(_keys(power=None, looks={"events": [40, 80, 3000]})),
    "nph_power.yaml": _nph(_keys(power=1.0)),
    "nph_alpha.yaml": _nph(_keys(alpha=0.6)),
    "nph_maxcombo_one.yaml": _nph(_keys(test="maxcombo(logrank)")),
    "nph_no_unit.yaml": _nph(_keys(time_unit=None)),
    "sim_design.yaml": lambda: json.dumps(SIM_DESIGN),
    "sim_design_empty.yaml": lambda: "{}\n",
    "sim_design_events_down.yaml": lambda: json.dumps({**SIM_DESIGN, "events": [45, 20, 70]}),
    "sim_design_alpha.yaml": lambda: json.dumps({**SIM_DESIGN, "alpha": -0.1}),
    "sim_design_unknown.yaml": lambda: json.dumps({**SIM_DESIGN, "spending": "OF"}),
    "sim_design_test.yaml": lambda: json.dumps({**SIM_DESIGN, "tests": ["logrank", "gehan"]}),
    "scenario.yaml": _scenario_yaml,
    "scenario_unknown_key.yaml": lambda: json.dumps({**json.loads(_scenario_yaml()), "colour": "red"}),
    "scenario_negative_n.yaml": lambda: json.dumps(
        {**json.loads(_scenario_yaml()), "accrual": {**json.loads(_scenario_yaml())["accrual"], "n": -5}}),
    "looks_no_z.csv": lambda: "events\n60\n110\n",
    "looks_text.csv": lambda: "events,z\n60,1.5\n110,big\n",
    "monitor_data_bad.csv": _trial_with("months", 8, -1.0, dtype=float),
    # --- cohort files
    "cohort.csv": lambda: _csv(_cohort()),
    "cohort_age_negative.csv": _cohort_with("age_years", 4, -2),
    "cohort_age_text.csv": _cohort_with("age_years", 2, "four"),
    "cohort_wbc_text.csv": _cohort_with("wbc_per_ul", 5, "lots"),
    "cohort_sex.csv": _cohort_with("sex", 3, "X"),
    "cohort_cytogenetics.csv": _cohort_with("cytogenetics", 6, "t(9;22)x"),
    "cohort_cns.csv": _cohort_with("cns_status", 7, "CNS9"),
    "cohort_testicular.csv": _cohort_with("testicular", 8, "maybe"),
    "cohort_mrd.csv": _cohort_with("eoi_bm_flow_mrd_pct", 9, 250),
    "cohort_hts.csv": _cohort_with("eoi_hts_mrd", 10, "positive"),
    "cohort_duplicate_id.csv": _cohort_with("patient_id", 2, "S01"),
    "cohort_blank_id.csv": _cohort_with("patient_id", 3, None),
    "cohort_missing_column.csv": lambda: _csv(_cohort().drop(columns="sex")),
    "cohort_header_only.csv": lambda: _csv(_cohort().head(0)),
    "cohort.xlsx": lambda: b"PK\x03\x04 not a workbook",
    # --- digitized Kaplan-Meier figures (reconstruct)
    "curve.csv": _digitized("curve"),
    "at_risk.csv": _digitized("at_risk"),
    "curve_time_text.csv": _digitized("curve", _set("time", 4, "later")),
    "curve_survival_up.csv": _digitized("curve", _set("survival", 6, 99.9)),
    "curve_blank_arm.csv": _digitized("curve", _set("arm", 3, None)),
    "curve_no_survival.csv": _digitized("curve", lambda d: d.drop(columns="survival")),
    "curve_survival_blank.csv": _digitized("curve", _set("survival", 8, None)),
    "at_risk_fraction.csv": _digitized("at_risk", _set("n_risk", 2, 121.5)),
    "at_risk_up.csv": _digitized("at_risk", _set("n_risk", 3, 500)),
    "at_risk_text.csv": _digitized("at_risk", _set("n_risk", 2, "many")),
    "rules_no_order.yaml": lambda: "classification_rules:\n  eligibility: {}\n",
}


def make_inputs(folder: Path) -> dict[str, Path]:
    """Write every input of ``INPUTS`` into ``folder``; name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, make in INPUTS.items():
        content = make()
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths[name] = path
    huge = folder / "huge.yaml"  # sparse: over the size limit without using the disk
    with huge.open("wb") as fh:
        fh.truncate(64 * 2**20)
    paths["huge.yaml"] = huge
    return paths
