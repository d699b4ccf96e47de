"""Every public result shows in a notebook as an HTML table holding the numbers of its frame(s).

The result classes are found by walking the package (a public class with ``to_frame``, ``tables`` or a
``summary`` declared to return a DataFrame), so a new result without ``_repr_html_``, or without an example here,
fails until it has both.
"""

from __future__ import annotations

import html
import importlib
import inspect
import math
import pkgutil
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

import survtrial
import survtrial as st
from survtrial._repr import MAX_ROWS, shown_rows


def _frame_summary(cls: type) -> bool:
    """A ``summary()`` declared to return a frame (some return a sentence or a dict)."""
    fn = vars(cls).get("summary")
    return inspect.isfunction(fn) and "DataFrame" in str(inspect.signature(fn).return_annotation)


def _result_classes() -> list[type]:
    found = {}
    for info in pkgutil.walk_packages(survtrial.__path__, "survtrial."):
        if info.name == "survtrial.cli" or info.name.startswith("survtrial.cli.") or info.name.endswith("__main__"):
            continue
        mod = importlib.import_module(info.name)
        for name, cls in vars(mod).items():
            if (inspect.isclass(cls) and cls.__module__ == mod.__name__ and not name.startswith("_")
                    and (inspect.isfunction(vars(cls).get("to_frame")) or inspect.isfunction(vars(cls).get("tables"))
                         or _frame_summary(cls))):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


@pytest.fixture(scope="module")
def gehan() -> pd.DataFrame:
    return pd.read_csv(files("survtrial") / "data" / "gehan.csv")


def _assumptions():
    return st.design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
                                 {"duration": [3, 100], "fail_rate": np.log(2) / np.array([9, 18]),
                                  "hr": [0.9, 0.6], "dropout_rate": 0.001})


_ANALYSIS: dict = {}


def _analysis():
    if not _ANALYSIS:
        trial = pd.read_csv("examples/trial.csv")
        _ANALYSIS["res"] = st.analyze_table(trial, time="months", event="relapse", group="arm",
                                            endpoint_name="RFS", landmark="2y")
    return _ANALYSIS["res"]


T = [6, 7, 10, 15, 19, 25, 1, 2, 3, 4, 8, 9]
E = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1]
A = ["new"] * 6 + ["old"] * 6


def _examples(g: pd.DataFrame) -> dict[str, object]:
    """One small instance per result class, by qualified name (each call as in the docstrings)."""
    from survtrial.clinical.cohort import assess_cohort
    from survtrial.clinical.population import synthetic_cohort
    from survtrial.design import group_sequential
    from survtrial.design.plan import plan_trial
    from survtrial.simulate.engine import simulate_trials
    from survtrial.simulate.piecewise import PiecewiseHazard

    d2 = group_sequential(k=2, alpha=0.025, beta=0.1)
    cohort = assess_cohort(synthetic_cohort(50, rng=3))
    sc = st.load_scenario("aall1731")
    curve = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "time": [0, 1, 2, 3] * 2,
                          "survival": [1, .9, .8, .7, 1, .95, .9, .85]})
    risk = pd.DataFrame({"arm": ["a", "a", "b", "b"], "time": [0, 2, 0, 2], "n_risk": [100, 75, 100, 85]})
    a = _assumptions()
    res = _analysis()
    sims = simulate_trials("aall1731", {"events": [40, 80]}, 50, seed=3)
    cox = st.cox_ph("time", "event", ["group"], data=g, reference={"group": "placebo"})
    ex = {
        "survtrial.analysis.endpoint.EndpointAnalysis": res.analysis.primary,
        "survtrial.analysis.nph.NonProportionalHazards": res.analysis.nph,
        "survtrial.analysis.trial.TrialAnalysis": res.analysis,
        "survtrial.workflows.analyze.AnalyzeResult": res,
        "survtrial.clinical.benefit.AbsoluteBenefit": st.absolute_benefit("SR-Avg"),
        "survtrial.clinical.calendar.TreatmentCalendar": st.treatment_calendar("2025-03-03", arm="B", sex="F",
                                                                               bag_hours=168),
        "survtrial.clinical.cohort.CohortAssessment": cohort,
        "survtrial.clinical.cohort.CohortSummary": cohort.summary,
        "survtrial.data.reconstruct.ReconstructionResult": st.reconstruct_ipd(curve, risk),
        "survtrial.design.accrual_fit.AccrualFit": st.solve_accrual_from_at_risk(
            {"a": [100, 60]}, [0, 1], accrual_start="2020-01-01", data_cut="2022-01-01", hazards={"a": ([0], [0.0])}),
        "survtrial.design.boundaries.GroupSequentialDesign": group_sequential(k=3, alpha=0.025, power=0.9),
        "survtrial.design.conditional.ConditionalPowerResult": st.conditional_power(d2, z=1.5, look=1),
        "survtrial.design.conditional.RepeatedConfidenceIntervals": st.repeated_confidence_intervals(
            group_sequential(k=2, alpha=0.025), [-0.5], [0.2]),
        "survtrial.design.inference.StagewiseInference": st.stagewise_inference(
            group_sequential(k=3, alpha=0.025), z=2.8, look=2),
        "survtrial.design.km_contrast_design.KaplanMeierContrastDesign": st.rmst_design(
            a, 18, study_duration=36, power=0.9),
        "survtrial.design.lachin_foulkes.LachinFoulkesResult": st.lachin_foulkes_sample_size(
            control_hazard=0.2, experimental_hazard=0.1, power=0.9, accrual_time=0.5, follow_up=1.5),
        "survtrial.design.maxcombo_result.MaxComboDesign": st.maxcombo_power(
            a, ["logrank", "fh(0, 0.5)"], analysis_times=[24, 36]),
        "survtrial.design.nph_design.NphGroupSequentialDesign": st.ahr_power(a, events=[30, 40, 50], beta=0.1),
        "survtrial.design.nph_events.AverageHazardRatio": st.average_hazard_ratio(a, [15, 30]),
        "survtrial.design.plan.TrialPlan": plan_trial(
            {"control_survival": "87.9%", "landmark_time": 3, "hazard_ratio": 0.6, "power": 0.9, "looks": 3,
             "accrual_time": 5, "follow_up": 2, "time_unit": "years"}),
        "survtrial.design.probabilities.CrossingProbabilities": st.crossing_probabilities(
            None, [2.797, 1.977], [0.5, 1.0]),
        "survtrial.design.sample_size.SurvivalSampleSizeResult": st.survival_sample_size(
            0.6, control_survival=0.879, landmark_time=3, accrual_time=5, follow_up=2,
            design=group_sequential(k=3, alpha=0.025, power=0.9)),
        "survtrial.simulate._curve_fit.CurveFit": sc.calibrated.curve_fit,
        "survtrial.simulate._model.CalibratedScenario": sc.calibrated,
        "survtrial.simulate.engine.SimulationResult": sims,
        "survtrial.simulate.summary.OperatingCharacteristics": sims.summary(),
        "survtrial.simulate.piecewise.PiecewiseHazard": PiecewiseHazard([0, 1, 2, 3], [0.04, 0.04, 0.04, 0.0]),
        "survtrial.stats.binomial.BinomialResult": st.binomial_ci(2, 718),
        "survtrial.stats.binomial.RiskDifferenceResult": st.risk_difference_ci(5, 50, 2, 50),
        "survtrial.stats.cox.CoxResult": cox,
        "survtrial.stats.cuminc.CumulativeIncidenceResult": st.cumulative_incidence([1, 2, 3, 4, 5, 6],
                                                                                    [1, 2, 0, 1, 1, 0]),
        "survtrial.stats.cuminc.GrayTestResult": st.gray_test([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 0, 1, 0, 2, 1],
                                                              [0, 0, 0, 0, 1, 1, 1, 1]),
        "survtrial.stats.km.KaplanMeierResult": st.kaplan_meier("time", "event", "group", data=g),
        "survtrial.stats.logrank.LogRankResult": st.logrank_test("time", "event", "group", data=g,
                                                                 reference="placebo"),
        "survtrial.stats.maxcombo.MaxComboResult": st.maxcombo_test(T, E, A, reference="old", alternative="less"),
        "survtrial.stats.milestone.MilestoneResult": st.milestone_test(T, E, A, milestone=8.5, reference="old"),
        "survtrial.stats.piecewise.PiecewiseHazardRatioResult": st.piecewise_hazard_ratio(
            list(range(1, 13)), [1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0], ["a", "b"] * 6, cuts=[6]),
        "survtrial.stats.piecewise_fit.PiecewiseExponentialFit": st.piecewise_exponential_fit(
            [1, 2, 3, 4, 5], [1, 0, 1, 1, 0], breaks=[0, 2.5]),
        "survtrial.stats.piecewise_solve.PiecewiseHazardSolution": st.solve_piecewise_hazards(
            [st.SurvivalTarget("chemo", 3, 0.879, 0.021), st.SurvivalTarget("blina", 3, 0.960, 0.012)],
            arms=["chemo", "blina"]),
        "survtrial.stats.proportional_hazards.ProportionalHazardsTest": st.proportional_hazards_test(cox),
        "survtrial.stats.rmst.RMSTResult": st.restricted_mean_survival_time("time", "event", "group", data=g,
                                                                           tau=23, reference="placebo"),
        "survtrial.stats.weighted_logrank.WeightedLogRankResult": st.weighted_logrank_test(
            T, E, A, reference="old", weights=(0, 0.5)),
    }
    return ex


@pytest.fixture(scope="module")
def examples(gehan) -> dict[str, object]:
    return _examples(gehan)


CLASSES = _result_classes()


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_the_walk_finds_the_results():
    names = {_name(c) for c in CLASSES}
    assert {"survtrial.stats.km.KaplanMeierResult", "survtrial.design.boundaries.GroupSequentialDesign",
            "survtrial.simulate.summary.OperatingCharacteristics", "survtrial.workflows.analyze.AnalyzeResult"} <= names


def _cells(frame: pd.DataFrame) -> list[str]:
    """Every shown cell as the table must print it, formatted here independently of survtrial._repr."""
    f = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
    out = []
    for i in shown_rows(len(f)):
        for v in f.iloc[i].tolist():
            if isinstance(v, float | np.floating) and math.isnan(v):
                continue
            if isinstance(v, bool | np.bool_):
                out.append(str(bool(v)))
            elif isinstance(v, int | np.integer):
                out.append(str(int(v)))
            elif isinstance(v, float | np.floating):
                out.append(f"{float(v):.6g}")
            elif v is None or v is pd.NA or v is pd.NaT:
                continue
            else:
                out.append(html.escape(str(v)))
    return out


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
def test_every_result_renders_its_numbers_as_an_html_table(cls, examples):
    assert "_repr_html_" in dir(cls), f"{_name(cls)} has no _repr_html_ (derive from survtrial._repr.HtmlReprMixin)"
    assert _name(cls) in examples, f"add an example instance of {_name(cls)} to tests/test_repr_html.py"
    obj = examples[_name(cls)]
    assert type(obj) is cls
    out = obj._repr_html_()
    assert out.count("<table>") == len(obj._html_tables()) >= 1
    if "to_frame" in dir(cls):  # the table is to_frame()'s, not a second set of numbers
        pd.testing.assert_frame_equal(next(iter(obj._html_tables().values())), obj.to_frame())
    elif "tables" in dir(cls):  # a selection of tables(): the same frames
        every = list(obj.tables().values())
        for frame in obj._html_tables().values():
            assert any(frame.equals(t) for t in every)
    else:
        pd.testing.assert_frame_equal(next(iter(obj._html_tables().values())), obj.summary())
    body = out
    for frame in obj._html_tables().values():
        cells = _cells(frame)
        assert cells
        # each table's cells appear in row order, inside <td> elements
        pos = 0
        for c in cells:
            j = body.find(f"<td>{c}</td>", pos)
            assert j >= 0, f"{_name(cls)}: {c!r} of to_frame() missing from the HTML table"
            pos = j
        if len(frame) > MAX_ROWS:
            assert f"{len(frame) - MAX_ROWS} more rows" in body


def test_figures_where_they_belong(examples):
    km = examples["survtrial.stats.km.KaplanMeierResult"]
    svg = km._repr_html_()
    assert svg.count("<polyline") == 2 and ">6-MP<" in svg and ">placebo<" in svg
    assert examples["survtrial.design.boundaries.GroupSequentialDesign"]._repr_html_().count("<polyline") == 1
    assert examples["survtrial.workflows.analyze.AnalyzeResult"]._repr_html_().count("<polyline") == 2
    assert "<svg" not in examples["survtrial.stats.logrank.LogRankResult"]._repr_html_()


def test_long_frames_are_shortened_and_say_so(examples):
    km = examples["survtrial.stats.km.KaplanMeierResult"]
    n = len(km.to_frame())
    assert n > MAX_ROWS
    out = km._repr_html_()
    assert out.count("<tr>") == MAX_ROWS + 2  # header, shown rows, the "more rows" row
    assert f"{n} rows &times; 9 columns" in out
