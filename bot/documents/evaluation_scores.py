"""A department's project scores of a year as Excel: one row per project and scored row.

The 预算执行率 row first, then each indicator, with the project's total and grade on every
row so that the filter keeps them; header frozen and filtered. Labels from
templates/documents/evaluation.toml ([scores]).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.documents.evaluation_sheet import deviation_text, labels, safe_name
from bot.ui import vocabulary
from workflow.evaluation.report import ScoreRow
from workflow.evaluation.scoring import shown


def scores_file_name(department: str, year: int) -> str:
    return str(labels()["scores"]["file"]).format(year=year, department=safe_name(department))


def evaluation_scores_xlsx(rows: Sequence[ScoreRow]) -> bytes:
    """The scores as a .xlsx file (numbers as numbers, shown to two places)."""
    words = labels()["scores"]
    from openpyxl import Workbook  # imported when a file is made: start-up stays light
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(words["sheet"])
    headers = words["headers"]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    sheet.append(headers)
    for row in rows:
        line = row.line
        sheet.append(
            [
                row.project,
                row.organisation,
                vocabulary.label(row.status, "report_status"),
                line.level1,
                line.level2,
                line.name,
                line.target,
                line.actual or "",
                line.weight,
                None if line.score is None or not line.applicable else shown(line.score),
                words["applicable"] if line.applicable else labels()["sheet"]["not_applicable"],
                deviation_text(line.deviation_reason, line.measures),
                None if row.total is None else shown(row.total),
                vocabulary.label(row.grade, "grade") if row.grade else "",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
