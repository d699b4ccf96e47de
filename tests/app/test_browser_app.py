"""End to end in headless Chromium: `survtrial app` on a free port, inputs changed as a user does, the numbers
shown equal the survtrial.design API's, a simulation runs to completion, the YAML export reads back; no overflow
at 1280 px. Set SURVTRIAL_APP_SCREENSHOT=path to also save the design panel's screenshot (docs/app.png)."""

from __future__ import annotations

import io
import json
import math
import os
import struct
import urllib.request

import numpy as np
import pytest
import yaml
from live_browser import LivePage
from tlf_check import assert_rtf_holds_the_tables, html_tables, without_provenance

from survtrial.app.export import design_result, design_yaml, report_html
from survtrial.app.inputs import default_inputs
from survtrial.app.twin import twin_scenario, twin_simulation_design
from survtrial.app.view import fmt
from survtrial.design import ahr_design, design_assumptions, maxcombo_design, weighted_logrank_design
from survtrial.report.browser import find_chromium
from survtrial.simulate import run_simulation
from survtrial.simulate.design_check import check_by_simulation

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="headless Chromium not installed "
                                "(apt-get install chromium, or set SURVTRIAL_CHROMIUM)")

LOG2 = math.log(2)
READY = "!!document.getElementById('headline') && document.querySelectorAll('#fail_grid td').length >= 8"
HEADLINE = """Object.fromEntries([...document.querySelectorAll('#headline td[data-key]')]
                .map(td => [td.dataset.key, td.innerText]))"""
LOOKS = """(() => { const t = document.getElementById('looks-table'); if (!t) return null;
  const head = [...t.querySelectorAll('thead th')].map(th => th.innerText.replace(/\\s+/g, ' ').trim());
  return [...t.querySelectorAll('tbody tr')].map(tr => Object.fromEntries(
    [...tr.querySelectorAll('td')].map((td, i) => [head[i], td.innerText]))); })()"""

COMPARE = """(() => { const t = document.getElementById('compare-table'); if (!t) return null;
  const head = [...t.querySelectorAll('thead th')].map(th => th.innerText.trim());
  const rows = [...t.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(td => td.innerText));
  return head.slice(1).map((h, j) => Object.fromEntries(rows.map(r => [r[0], r[j + 1]]))); })()"""


def edit_cell(page: LivePage, grid: str, index: int, text: str) -> None:
    """Double-click a grid cell, type over it and leave it with Tab (which saves the edit), then Escape."""
    where = (f"(() => {{ const td = document.querySelectorAll('#{grid} td')[{index}]; td.scrollIntoView();"
             " const b = td.getBoundingClientRect(); return {x: b.x + b.width / 2, y: b.y + b.height / 2}; })()")
    for _ in range(10):
        r = page.eval(where)
        page.mouse(r["x"], r["y"], clicks=2)
        page.pipe.drain(0.2)
        if page.eval("document.activeElement.tagName === 'TEXTAREA'"):
            break
    else:
        raise AssertionError(f"cell {index} of {grid} did not open for editing")
    page.eval("(document.activeElement.select(), true)")
    page.type_text(text)
    page.key("Tab", "Tab", 9)
    page.pipe.drain(0.2)
    page.key("Escape", "Escape", 27)


def page_tables():
    """The page's tables after the test's edit (the second period's HR 0.7)."""
    return design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
                              {"duration": [3, math.inf], "fail_rate": [0.077016, 0.038508], "hr": [0.9, 0.7],
                               "dropout_rate": 0.001})


def expected_design(logrank: bool = False):
    """The same inputs straight through the design API (what the page must show)."""
    a = page_tables()
    if logrank:
        return ahr_design(a, analysis_times=36, information_fractions=[0.4, 0.7, 1], alpha=0.025, power=0.85,
                          sided=1, alpha_spending="OF", beta_spending="HSD(-2)", binding_futility=False)
    return weighted_logrank_design(a, "fh(0, 0.5)", analysis_times=36, information_fractions=[0.4, 0.7, 1],
                                   alpha=0.025, power=0.85, sided=1, alpha_spending="OF", beta_spending="HSD(-2)",
                                   binding_futility=False)


def test_the_app_in_a_browser(running_app, tmp_path):
    with LivePage(timeout=120) as page:
        page.goto(running_app)
        page.wait(READY, 60, "the design panel")
        first = page.eval(HEADLINE)
        # change inputs as a user does: a grid cell, the test, power, looks and futility spending
        edit_cell(page, "fail_grid", 6, "0.7")  # row 2, hr: 0.6 -> 0.7
        page.set_input("test", "fh")
        page.set_input("power", "0.85")
        page.set_input("fractions", "0.4, 0.7, 1")
        page.set_input("beta_spending", "HSD(-2)")
        d = expected_design()
        want = {"Test": d.statistic, "Subjects": fmt(d.n_subjects, 1), "Events": fmt(d.max_events, 1),
                "Power": fmt(d.power, 4)}
        shown = page.wait(f"(() => {{ const h = {HEADLINE}; return h['Test'] === {json.dumps(d.statistic)} &&"
                          f" h['Subjects'] === {json.dumps(want['Subjects'])} && h; }})()", 60,
                          f"the headline to show {want}")
        assert shown != first
        assert {k: shown[k] for k in want} == want
        looks = page.eval(LOOKS)
        assert [r["Events"] for r in looks] == [fmt(x, 1) for x in d.events]
        assert [r["Efficacy z"] for r in looks] == [fmt(x, 4) for x in d.upper]
        assert [r["Futility z"] for r in looks] == [fmt(x, 4) for x in d.lower]
        hr_up, _ = d.hazard_ratio_at_bounds()
        assert [r["Efficacy HR"] for r in looks] == [fmt(x, 4) for x in hr_up]
        assert page.eval("document.querySelector('#curves img') !== null")
        page.click("#compare_add")  # design 1 of the comparison

        # bad input: a message beside the field, never a traceback; fixing it brings the design back
        page.set_input("power", "1.5")
        msg = page.wait("document.getElementById('msg-levels') && document.getElementById('msg-levels').innerText",
                        30, "the inline message")
        assert "power" in msg and "Traceback" not in page.eval("document.body.innerText")
        page.set_input("power", "0.85")
        page.wait(f"(() => {{ const h = {HEADLINE}; return h['Subjects'] === {json.dumps(want['Subjects'])}; }})()",
                  60, "the design after the fix")

        # 1280 px: nothing wider than the page (the look table may scroll inside its own box)
        layout = page.layout()
        assert layout.viewport == 1280 and layout.problems() == []
        shot = page.screenshots()[0]
        assert shot.startswith(b"\x89PNG") and struct.unpack(">II", shot[16:24])[0] == 1280
        if os.environ.get("SURVTRIAL_APP_SCREENSHOT"):  # the README's picture, cut to the page's content
            from PIL import Image

            height = page.eval("Math.ceil(document.querySelector('.tab-content').getBoundingClientRect().bottom) + 16")
            Image.open(io.BytesIO(shot)).crop((0, 0, 1280, min(height, 1600))).save(
                os.environ["SURVTRIAL_APP_SCREENSHOT"], optimize=True)

        # check by simulation: a small run to completion, numbers as check_by_simulation (what `survtrial design
        # design.yaml --check-by-simulation 200 --seed 7` runs) gives for the same design, seed and trials
        page.click("a[data-value='Check by simulation']")
        page.set_input("n_sims", "200")
        page.set_input("seed", "7")
        page.pipe.drain(0.5)
        page.click("#run_sim")
        page.wait("document.querySelector('#sim-state') && "
                  "document.querySelector('#sim-state').dataset.state === 'done'", 120, "the simulation")
        assert page.eval("document.querySelector('#sim-progress').value") == 400  # 200 under H1, 200 under H0
        check = check_by_simulation(d, 200, seed=7, time_unit="months")
        analytic, simulated, se = check.power
        assert (f"power analytic {fmt(analytic, 4)}, simulated {fmt(simulated, 4)} (MC SE {fmt(se, 4)})"
                in page.eval("document.getElementById('sim-power').innerText"))
        shown = page.eval("[...document.querySelectorAll('#sim-table tbody tr')].map(tr => "
                          "[...tr.children].map(td => td.innerText))")
        assert [r[1] for r in shown] == check.table["quantity"].tolist()
        assert [r[4] for r in shown] == [f"{x:.4f}" for x in check.table["analytic"]]
        assert [r[5] for r in shown] == [f"{x:.4f}" for x in check.table["simulated"]]
        assert page.layout().problems() == []

        # export: the YAML shown and downloaded is the design file of these inputs, and reads back to the design
        page.click("a[data-value='Export']")
        text = page.wait("document.getElementById('yaml-text') && document.getElementById('yaml-text').innerText",
                         30, "the YAML")
        inputs = default_inputs().with_(
            fail=({"duration": 3.0, "fail_rate": 0.077016, "hr": 0.9, "dropout_rate": 0.001},
                  {"duration": math.inf, "fail_rate": 0.038508, "hr": 0.7, "dropout_rate": 0.001}),
            test="fh", power=0.85, fractions=(0.4, 0.7, 1.0), beta_spending="HSD(-2)")
        assert text.strip() == design_yaml(inputs).strip()
        href = page.eval("document.getElementById('download_yaml').href")
        with urllib.request.urlopen(href, timeout=30) as r:
            downloaded = r.read().decode()
        assert downloaded == design_yaml(inputs)
        data = yaml.safe_load(downloaded)
        assert data["test"] == "fh(0, 0.5)" and data["fail_rate"][1]["hr"] == 0.7
        again = weighted_logrank_design(
            design_assumptions(data["enroll_rate"], data["fail_rate"], allocation_ratio=data["allocation_ratio"]),
            data["test"], analysis_times=data["looks"]["analysis_times"][0],
            information_fractions=data["looks"]["information_fractions"], alpha=data["alpha"], power=data["power"],
            alpha_spending=data["efficacy"]["spending"], beta_spending=data["futility"]["spending"])
        np.testing.assert_allclose(again.n, d.n, rtol=1e-12)

        # the report: report.html is the design report of these inputs with the check just run (the one
        # `survtrial design design.yaml --check-by-simulation 200 --seed 7` writes), report.rtf its TLF copy
        def download(button: str) -> bytes:
            with urllib.request.urlopen(page.eval(f"document.getElementById('{button}').href"), timeout=120) as r:
                return r.read()

        html = download("download_report_html").decode("utf-8")
        want = report_html(design_result(inputs, d, check)).decode("utf-8")
        assert without_provenance(html) == without_provenance(want)
        assert "Check by simulation" in html and "<script" not in html
        assert_rtf_holds_the_tables(download("download_report_rtf").decode("utf-8"), html_tables(html))
        assert page.layout().problems() == []  # the Export panel with its four buttons fits at 1280 px

        # compare: the log-rank design of the same tables beside the FH one
        page.click("a[data-value='Design']")
        page.set_input("test", "logrank")
        ahr = expected_design(logrank=True)
        subjects = json.dumps(fmt(ahr.n_subjects, 1))
        page.wait(f"(() => {{ const h = {HEADLINE}; return h['Subjects'] === {subjects}; }})()", 60,
                  "the log-rank design")
        page.click("#compare_add")
        page.click("a[data-value='Compare']")
        table = page.wait(COMPARE + " && " + COMPARE + ".length === 2 && " + COMPARE, 30, "the comparison")
        assert [c["Subjects"] for c in table] == [fmt(d.n_subjects, 1), fmt(ahr.n_subjects, 1)]
        assert [c["Power"] for c in table] == [fmt(d.power, 4), fmt(ahr.power, 4)]
        assert page.eval("document.querySelector('#compare_curves img') !== null")
        assert page.layout().problems() == []

        # MaxCombo: seconds to compute, in the background; the page answers meanwhile (a click on Run simulation
        # is refused with a notification while the design computes), then shows the design API's numbers
        page.click("a[data-value='Design']")
        page.set_input("test", "maxcombo")
        page.wait("document.getElementById('design-state').dataset.state === 'computing'", 30, "the computation")
        page.click("#run_sim")
        note = page.wait("(() => { const n = document.querySelector('.shiny-notification'); return n && "
                         "[n.innerText, document.getElementById('design-state').dataset.state]; })()", 30,
                         "the page's answer while the design computes")
        assert "still being computed" in note[0] and note[1] == "computing"
        mc = maxcombo_design(page_tables(),
                             ["fh(0, 0)", "fh(0, 0.5)", "fh(0.5, 0)"], analysis_times=36,
                             information_fractions=[0.4, 0.7, 1], alpha=0.025, power=0.85, alpha_spending="OF",
                             beta_spending="HSD(-2)", binding_futility=False)
        want = {"Test": mc.statistic, "Subjects": fmt(mc.n_subjects, 1), "Events": fmt(mc.max_events, 1),
                "Power": fmt(mc.power, 4)}
        shown = page.wait(f"(() => {{ const h = {HEADLINE}; return "
                          "document.getElementById('design-state').dataset.state === 'ready' && "
                          f"h['Test'] === {json.dumps(mc.statistic)} && h; }})()", 120, "the MaxCombo design")
        assert {k: shown[k] for k in want} == want
        assert [r["Efficacy z"] for r in page.eval(LOOKS)] == [fmt(x, 4) for x in mc.upper]

        # twin: the delayed-effect twin with its effect starting at 6 months, a small run of its looks
        page.click("a[data-value='Twin']")
        page.wait("document.querySelector('#twin_curves img') !== null", 30, "the twin's curves")
        page.set_input("twin", "delayed_effect")
        page.wait("document.getElementById('twin_delay').value === '1'", 30, "the twin's own delay")
        page.set_input("twin_delay", "0.5")
        page.set_input("twin_sims", "100")
        page.pipe.drain(0.5)
        page.click("#twin_run")
        page.wait("document.querySelector('#twin-state') && "
                  "document.querySelector('#twin-state').dataset.state === 'done'", 60, "the twin's simulation")
        sc = twin_scenario("delayed_effect", 0.5)
        oc = run_simulation(sc, twin_simulation_design(sc), 100, seed=2026, chunk_size=100).summary()
        assert page.eval("document.getElementById('twin-interim').innerText").endswith(
            fmt(oc.by_look["rejection"].iloc[0], 4))
        assert page.layout().problems() == []
        assert page.errors() == []
