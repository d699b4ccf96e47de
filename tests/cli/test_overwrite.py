"""One --overwrite behaviour for every command that writes: a non-empty output is refused unless --overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.clinical.population import synthetic_cohort

runner = CliRunner()
DATA = Path(__file__).parents[1] / "workflows" / "data"


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    cohort = tmp_path / "cohort.csv"
    synthetic_cohort(12, rng=3).to_csv(cohort, index=False)
    design = tmp_path / "d.yaml"
    design.write_text("hazard_ratio: 0.6\nlooks: 2\n")
    return {
        "analyze": ["analyze", "--data", str(DATA / "placebo_drug.csv"), "--time", "time", "--event", "event",
                    "--group", "arm", "--time-unit", "months", "--tau", "24"],
        "design": ["design", "--hr", "0.6", "--looks", "2"],
        "monitor": ["monitor", str(design), "--events", "50", "--z", "1.2"],
        "benefit": ["benefit", str(cohort)],
        "calendar": ["calendar", "--start", "2025-03-03", "--arm", "B", "--sex", "F"],
        "reproduce": ["reproduce", "aall1731"],
    }


@pytest.mark.parametrize("command", ["analyze", "design", "monitor", "benefit", "calendar", "reproduce"])
def test_non_empty_output_folder_needs_overwrite(tmp_path, command):
    args = _commands(tmp_path)[command]
    out = tmp_path / "out"
    first = runner.invoke(app, [*args, "--out", str(out)])
    assert first.exit_code == 0, first.output
    written = sorted(p.name for p in out.iterdir())
    (out / written[0]).write_text("changed by hand")  # a marker: replaced or not
    refused = runner.invoke(app, [*args, "--out", str(out)])
    assert refused.exit_code == 2, refused.output
    assert "exists and is not empty; pass --overwrite" in " ".join(refused.output.split())
    assert (out / written[0]).read_text() == "changed by hand"
    done = runner.invoke(app, [*args, "--out", str(out), "--overwrite"])
    assert done.exit_code == 0, done.output
    assert (out / written[0]).read_text() != "changed by hand"  # replaced as a whole
    assert sorted(p.name for p in out.iterdir()) == written
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


@pytest.mark.parametrize("command", ["analyze", "design", "monitor", "benefit", "calendar", "reproduce"])
def test_a_folder_holding_files_survtrial_did_not_write_is_never_replaced(tmp_path, command):
    args = _commands(tmp_path)[command]
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("someone's file")
    for extra in ([], ["--overwrite"]):
        refused = runner.invoke(app, [*args, "--out", str(out), *extra])
        assert refused.exit_code == 2, refused.output
        assert ("keep.txt" in refused.output) if extra else ("pass --overwrite" in refused.output)
        assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_empty_or_new_folder_needs_no_flag(tmp_path):
    args = _commands(tmp_path)["design"]
    (tmp_path / "empty").mkdir()
    for out in ("empty", "new"):
        res = runner.invoke(app, [*args, "--out", str(tmp_path / out)])
        assert res.exit_code == 0, res.output


def test_classify_output_file_needs_overwrite(tmp_path):
    cohort = tmp_path / "cohort.csv"
    synthetic_cohort(5, rng=3).to_csv(cohort, index=False)
    out = tmp_path / "classified.csv"
    out.write_text("old")
    refused = runner.invoke(app, ["classify", str(cohort), "--out", str(out)])
    assert refused.exit_code == 2 and "exists; pass --overwrite" in refused.output
    assert out.read_text() == "old"
    ok = runner.invoke(app, ["classify", str(cohort), "--out", str(out), "--overwrite"])
    assert ok.exit_code == 0 and out.read_text().startswith("patient_id")
