"""Reading back the RTF and Word copies of an HTML report: every table's cells, in order; two runs' reports
compared without their provenance (test helpers)."""

from __future__ import annotations

import re

from test_tlf import docx_tables, html_tables, rtf_cells

__all__ = ["assert_rtf_holds_the_tables", "docx_tables", "html_tables", "rtf_cells", "without_provenance"]


def assert_rtf_holds_the_tables(rtf_text: str, tables: list[list[list[str]]]) -> None:
    """Each table's cells (header and body, row by row) appear consecutively in the RTF, tables in order."""
    cells = rtf_cells(rtf_text)
    pos = 0
    for table in tables:
        flat = [c for row in table for c in row]
        for k in range(pos, len(cells) - len(flat) + 1):
            if cells[k:k + len(flat)] == flat:
                pos = k + len(flat)
                break
        else:
            raise AssertionError(f"table {table[0]} not found in the RTF after cell {pos}")


def without_provenance(page: str) -> str:
    """The report without what differs between two runs of the same design: the time it was generated and the
    provenance block (command line, design file name)."""
    page = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "TIME", page)
    return re.sub(r'<section class="report-section page-break" id="provenance">.*?</section>', "", page, flags=re.S)
