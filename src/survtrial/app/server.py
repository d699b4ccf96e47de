"""The design explorer's server: reactive values and outputs over the plain functions (Shiny)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from shiny import App, reactive, render, ui

from survtrial.app import compare as comparison
from survtrial.app import twin as twins
from survtrial.app.design_worker import DesignWorker
from survtrial.app.inputs import ENROLL_COLUMNS, FAIL_COLUMNS, default_inputs
from survtrial.app.page import page
from survtrial.app.panel import PENDING, as_number, compute, not_ready, table_frame
from survtrial.app.server_export import export_outputs
from survtrial.app.simulation import ScenarioJob, SimulationJob, check_rows
from survtrial.app.view import curve_figure, fmt
from survtrial.errors import InputError

__all__ = ["make_app", "server"]

def _job_progress(current: Any) -> tuple[str, int, int]:
    """(state, done, total) of a background job, re-read every 0.3 s while it runs (inside a reactive calc)."""
    if current is None:
        return ("idle", 0, 0)
    if current.state == "running":
        reactive.invalidate_later(0.3)
    return (current.state, current.done, current.total)


def _job_status(current: Any, state: str, done: int, total: int, prefix: str) -> Any:
    """A job's progress bar and its one-line state (ids ``<prefix>-progress`` and ``<prefix>-state``)."""
    text = {"running": f"Running: {done:,} of {total:,} trials", "done": f"Done: {total:,} trials",
            "cancelled": f"Cancelled after {done:,} of {total:,} trials",
            "error": "Failed: " + (current.error or "")}[state]
    return ui.div(ui.tags.progress(value=str(done), max=str(max(total, 1)), id=f"{prefix}-progress"),
                  ui.p(text, id=f"{prefix}-state", **{"data-state": state}))


def server(input: Any, output: Any, session: Any) -> None:
    d = default_inputs()
    enroll_rows = reactive.value(table_frame(d.enroll, ENROLL_COLUMNS))
    fail_rows = reactive.value(table_frame(d.fail, FAIL_COLUMNS))
    job: reactive.Value[SimulationJob | None] = reactive.value(None)

    @render.data_frame
    def enroll_grid():
        return render.DataGrid(enroll_rows(), editable=True, width="100%")

    @render.data_frame
    def fail_grid():
        return render.DataGrid(fail_rows(), editable=True, width="100%")

    def _edited(grid: Any, rows: reactive.Value) -> pd.DataFrame:
        with reactive.isolate():
            try:
                return grid.data_view().reset_index(drop=True)
            except Exception:  # the grid has not been rendered yet
                return rows()

    @reactive.effect
    @reactive.event(input.enroll_add)
    def _():
        frame = _edited(enroll_grid, enroll_rows)
        enroll_rows.set(pd.concat([frame, frame.tail(1)], ignore_index=True))

    @reactive.effect
    @reactive.event(input.enroll_remove)
    def _():
        frame = _edited(enroll_grid, enroll_rows)
        if len(frame) > 1:
            enroll_rows.set(frame.iloc[:-1].reset_index(drop=True))

    @reactive.effect
    @reactive.event(input.fail_add)
    def _():
        frame = _edited(fail_grid, fail_rows)
        head, last = frame.iloc[:-1], frame.tail(1).copy()
        new = last.copy()
        new.iloc[0, 0] = "12"  # the new row goes before the open-ended last period
        fail_rows.set(pd.concat([head, new, last], ignore_index=True))

    @reactive.effect
    @reactive.event(input.fail_remove)
    def _():
        frame = _edited(fail_grid, fail_rows)
        if len(frame) > 1:
            fail_rows.set(frame.drop(frame.index[-2]).reset_index(drop=True))

    @reactive.effect
    @reactive.event(input.control_as, ignore_init=True)
    def _():
        """Switch the failure table between hazard rates and medians (log 2 / x either way)."""
        frame = _edited(fail_grid, fail_rows)
        new, old = ("control_median", "fail_rate") if input.control_as() == "median" else ("fail_rate",
                                                                                           "control_median")
        if old not in frame.columns:
            return
        converted = []
        for v in frame[old]:
            try:
                x = float(v)
                # log 2 / x either way; a hazard of 0 is an infinite median and back
                converted.append(f"{math.log(2) / x:.6g}" if x > 0 else "inf" if x == 0 else str(v))
            except (TypeError, ValueError):
                converted.append(str(v))
        frame = frame.rename(columns={old: new})
        frame[new] = converted
        fail_rows.set(frame)

    def values() -> dict[str, Any]:
        names = ("control_as", "allocation_ratio", "test", "rho", "gamma", "combo_tests", "alpha", "power", "sided",
                 "final_time", "fractions", "alpha_spending", "beta_spending", "binding_futility", "time_unit")
        return {n: input[n]() for n in names}

    # The design is computed in a background thread (a MaxCombo design takes seconds): every change of the
    # inputs submits a request; `current` is the latest request's result (PENDING until it is computed) and
    # `computed` the last result computed, which the design panel shows meanwhile. Both change once per
    # design, so the panel's outputs are drawn once per design, not at each poll of the worker.
    worker = DesignWorker(compute)
    request = reactive.value(0)
    current: reactive.Value[dict[str, Any]] = reactive.value(PENDING)
    computed: reactive.Value[dict[str, Any]] = reactive.value(PENDING)

    @reactive.effect
    def _():
        enroll_rows()
        fail_rows()
        try:
            enroll, fail = enroll_grid.data_view(), fail_grid.data_view()
        except Exception:
            enroll, fail = enroll_rows(), fail_rows()
        request.set(worker.submit(values(), enroll, fail))
        current.set(PENDING)

    @reactive.effect
    def _():
        out = worker.get(request())
        if out is None:
            reactive.invalidate_later(0.1)
            return
        current.set(out)
        computed.set(out)

    def result() -> dict[str, Any]:
        """The design of the inputs as they are now, or PENDING while it is computed."""
        return current()

    def shown() -> dict[str, Any]:
        """What the design panel shows: the last design computed."""
        return computed()

    @render.ui
    def design_status():
        state = "computing" if result() is PENDING else "ready"
        text = "Computing the design\u2026" if state == "computing" else ""
        return ui.p(text, id="design-state", class_="text-muted", **{"data-state": state})

    def message(field: str):
        def render_message():
            r = shown()
            if "error" in r and r["field"] == field:
                return ui.div(r["error"], class_="st-msg", id=f"msg-{field}", role="alert")
            return None
        return render_message

    for f in ("enroll", "fail", "test", "levels", "looks", "spending", "design"):
        output(id=f"msg_{f}")(render.ui(message(f)))

    @render.ui
    def headline():
        r = shown()
        if r is PENDING:
            return None
        if "error" in r:
            return ui.p("Fix the input marked in red to see the design.", class_="text-muted", id="design-stale")
        rows = [ui.tags.tr(ui.tags.td(k), ui.tags.td(v, **{"data-key": k})) for k, v in r["view"].headline.items()]
        return ui.tags.table(*rows, class_="st-headline", id="headline")

    @render.ui
    def looks_table():
        r = shown()
        if "error" in r:
            return None
        html = r["view"].looks.to_html(index=False, border=0, classes="table table-sm", table_id="looks-table")
        return ui.HTML(html)

    @render.plot(alt="Expected events and average hazard ratio over calendar time")
    def curves():
        r = shown()
        if "error" in r:
            return None
        return curve_figure(r["view"], time_unit=r["inputs"].time_unit)

    # --- check by simulation -------------------------------------------------------------------
    @reactive.effect
    @reactive.event(input.run_sim)
    def _():
        current = job()
        if current is not None and current.state == "running":
            return
        r = result()
        if "error" in r:
            if r is not PENDING:
                job.set(None)
            ui.notification_show(not_ready(r), type="error")
            return
        try:
            n = int(as_number(input.n_sims(), "trials"))
            seed = int(as_number(input.seed(), "seed"))
            job.set(SimulationJob(r["view"].design, n, seed, r["inputs"].time_unit, inputs=r["inputs"]).start())
        except InputError as err:
            ui.notification_show(str(err), type="error")

    @reactive.effect
    @reactive.event(input.cancel_sim)
    def _():
        current = job()
        if current is not None:
            current.cancel()

    @reactive.calc
    def job_state() -> tuple[str, int, int]:
        return _job_progress(job())

    @render.ui
    def sim_status():
        state, done, total = job_state()
        if state == "idle":
            return ui.p("No simulation run yet.", id="sim-state", **{"data-state": "idle"})
        return _job_status(job(), state, done, total, "sim")

    @render.ui
    def sim_table():
        state, _, _ = job_state()
        current = job()
        if state != "done" or current is None or current.result is None:
            return None
        res = current.result
        analytic, simulated, se = res.power
        shown = check_rows(res)
        return ui.div(
            ui.p(f"Check by simulation: power analytic {fmt(analytic, 4)}, simulated {fmt(simulated, 4)} "
                 f"(MC SE {fmt(se, 4)}); {res.n_sims:,} trials per hypothesis, seed {res.seed}, {res.n_subjects} "
                 f"subjects, looks at {', '.join(map(str, res.events))} events", id="sim-power"),
            ui.HTML(shown.to_html(index=False, border=0, classes="table table-sm", table_id="sim-table")),
        )

    # --- compare -------------------------------------------------------------------------------
    kept: reactive.Value[tuple] = reactive.value(())
    compare_note: reactive.Value[str] = reactive.value("")

    @reactive.effect
    @reactive.event(input.compare_add)
    def _():
        r = result()
        if "error" in r:
            compare_note.set(not_ready(r))
            return
        try:
            kept.set(comparison.add_design(kept(), r["view"]))
            compare_note.set("")
        except InputError as err:
            compare_note.set(str(err))

    @reactive.effect
    @reactive.event(input.compare_clear)
    def _():
        kept.set(())
        compare_note.set("")

    @render.ui
    def compare_msg():
        note = compare_note()
        if note:
            return ui.div(note, class_="st-msg", id="msg-compare", role="alert")
        if not kept():
            return ui.p("No design added yet: press 'Add to comparison' in the Design panel.", id="compare-empty")
        return None

    @render.ui
    def compare_table():
        views = kept()
        if not views:
            return None
        html = comparison.compare_table(views, input.time_unit()).to_html(
            index=False, border=0, classes="table table-sm", table_id="compare-table")
        return ui.HTML(html)

    @render.plot(alt="Cumulative power by calendar time, one line per design")
    def compare_curves():
        views = kept()
        return comparison.compare_figure(views, input.time_unit()) if views else None

    # --- twin ----------------------------------------------------------------------------------
    twin_job: reactive.Value[ScenarioJob | None] = reactive.value(None)

    @reactive.effect
    @reactive.event(input.twin)
    def _():
        ui.update_numeric("twin_delay", value=twins.delay_of(input.twin()))
        twin_job.set(None)

    @reactive.calc
    def twin_model() -> dict[str, Any]:
        try:
            scenario = twins.twin_scenario(input.twin(), as_number(input.twin_delay(), "delay"))
            return {"scenario": scenario}
        except InputError as err:
            return {"error": str(err)}
        except Exception as err:
            return {"error": f"the twin could not be built ({type(err).__name__}: {err})"}

    @render.ui
    def twin_msg():
        m = twin_model()
        return ui.div(m["error"], class_="st-msg", id="msg-twin", role="alert") if "error" in m else None

    @render.plot(alt="Event-free survival of each arm of the twin")
    def twin_curves():
        m = twin_model()
        if "error" in m:
            return None
        return twins.twin_figure(m["scenario"], as_number(input.twin_delay(), "delay"))

    @reactive.effect
    @reactive.event(input.twin_run)
    def _():
        current = twin_job()
        if current is not None and current.state == "running":
            return
        m = twin_model()
        if "error" in m:
            return
        try:
            n = int(as_number(input.twin_sims(), "trials"))
            twin_job.set(ScenarioJob(m["scenario"], twins.twin_simulation_design(m["scenario"]), n, 2026).start())
        except InputError as err:
            ui.notification_show(str(err), type="error")

    @reactive.effect
    @reactive.event(input.twin_cancel)
    def _():
        current = twin_job()
        if current is not None:
            current.cancel()

    @reactive.calc
    def twin_state() -> tuple[str, int, int]:
        return _job_progress(twin_job())

    @render.ui
    def twin_status():
        state, done, total = twin_state()
        if state == "idle":
            return None
        return _job_status(twin_job(), state, done, total, "twin")

    @render.ui
    def twin_table():
        state, _, _ = twin_state()
        current = twin_job()
        if state != "done" or current is None:
            return None
        by = current.result.by_look
        shown = pd.DataFrame({
            "Look": by["look"].astype(str),
            "Stop for efficacy": [fmt(x, 4) for x in by["rejection"]],
            "MC SE": [fmt(x, 4) for x in by["rejection_se"]],
            "Stop (any reason)": [fmt(x, 4) for x in by["stop"]],
            "Mean events": [fmt(x, 1) for x in by["events"]],
            "Mean time (years)": [fmt(x, 2) for x in by["time"]],
        })
        first = by["rejection"].iloc[0]
        return ui.div(ui.p(f"Probability of stopping for efficacy at the interim: {fmt(first, 4)}", id="twin-interim"),
                      ui.HTML(shown.to_html(index=False, border=0, classes="table table-sm", table_id="twin-table")))

    # --- export --------------------------------------------------------------------------------
    export_outputs(result, job)


def make_app() -> App:
    """The Shiny application (serve with uvicorn; ``survtrial app`` does)."""
    return App(page(), server)
