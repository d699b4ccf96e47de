"""The Shiny page of the design explorer: inputs, reactive outputs, simulation and export (the only shiny import)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from shiny import App, reactive, render, ui

from survtrial.app.export import design_python, design_yaml
from survtrial.app.inputs import (
    ALPHA_SPENDING_CHOICES,
    BETA_SPENDING_CHOICES,
    ENROLL_COLUMNS,
    FAIL_COLUMNS,
    FAIL_COLUMNS_MEDIAN,
    MAXCOMBO_CHOICES,
    TESTS,
    DesignInputs,
    build_design,
    default_inputs,
    error_field,
    parse_fractions,
    rows_from_frame,
)
from survtrial.app.simulation import SimulationJob
from survtrial.app.view import curve_figure, design_view, fmt
from survtrial.errors import InputError

__all__ = ["collect_inputs", "compute", "make_app"]

CSS = """
body { font-size: 14px; }
.st-msg { color: #b00020; font-size: 13px; margin: 2px 0 8px 0; min-height: 0; }
.st-msg:empty { display: none; }
.st-scroll { overflow-x: auto; max-width: 100%; }
.st-headline td:first-child { color: #555; padding-right: 12px; }
.st-headline td:last-child { font-weight: 600; text-align: right; }
.st-code { white-space: pre; overflow-x: auto; background: #f6f6f6; padding: 8px; font-size: 12px; }
progress { width: 100%; height: 14px; }
#looks-table, #sim-table { font-size: 12px; }
#looks-table th, #sim-table th { font-weight: 600; }
"""


def _cell(v: Any) -> str:
    if isinstance(v, str):
        return v
    f = float(v)
    return "inf" if math.isinf(f) else f"{f:g}"


def table_frame(rows: Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """An assumption table as the editable grid shows it (text cells, so that any typed value survives)."""
    return pd.DataFrame([{c: _cell(r.get(c, "")) for c in columns} for r in rows], columns=list(columns))


def _number(value: Any, what: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(f"{what}: enter a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}: {value!r} is not a number") from None


def collect_inputs(values: dict[str, Any], enroll: Any, fail: Any) -> DesignInputs:
    """DesignInputs from the page's input values (as Shiny gives them) and the two grids' current rows."""
    control_as = values.get("control_as", "fail_rate")
    fail_cols = FAIL_COLUMNS_MEDIAN if control_as == "median" else FAIL_COLUMNS
    return DesignInputs(
        enroll=rows_from_frame(enroll, ENROLL_COLUMNS) if isinstance(enroll, pd.DataFrame) else tuple(enroll),
        fail=rows_from_frame(fail, fail_cols) if isinstance(fail, pd.DataFrame) else tuple(fail),
        control_as=control_as,
        allocation_ratio=_number(values.get("allocation_ratio"), "allocation_ratio"),
        test=values.get("test", "logrank"),
        rho=_number(values.get("rho", 0), "test: rho"),
        gamma=_number(values.get("gamma", 0), "test: gamma"),
        combo_tests=tuple(values.get("combo_tests") or ()),
        alpha=_number(values.get("alpha"), "alpha"),
        power=_number(values.get("power"), "power"),
        sided=int(values.get("sided", 1)),
        final_time=_number(values.get("final_time"), "looks: final analysis time"),
        fractions=parse_fractions(values.get("fractions", "")),
        alpha_spending=values.get("alpha_spending", "OF"),
        beta_spending=values.get("beta_spending", "none"),
        binding_futility=bool(values.get("binding_futility", False)),
        time_unit=values.get("time_unit", "months"),
    )


def compute(values: dict[str, Any], enroll: Any, fail: Any) -> dict[str, Any]:
    """What the design panel shows for the given inputs: ``{"inputs", "view"}`` or ``{"error", "field"}``.

    Every InputError of the inputs or of the design API becomes a message for the field it names;
    any other exception becomes a message too (no traceback reaches the page).
    """
    try:
        inputs = collect_inputs(values, enroll, fail)
        design = build_design(inputs)
        return {"inputs": inputs, "view": design_view(design, time_unit=inputs.time_unit)}
    except InputError as err:
        return {"error": str(err), "field": error_field(str(err))}
    except Exception as err:  # a bug or an unforeseen input: say so in the page
        return {"error": f"the design could not be computed ({type(err).__name__}: {err})", "field": "design"}


def _msg(field: str) -> Any:
    return ui.output_ui(f"msg_{field}")


def _grid_panel(title: str, grid: str, add: str, remove: str, field: str, extra: Any = None) -> Any:
    return ui.div(
        ui.tags.h6(title),
        extra,
        ui.output_data_frame(grid),
        ui.div(ui.input_action_button(add, "Add row", class_="btn-sm"),
               ui.input_action_button(remove, "Remove last row", class_="btn-sm"), class_="mt-1"),
        _msg(field),
    )


def page() -> Any:
    d = default_inputs()
    design_inputs = ui.div(
        _grid_panel("Enrolment (calendar periods; subjects per time unit, both arms)",
                    "enroll_grid", "enroll_add", "enroll_remove", "enroll"),
        _grid_panel("Failure and dropout (periods since randomisation; last duration inf)",
                    "fail_grid", "fail_add", "fail_remove", "fail",
                    ui.input_radio_buttons("control_as", None, {"fail_rate": "control hazard rate",
                                                                 "median": "control median"},
                                           selected="fail_rate", inline=True)),
        ui.layout_columns(
            ui.input_numeric("allocation_ratio", "Allocation (exp. per control)", d.allocation_ratio, min=0.1,
                             step=0.5),
            ui.input_select("time_unit", "Time unit", ["months", "years", "weeks", "days"], selected=d.time_unit),
        ),
        ui.tags.h6("Test"),
        ui.input_select("test", None, TESTS, selected=d.test),
        ui.panel_conditional("input.test === 'fh'", ui.layout_columns(
            ui.input_numeric("rho", "rho", d.rho, min=0, step=0.5),
            ui.input_numeric("gamma", "gamma", d.gamma, min=0, step=0.5))),
        ui.panel_conditional("input.test === 'maxcombo'", ui.input_checkbox_group(
            "combo_tests", "Tests combined", list(MAXCOMBO_CHOICES), selected=list(d.combo_tests), inline=True)),
        _msg("test"),
        ui.layout_columns(
            ui.input_numeric("alpha", "Alpha", d.alpha, min=0, max=0.5, step=0.005),
            ui.input_numeric("power", "Power", d.power, min=0, max=1, step=0.05),
            ui.input_select("sided", "Sided", {"1": "one-sided", "2": "two-sided"}, selected=str(d.sided)),
        ),
        _msg("levels"),
        ui.layout_columns(
            ui.input_numeric("final_time", "Final analysis (time)", d.final_time, min=0, step=1),
            ui.input_text("fractions", "Event fractions at the looks", ", ".join(f"{f:g}" for f in d.fractions)),
        ),
        _msg("looks"),
        ui.layout_columns(
            ui.input_select("alpha_spending", "Efficacy spending", list(ALPHA_SPENDING_CHOICES),
                            selected=d.alpha_spending),
            ui.input_select("beta_spending", "Futility spending", list(BETA_SPENDING_CHOICES),
                            selected=d.beta_spending),
        ),
        ui.input_checkbox("binding_futility", "Binding futility", d.binding_futility),
        _msg("spending"),
    )
    design_outputs = ui.div(
        _msg("design"),
        ui.output_ui("headline"),
        ui.div(ui.output_ui("looks_table"), class_="st-scroll"),
        ui.output_plot("curves", height="300px"),
    )
    simulate = ui.div(
        ui.p("Simulates the design's trials with survtrial's engine (log-rank decisions at the design's expected "
             "events, enrolment scaled to its sample size) and puts the simulated stopping probabilities beside "
             "the analytic log-rank ones at the same looks."),
        ui.layout_columns(
            ui.input_numeric("n_sims", "Trials", 1000, min=10, step=500),
            ui.input_numeric("seed", "Seed", 2026, min=0, step=1),
            ui.div(ui.input_action_button("run_sim", "Run simulation", class_="btn-primary"),
                   ui.input_action_button("cancel_sim", "Cancel")),
        ),
        ui.output_ui("sim_status"),
        ui.div(ui.output_ui("sim_table"), class_="st-scroll"),
    )
    export = ui.div(
        ui.p("The design file is what `survtrial design design.yaml` reads; the code reproduces the design with "
             "the survtrial.design API."),
        ui.download_button("download_yaml", "Download design.yaml"),
        ui.download_button("download_py", "Download design.py"),
        ui.tags.h6("design.yaml", class_="mt-3"),
        ui.output_ui("yaml_text"),
        ui.tags.h6("design.py"),
        ui.output_ui("python_text"),
    )
    return ui.page_fluid(
        ui.head_content(ui.tags.link(rel="icon", href="data:,")),  # no favicon request
        ui.tags.style(CSS),
        ui.h4("survtrial design explorer"),
        ui.navset_tab(
            ui.nav_panel("Design", ui.layout_columns(design_inputs, design_outputs, col_widths=(4, 8))),
            ui.nav_panel("Check by simulation", simulate),
            ui.nav_panel("Export", export),
            id="tabs",
        ),
        title="survtrial design explorer",
    )


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
                converted.append(f"{math.log(2) / x:.6g}" if x > 0 else str(v))
            except (TypeError, ValueError):
                converted.append(str(v))
        frame = frame.rename(columns={old: new})
        frame[new] = converted
        fail_rows.set(frame)

    def values() -> dict[str, Any]:
        names = ("control_as", "allocation_ratio", "test", "rho", "gamma", "combo_tests", "alpha", "power", "sided",
                 "final_time", "fractions", "alpha_spending", "beta_spending", "binding_futility", "time_unit")
        return {n: input[n]() for n in names}

    @reactive.calc
    def result() -> dict[str, Any]:
        enroll_rows()
        fail_rows()
        try:
            enroll, fail = enroll_grid.data_view(), fail_grid.data_view()
        except Exception:
            enroll, fail = enroll_rows(), fail_rows()
        return compute(values(), enroll, fail)

    def message(field: str):
        def render_message():
            r = result()
            if "error" in r and r["field"] == field:
                return ui.div(r["error"], class_="st-msg", id=f"msg-{field}", role="alert")
            return None
        return render_message

    for f in ("enroll", "fail", "test", "levels", "looks", "spending", "design"):
        output(id=f"msg_{f}")(render.ui(message(f)))

    @render.ui
    def headline():
        r = result()
        if "error" in r:
            return ui.p("Fix the input marked in red to see the design.", class_="text-muted", id="design-stale")
        rows = [ui.tags.tr(ui.tags.td(k), ui.tags.td(v, **{"data-key": k})) for k, v in r["view"].headline.items()]
        return ui.tags.table(*rows, class_="st-headline", id="headline")

    @render.ui
    def looks_table():
        r = result()
        if "error" in r:
            return None
        html = r["view"].looks.to_html(index=False, border=0, classes="table table-sm", table_id="looks-table")
        return ui.HTML(html)

    @render.plot(alt="Expected events and average hazard ratio over calendar time")
    def curves():
        r = result()
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
            job.set(None)
            ui.notification_show("Fix the design first: " + r["error"], type="error")
            return
        try:
            n = int(_number(input.n_sims(), "trials"))
            seed = int(_number(input.seed(), "seed"))
            job.set(SimulationJob(r["view"].design, n, seed, r["inputs"].time_unit).start())
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
        current = job()
        if current is None:
            return ("idle", 0, 0)
        if current.state == "running":
            reactive.invalidate_later(0.3)
        return (current.state, current.done, current.total)

    @render.ui
    def sim_status():
        state, done, total = job_state()
        if state == "idle":
            return ui.p("No simulation run yet.", id="sim-state", **{"data-state": "idle"})
        text = {"running": f"Running: {done:,} of {total:,} trials",
                "done": f"Done: {total:,} trials", "cancelled": f"Cancelled after {done:,} of {total:,} trials",
                "error": "Failed: " + (job().error or "")}[state]
        return ui.div(ui.tags.progress(value=str(done), max=str(max(total, 1)), id="sim-progress"),
                      ui.p(text, id="sim-state", **{"data-state": state}))

    @render.ui
    def sim_table():
        state, _, _ = job_state()
        current = job()
        if state != "done" or current is None or current.result is None:
            return None
        res = current.result
        t = res.table
        shown = pd.DataFrame({
            "Look": t["look"].astype(str),
            "Events": t["events"].astype(str),
            "Efficacy stop (analytic)": [fmt(x, 4) for x in t["efficacy_analytic"]],
            "Efficacy stop (simulated)": [fmt(x, 4) for x in t["efficacy_simulated"]],
            "MC SE": [fmt(x, 4) for x in t["efficacy_mc_se"]],
            "Futility stop (analytic)": [fmt(x, 4) for x in t["futility_analytic"]],
            "Futility stop (simulated)": [fmt(x, 4) for x in t["futility_simulated"]],
            "MC SE ": [fmt(x, 4) for x in t["futility_mc_se"]],
        })
        analytic, simulated, se = res.power
        return ui.div(
            ui.p(f"Power: analytic (log-rank at these looks) {fmt(analytic, 4)}, simulated {fmt(simulated, 4)} "
                 f"(MC SE {fmt(se, 4)}, {res.n_sims:,} trials)", id="sim-power"),
            ui.HTML(shown.to_html(index=False, border=0, classes="table table-sm", table_id="sim-table")),
        )

    # --- export --------------------------------------------------------------------------------
    @reactive.calc
    def exported() -> tuple[str, str] | None:
        r = result()
        if "error" in r:
            return None
        return design_yaml(r["inputs"]), design_python(r["inputs"])

    @render.ui
    def yaml_text():
        e = exported()
        return ui.pre(e[0], class_="st-code", id="yaml-text") if e else ui.p("Fix the design first.")

    @render.ui
    def python_text():
        e = exported()
        return ui.pre(e[1], class_="st-code", id="python-text") if e else None

    @render.download(filename="design.yaml")
    def download_yaml():
        e = exported()
        yield e[0] if e else "# fix the design first\n"

    @render.download(filename="design.py")
    def download_py():
        e = exported()
        yield e[1] if e else "# fix the design first\n"


def make_app() -> App:
    """The Shiny application (serve with uvicorn; ``survtrial app`` does)."""
    return App(page(), server)
