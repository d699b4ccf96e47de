"""The design explorer's page layout (Shiny UI): inputs on the left, outputs updating on the right, tabs."""

from __future__ import annotations

from typing import Any

from shiny import ui

from survtrial.app import compare as comparison
from survtrial.app.inputs import (
    ALPHA_SPENDING_CHOICES,
    BETA_SPENDING_CHOICES,
    MAXCOMBO_CHOICES,
    TESTS,
    default_inputs,
)
from survtrial.app.twin import delay_of, twin_names

__all__ = ["CSS", "page"]

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
    twin_choices = twin_names()  # the packaged twins with a delayed effect (data, not code)
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
        ui.div(ui.input_action_button("compare_add", f"Add to comparison (up to {comparison.MAX_DESIGNS})",
                                      class_="btn-sm"), class_="mb-2"),
        ui.output_ui("design_status"),
        ui.output_ui("headline"),
        ui.div(ui.output_ui("looks_table"), class_="st-scroll"),
        ui.output_plot("curves", height="300px"),
    )
    simulate = ui.div(
        ui.p("Simulates the design's trial with survtrial's engine, under the design's alternative (H1) and "
             "under H0, as `survtrial design design.yaml --check-by-simulation N --seed S` does: whole subjects "
             "and events (the design's rounded up), the design's own test (log-rank, FH or MaxCombo) and bounds "
             "applied look by look, the simulated crossing probabilities beside the analytic ones for that trial."),
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
        ui.p("The design file is what `survtrial design design.yaml` reads; the report is the one "
             "`survtrial design design.yaml --out DIR --format rtf` writes (report.html, self-contained, and its "
             "RTF copy), with the check by simulation when one has been run for this design; the code reproduces "
             "the design with the survtrial.design API."),
        ui.download_button("download_yaml", "Download design.yaml"),
        ui.download_button("download_report_html", "Download report.html"),
        ui.download_button("download_report_rtf", "Download report.rtf"),
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
            ui.nav_panel("Compare", ui.div(
                ui.p("Designs added from the Design panel, side by side; the curves are the probability of "
                     "stopping for efficacy by calendar time under each design's alternative."),
                ui.input_action_button("compare_clear", "Clear the comparison", class_="btn-sm"),
                ui.output_ui("compare_msg"),
                ui.div(ui.output_ui("compare_table"), class_="st-scroll"),
                ui.output_plot("compare_curves", height="300px"))),
            ui.nav_panel("Twin", ui.div(
                ui.p("A packaged twin with its treatment delay changed: the arms' event-free survival, and the "
                     "probability of stopping at each look of its interim plan, by simulation."),
                ui.layout_columns(
                    ui.input_select("twin", "Twin", twin_choices, selected=twin_choices[0]),
                    ui.input_numeric("twin_delay", "Effect starts after (years)", delay_of(twin_choices[0]), min=0.05,
                                     step=0.25),
                    ui.input_numeric("twin_sims", "Trials", 500, min=10, step=500),
                    ui.div(ui.input_action_button("twin_run", "Simulate the looks", class_="btn-primary"),
                           ui.input_action_button("twin_cancel", "Cancel")),
                ),
                ui.output_ui("twin_msg"),
                ui.output_plot("twin_curves", height="300px"),
                ui.output_ui("twin_status"),
                ui.div(ui.output_ui("twin_table"), class_="st-scroll"))),
            ui.nav_panel("Export", export),
            id="tabs",
        ),
        title="survtrial design explorer",
    )


