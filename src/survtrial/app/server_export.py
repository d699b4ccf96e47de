"""The design explorer's Export panel (Shiny outputs): the design file, the design report (HTML, RTF), Python code."""

from __future__ import annotations

from typing import Any

from shiny import reactive, render, ui

from survtrial.app.export import design_python, design_result, design_yaml, message_file, report_html, report_rtf
from survtrial.app.panel import not_ready

__all__ = ["export_outputs"]

# Shiny >= 1.8 names the download renderer download_button (render.download is deprecated there).
_download = getattr(render, "download_button", None) or render.download


def export_outputs(result: Any, job: Any) -> None:
    """Register the Export panel's outputs in the current session: ``result()`` is the design panel's current
    result (or PENDING), ``job()`` the last check by simulation (a SimulationJob or None)."""

    @reactive.calc
    def exported() -> tuple[str, str] | None:
        r = result()
        if "error" in r:
            return None
        return design_yaml(r["inputs"]), design_python(r["inputs"])

    @render.ui
    def yaml_text():
        e = exported()
        return ui.pre(e[0], class_="st-code", id="yaml-text") if e else ui.p(not_ready(result()))

    @render.ui
    def python_text():
        e = exported()
        return ui.pre(e[1], class_="st-code", id="python-text") if e else None

    @_download(filename="design.yaml")
    def download_yaml():
        e = exported()
        yield e[0] if e else "# fix the design first\n"

    @_download(filename="design.py")
    def download_py():
        e = exported()
        yield e[1] if e else "# fix the design first\n"

    def report_result() -> Any:
        """The design file's result of the current design (its check by simulation included when the last
        completed check is of these inputs), or None while the design has an error."""
        r = result()
        if "error" in r:
            return None
        current = job()
        check = None
        if current is not None and current.state == "done" and current.inputs == r["inputs"]:
            check = current.result
        return r["inputs"], r["view"].design, check

    async def report_bytes(kind: str) -> bytes:
        """The whole report file, built in a worker thread (the page stays responsive) before a byte is sent."""
        import asyncio

        args = report_result()
        if args is None:  # a whole, valid file that says why there is no report
            return message_file(kind, not_ready(result()))
        build = report_html if kind == "html" else report_rtf
        return await asyncio.to_thread(lambda: build(design_result(*args)))

    @_download(filename="report.html", media_type="text/html")
    async def download_report_html():
        yield await report_bytes("html")

    @_download(filename="report.rtf", media_type="application/rtf")
    async def download_report_rtf():
        yield await report_bytes("rtf")
