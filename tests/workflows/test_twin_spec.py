"""Twin definitions as data: the packaged AALL1731 twin equals the reference, bad twin YAML is refused
naming the key (API and CLI: exit 2, nothing written), and no module of the package names a trial."""

from __future__ import annotations

import ast
import copy
import io
import tokenize
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.errors import InputError
from survtrial.simulate.scenario import load_scenario
from survtrial.workflows.twin import check_twin_against_scenario, published_table
from survtrial.workflows.twin_spec import HEADLINE_FIELDS, load_twin, packaged_twins, twin_from_dict

PACKAGE = Path(files("survtrial"))


def _twin_dict(name: str = "aall1731") -> dict:
    return yaml.safe_load((files("survtrial") / "twins" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_packaged_twins_load():
    assert "aall1731" in packaged_twins()
    for name in packaged_twins():
        tw = load_twin(name)
        check_twin_against_scenario(tw, load_scenario(tw.scenario_source))


def test_aall1731_published_values_equal_the_reference(reference):
    """Every published value, SE and CI of the packaged twin is the reference's at the field it names."""
    tw = load_twin("aall1731")
    checked = 0
    for key, h in tw.headlines.items():
        p = h.published
        assert p.field, f"{key}: every AALL1731 headline names its field in the reference"
        node = reference
        for part in p.field.split("."):
            if isinstance(node, list):  # a published list (numbers at risk by year): its position
                node = node[int(part)]
                continue
            assert part in node, f"{key}: {p.field} not in the reference"
            node = node[part]
        if isinstance(node, dict):
            assert p.value == node["value"], key
            assert p.se == node.get("se"), key
            assert (list(p.ci95) if p.ci95 else None) == node.get("ci95"), key
        else:
            assert p.value == node, key
        checked += 1
    assert checked == len(tw.headlines) == 25


def test_published_table_intervals():
    """CI as published; else value +- 1.96 SE; else missing."""
    tab = published_table("aall1731").set_index("key")
    assert tuple(tab.loc["hr", ["published_lower", "published_upper"]]) == (0.24, 0.64)
    assert tab.loc["dfs3_chemo", "published_lower"] == pytest.approx(87.9 - 1.96 * 2.1)
    assert tab.loc["relapse3_chemo", ["published_lower", "published_se"]].isna().all()
    assert tab.loc["rmst_days", "unit"] == "days" and tab.loc["hr", "unit"] == "ratio"


def _set(data: dict, dotted: str, value) -> dict:
    out = copy.deepcopy(data)
    node = out
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node[p]
    if value is _DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return out


_DELETE = object()


@pytest.mark.parametrize(
    "key, value, fragments",
    [
        ("colour", "blue", ["twin key 'colour'", "unknown key", "'headlines'"]),
        ("headlines.hr.endpont", "DFS", ["twin key 'headlines.hr.endpont'", "unknown key", "'endpoint'"]),
        ("headlines.dfs3_chemo.arm", "placebo", ["twin key 'headlines.dfs3_chemo.arm'", "'placebo'", "'blina'"]),
        ("headlines.hr.endpoint", "EFS", ["twin key 'headlines.hr.endpoint'", "'EFS'", "'OS'"]),
        ("headlines.dfs3_chemo.at", _DELETE, ["twin key 'headlines.dfs3_chemo'", "needs 'at'"]),
        ("headlines.hr.at", 3.0, ["twin key 'headlines.hr'", "does not take 'at'"]),
        ("headlines.hr.kind", "odds_ratio", ["twin key 'headlines.hr.kind'", "'odds_ratio'", "hazard_ratio"]),
        ("headlines.crs_blina.column", "tox_rash", ["twin key 'headlines.crs_blina.column'", "'tox_rash'"]),
        ("headlines.hr.published.ci95", [0.5, 0.6], ["twin key 'headlines.hr.published'", "does not contain"]),
        ("headlines.hr.published.source", _DELETE, ["twin key 'headlines.hr.published.source'", "missing"]),
        ("headlines.dfs3_chemo.published.se", -1, ["twin key 'headlines.dfs3_chemo.published.se'", "> 0"]),
        ("primary_endpoint", "EFS", ["twin key 'primary_endpoint'", "'EFS'"]),
        ("endpoints.DFS.event_type", _DELETE, ["twin key 'headlines.marrow3_chemo'", "event_type"]),
        ("analysis.strata", [], ["twin key 'headlines.dfs3_avg_chemo.stratum'", "analysis.strata"]),
        ("analysis.rmst", _DELETE, ["twin key 'headlines.rmst_days'", "analysis.rmst.years"]),
        ("arms.experimental", "chemo", ["twin key 'arms'", "both 'chemo'"]),
        ("interim_analysis.spending", "asQuadratic", ["twin key 'interim_analysis'", "asQuadratic"]),
        ("interim_analysis.information_fractions", [0.5, 0.9], ["information fractions"]),
    ],
)
def test_bad_twin_names_the_key(key, value, fragments):
    bad = _set(_twin_dict(), key, value)
    with pytest.raises(InputError) as err:
        twin_from_dict(bad, source="twin file 'x.yaml'")
    msg = str(err.value)
    assert msg.startswith("twin file 'x.yaml': ")
    for f in fragments:
        assert f in msg, (f, msg)


def test_every_problem_is_listed():
    bad = _set(_set(_twin_dict(), "headlines.hr.endpoint", "EFS"), "headlines.dfs3_chemo.arm", "placebo")
    with pytest.raises(InputError, match="2 problems") as err:
        twin_from_dict(bad)
    assert "headlines.hr.endpoint" in str(err.value) and "headlines.dfs3_chemo.arm" in str(err.value)


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("headlines.marrow3_chemo.causes", ["bone"], "twin key 'headlines.marrow3_chemo.causes': 'bone'"),
        ("headlines.dfs3_avg_chemo.stratum", "SR-Low", "twin key 'headlines.dfs3_avg_chemo.stratum': 'SR-Low'"),
        ("arms.control", "placebo", "twin key 'arms.control': 'placebo' is not an arm of scenario 'aall1731'"),
        ("analysis.subgroups", ["sex", "blood_group"], "twin key 'analysis.subgroups': 'blood_group'"),
        ("analysis.derived_columns.age_group.source", "age", "twin key 'analysis.derived_columns.age_group.source'"),
    ],
)
def test_twin_must_match_its_scenario(key, value, fragment):
    data = _set(_twin_dict(), key, value)
    if key == "arms.control":
        data["arms"]["labels"] = {}
        for h in data["headlines"].values():
            if h.get("arm") == "chemo":
                h["arm"] = "placebo"
    tw = twin_from_dict(data)
    with pytest.raises(InputError) as err:
        check_twin_against_scenario(tw, load_scenario("aall1731"))
    assert fragment in str(err.value)


def test_headline_kinds_documented():
    """Every kind has a computing function and appears in the Headline docstring."""
    from survtrial.workflows.headlines import HEADLINE_KINDS
    from survtrial.workflows.twin_spec import Headline

    assert set(HEADLINE_KINDS) == set(HEADLINE_FIELDS)
    for kind in HEADLINE_FIELDS:
        assert f"``{kind}``" in Headline.__doc__


def _write(tmp_path: Path, data: dict, name: str = "twin.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: _set(d, "headlines.hr.endpont", "DFS"), "twin key 'headlines.hr.endpont': unknown key"),
        (lambda d: _set(d, "headlines.dfs3_chemo.arm", "placebo"), "twin key 'headlines.dfs3_chemo.arm'"),
        (lambda d: _set(d, "scenario", "no-such-scenario"), "no-such-scenario"),
        (lambda d: _set(d, "headlines.marrow3_chemo.causes", ["bone"]), "twin key 'headlines.marrow3_chemo.causes'"),
    ],
)
def test_cli_bad_twin_exits_2_and_writes_nothing(tmp_path, mutate, fragment):
    bad = _write(tmp_path, mutate(_twin_dict()))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["reproduce", str(bad), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert fragment in " ".join(res.output.split()) and "Traceback" not in res.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["twin.yaml"]


def test_cli_scenario_file_given_as_twin_is_explained(tmp_path):
    text = (files("survtrial") / "scenarios" / "aall1731.yaml").read_text(encoding="utf-8")
    path = tmp_path / "sc.yaml"
    path.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["reproduce", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "is a scenario, not a twin" in " ".join(res.output.split())
    assert "--scenario" in res.output


def test_twin_file_with_relative_scenario_path(tmp_path):
    """A twin YAML anywhere, naming its scenario by a path relative to itself, runs."""
    scen = (files("survtrial") / "scenarios" / "aall1731.yaml").read_text(encoding="utf-8")
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "my_trial.yaml").write_text(scen, encoding="utf-8")
    data = _set(_twin_dict(), "scenario", "scen/my_trial.yaml")
    data["name"] = "my_trial"
    path = _write(tmp_path, data, "my_twin.yaml")
    res = CliRunner().invoke(app, ["reproduce", str(path), "--seed", "3", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "my_trial: published vs twin" in res.output and (tmp_path / "o" / "report.html").exists()


# --- no module names a trial -----------------------------------------------------------------------

TRIAL_NAMES = ("aall1731", "blina", "chemo", "colon", "levamisole", "moertel")
# The clinical package (AALL1731's risk rules, benefit and treatment calendar), its CLI commands and its
# benefit chart are that trial's clinical tools by design (STYLE.md: "clinical/  AALL1731 specifics").
TRIAL_SPECIFIC = ("clinical/", "cli/clinical.py", "report/benefit_chart.py")
# Names in code (not docstrings or comments) that are documented examples or the CLI's default twin.
ALLOWED = {
    ("cli/reproduce.py", 'DEFAULT_TWIN = "aall1731"'),
    ("cli/simulate.py", "(or a packaged name such as aall1731)"),
    ("cli/reconstruct.py", '["blina=38", "chemo=89"]'),
    ("cli/reconstruct.py", "e.g. --events chemo=89"),
    # the documented list of control-arm names (issue: "placebo, control, observation, standard, SOC, chemo alone")
    ("analysis/arms.py", '"chemo alone",'),
    ("analysis/arms.py", '"chemotherapy alone",'),
    ("cli/analyze.py", "observation, standard, SOC, chemo alone"),
}


def _code_tokens(text: str):
    """(line, token, source line) of names and strings that are code: docstrings (a statement made of a
    string alone) and comments are documentation and are left out."""
    docs = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            docs.update(range(node.lineno, node.end_lineno + 1))
    kinds = {tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in kinds and not (tok.type != tokenize.NAME and tok.start[0] in docs):
            yield tok.start[0], tok.string, tok.line


def test_no_module_names_a_trial():
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(TRIAL_SPECIFIC):
            continue
        for line, token, source in _code_tokens(path.read_text(encoding="utf-8")):
            if not any(n in token.lower() for n in TRIAL_NAMES):
                continue
            if any(rel == f and snippet in source for f, snippet in ALLOWED):
                continue
            offending.append(f"{rel}:{line}: {source.strip()}")
    assert not offending, "trial names in code:\n" + "\n".join(offending)


def test_the_trial_name_check_finds_names_in_code():
    """The check reads code, not documentation: a name in an identifier or string is found, in a docstring not."""
    code = '"""Docs: aall1731."""\n# comment: blina\nx = "chemo"\ndef f():\n    """blina"""\n    return blina_rate\n'
    found = [tok for _, tok, _ in _code_tokens(code) if any(n in tok.lower() for n in TRIAL_NAMES)]
    assert found == ['"chemo"', "blina_rate"]


@pytest.mark.parametrize("text, fragment", [("name: a\nname: b\n", "duplicate key 'name'"),
                                            ("name: [a\n", "YAML syntax error"),
                                            ("- a\n- b\n", "expected a mapping")])
def test_unreadable_twin_file(tmp_path, text, fragment):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=fragment) as err:
        load_twin(path)
    assert str(path) in str(err.value)
