"""Monitoring from analysis data sets: events and z per data cut, in the design's sign convention."""

import pytest
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.errors import InputError
from survtrial.simulate.trial import apply_data_cut, simulate_trial
from survtrial.stats.logrank import logrank_test
from survtrial.workflows.monitor import looks_from_data


@pytest.fixture(scope="module")
def cuts(tmp_path_factory):
    full = simulate_trial("aall1731", 5, full_follow_up=True)
    root = tmp_path_factory.mktemp("cuts")
    paths = []
    for d in (40, 80):
        p = root / f"look{d}.csv"
        apply_data_cut(full, events=d).to_csv(p, index=False)
        paths.append(p)
    return paths


def test_events_and_z_per_cut(cuts):
    import pandas as pd

    events, z = looks_from_data(cuts, time="dfs_time", event="dfs_event", group="arm",
                                strata=["risk_group"], reference="chemo")
    assert events == [40.0, 80.0]
    second = pd.read_csv(cuts[1])
    lr = logrank_test(second["dfs_time"], second["dfs_event"], second["arm"], strata=second["risk_group"],
                      reference="chemo")
    assert z[1] == pytest.approx(-lr.z, rel=1e-12) and z[1] > 0  # blinatumomab better: z > 0 here


def test_cuts_out_of_order(cuts):
    with pytest.raises(InputError, match="events must increase"):
        looks_from_data(cuts[::-1], time="dfs_time", event="dfs_event", group="arm", reference="chemo")


def test_cli_monitor_from_data(cuts, tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["design", "--title", "t", "--control-survival", "87.9%", "--landmark", "3", "--hr", "0.5",
                            "--power", "0.9", "--looks", "3", "--accrual-time", "5", "--follow-up", "2",
                            "--time-unit", "years",
                            "--out", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    args = ["monitor", str(tmp_path / "d" / "design.json"), "--time", "dfs_time", "--event", "dfs_event",
            "--group", "arm", "--reference", "chemo", "--strata", "risk_group"]
    for p in cuts:
        args += ["--data", str(p)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "40" in r.output and "80" in r.output
    bad = runner.invoke(app, [*args, "--z", "1.0"])
    assert bad.exit_code == 2 and "give one of" in bad.output


def test_cli_monitor_from_data_follows_the_reference_rule(cuts, tmp_path):
    import pandas as pd

    runner = CliRunner()
    r = runner.invoke(app, ["design", "--hr", "0.5", "--power", "0.9", "--looks", "3", "--out", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    base = ["monitor", str(tmp_path / "d" / "design.json"), "--time", "dfs_time", "--event", "dfs_event",
            "--group", "arm"]
    refused = runner.invoke(app, [*base, "--data", str(cuts[0])])
    message = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "--reference" in message and "blina, chemo" in message
    renamed = tmp_path / "look.csv"
    pd.read_csv(cuts[0]).replace({"arm": {"chemo": "Placebo + chemo", "blina": "Blinatumomab + chemo"}}).to_csv(
        renamed, index=False)
    ok = runner.invoke(app, [*base, "--data", str(renamed)], env={"COLUMNS": "200"})
    assert ok.exit_code == 0, ok.output
    assert "reference (control) arm: Placebo + chemo, its name says control ('placebo'); z > 0 favours" in ok.output
    _, z = looks_from_data([cuts[0]], time="dfs_time", event="dfs_event", group="arm", reference="chemo")
    assert f"{z[0]:.3f}" in ok.output  # the same z as with chemo named the control
