"""Export: the design file (YAML) reads back to the same design; the Python code reproduces it."""

from __future__ import annotations

import math
import re

import pytest
import yaml

from survtrial.app.export import design_python, design_yaml, yaml_data
from survtrial.app.inputs import build_design, default_inputs, design_call

MEDIANS = ({"duration": 3.0, "control_median": 9.0, "hr": 0.9, "dropout_rate": 0.001},
           {"duration": math.inf, "control_median": 18.0, "hr": 0.6, "dropout_rate": 0.001})
CASES = [
    default_inputs(),
    default_inputs().with_(test="fh", rho=0, gamma=0.5, beta_spending="HSD(-2)", fractions=(0.4, 0.7, 1.0)),
    default_inputs().with_(test="maxcombo", control_as="median", fail=MEDIANS, alpha_spending="HSD(-4)"),
]


def inputs_from_yaml(data):
    """The reader side, written independently of the exporter: the file's keys back to design API arguments."""
    fail = {c: [r[c] for r in data["fail_rate"]] for c in ("duration", "hr", "dropout_rate")}
    if "control_median" in data["fail_rate"][0]:
        fail["fail_rate"] = [math.log(2) / r["control_median"] for r in data["fail_rate"]]
    else:
        fail["fail_rate"] = [r["fail_rate"] for r in data["fail_rate"]]
    enroll = {c: [r[c] for r in data["enroll_rate"]] for c in ("duration", "rate")}
    return enroll, fail


@pytest.mark.parametrize("inputs", CASES, ids=["logrank", "fh", "maxcombo"])
def test_yaml_holds_the_design_api_arguments(inputs):
    data = yaml.safe_load(design_yaml(inputs, title="explorer: test"))
    assert data == yaml_data(inputs, title="explorer: test")
    name, tables, kw = design_call(inputs)
    enroll, fail = inputs_from_yaml(data)
    assert enroll == tables["enroll_rate"]
    for c in ("duration", "hr", "dropout_rate", "fail_rate"):
        assert fail[c] == pytest.approx(tables["fail_rate"][c], rel=1e-15)
    assert data["looks"] == {"analysis_times": [kw["analysis_times"]],
                             "information_fractions": kw["information_fractions"]}
    assert (data["alpha"], data["power"], data["efficacy"]["spending"]) == (kw["alpha"], kw["power"],
                                                                             kw["alpha_spending"])
    assert data["time_unit"] == "months" and data["fail_rate"][-1]["duration"] == math.inf
    expected_test = {"ahr_design": "logrank", "weighted_logrank_design": kw.get("weight"),
                     "maxcombo_design": "maxcombo(" + ", ".join(kw.get("tests", [])) + ")"}[name]
    assert data["test"] == expected_test
    if "beta_spending" in kw:
        assert data["futility"] == {"spending": kw["beta_spending"], "binding": kw["binding_futility"]}
    else:
        assert "futility" not in data


@pytest.mark.parametrize("inputs", CASES[:2], ids=["logrank", "fh"])
def test_python_code_reproduces_the_design(inputs):
    namespace: dict = {}
    exec(design_python(inputs), namespace)
    ours, theirs = build_design(inputs), namespace["design"]
    assert theirs.statistic == ours.statistic
    assert theirs.n_subjects == ours.n_subjects and list(theirs.upper) == list(ours.upper)


@pytest.mark.parametrize("checked", [False, True], ids=["design", "with-check"])
def test_the_report_is_what_survtrial_design_writes_for_the_exported_file(checked, tmp_path):
    from tlf_check import assert_rtf_holds_the_tables, html_tables, without_provenance
    from typer.testing import CliRunner

    from survtrial.app.export import REPORT_SOURCE, design_result, report_html, report_rtf
    from survtrial.cli import app
    from survtrial.simulate.design_check import check_by_simulation

    inputs = CASES[1]  # FH(0, 0.5) with futility spending and three looks
    design = build_design(inputs)
    check = check_by_simulation(design, 100, seed=5, time_unit="months") if checked else None
    result = design_result(inputs, design, check)
    html = report_html(result).decode("utf-8")
    # the CLI on the exported design file
    (tmp_path / "design.yaml").write_text(design_yaml(inputs))
    args = ["design", str(tmp_path / "design.yaml"), "--out", str(tmp_path / "out"), "--format", "rtf"]
    res = CliRunner().invoke(app, args + (["--check-by-simulation", "100", "--seed", "5"] if checked else []))
    assert res.exit_code == 0, res.output
    cli = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert without_provenance(html) == without_provenance(cli)
    assert ("Check by simulation" in html) is checked
    assert "survtrial app" in html and REPORT_SOURCE in html
    # self-contained: no script, no external resource
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    # the RTF holds every table of the HTML, cell for cell, as the CLI's RTF copy does
    rtf = report_rtf(result).decode("utf-8")
    tables = html_tables(html)
    assert len(tables) == (7 if checked else 6)
    assert_rtf_holds_the_tables(rtf, tables)
    assert_rtf_holds_the_tables((tmp_path / "out" / "report.rtf").read_text(encoding="utf-8"), tables)
    assert rtf.startswith("{\\rtf1") and rtf.rstrip().endswith("}")
