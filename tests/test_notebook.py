"""The quickstart notebook (the README's entry points) runs and shows each result as an HTML table."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "notebooks" / "quickstart.ipynb"


def test_quickstart_notebook_shows_results_as_tables():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell failed: {cell.source!r}: {errors[0]['ename']}: {errors[0]['evalue']}"
    shown = [c for c in code[1:]]  # the first cell only imports and reads data
    for cell in shown:
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(results) == 1, f"cell shows no result: {cell.source!r}"
        page = results[0]["data"].get("text/html", "")
        assert "<table" in page, f"cell's result is not an HTML table: {cell.source!r}"
    # the numbers shown are the results' own (R survdiff for Gehan: chi-square 16.79; observed 9 and 21)
    logrank = next(c for c in shown if "logrank_test" in c.source).outputs[0]["data"]["text/html"]
    assert "<td>9</td>" in logrank and "<td>21</td>" in logrank and "16.7929" in logrank
