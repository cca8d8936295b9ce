"""Finance's tracking summary of a year as Excel: one row per project, red first.

Written with openpyxl's write-only mode (constant memory for a city's thousands of
projects); the header row is frozen and filtered. Labels from templates/documents/tracking.toml.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.documents.tracking_sheet import labels
from bot.ui import vocabulary
from workflow.tracking.documents import SummaryRow


def summary_file_name(year: int) -> str:
    return labels()["summary_file"].format(year=year)


def tracking_summary_xlsx(rows: Sequence[SummaryRow], *, year: int) -> bytes:
    """The summary as a .xlsx file."""
    words = labels()
    from openpyxl import Workbook  # imported when a file is made: start-up stays light

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(words["summary_sheet"])
    headers = words["summary_headers"]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{chr(ord('A') + len(headers) - 1)}{len(rows) + 1}"
    sheet.append(headers)
    for row in rows:
        sheet.append(
            [
                row.project,
                row.department,
                row.organisation,
                vocabulary.label(row.status, "report_status") if row.status else "",
                row.rate,  # a Decimal: Excel gets a number, exact to two places
                vocabulary.label(row.light, "light") if row.light else "",
                vocabulary.label(row.worst_likelihood, "likelihood")
                if row.worst_likelihood
                else "",
                vocabulary.label(row.rectification, "rectification_status")
                if row.rectification
                else "",
                vocabulary.label(row.fund_action, "fund_action") if row.fund_action else "",
                row.fund_amount or "",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
