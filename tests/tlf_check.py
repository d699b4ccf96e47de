"""Reading back the RTF and Word copies of an HTML report: every table's cells, in order (test helper)."""

from __future__ import annotations

from test_tlf import docx_tables, html_tables, rtf_cells

__all__ = ["assert_rtf_holds_the_tables", "docx_tables", "html_tables", "rtf_cells"]


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
