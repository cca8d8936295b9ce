"""The 项目支出绩效目标申报表 as a Word file: templates/documents/goal_declaration.docx filled
with docxtpl from a project's goal sheet (workflow.goals.projects.goal_sheet)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from bot.conversations.form_text import catalog, common, date, money
from bot.ui import vocabulary
from bot.ui.render import TEMPLATES
from storage.models import Indicator
from storage.models.enums import IndicatorSign
from workflow.forms.spec import decimal_text
from workflow.goals.projects import GoalSheet

TEMPLATE = TEMPLATES / "documents" / "goal_declaration.docx"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OPINION_STAGES = {
    "department": ("head", "supervisor", "lead"),
    "business": ("business",),
    "performance": ("performance", "expert"),
    "budget": ("budget", "issuance"),
}


def words() -> dict[str, Any]:
    """The document's words (templates/forms/goal_declaration.toml, [document])."""
    return catalog("goal_declaration")["document"]


def _money(value: Decimal | None) -> str:
    return "" if value is None else money(value)


def _date(value: dt.date | None) -> str:
    return "" if value is None else date(value)


def target(indicator: Indicator) -> str:
    """指标值 as the form writes it: ≥3000人次, or the grade of a qualitative indicator."""
    if indicator.sign == IndicatorSign.qualitative.value:
        return words()["qualitative"].format(grade=indicator.target_text or "")
    value = "" if indicator.target_value is None else decimal_text(indicator.target_value)
    return f"{indicator.sign}{value}{indicator.unit or ''}"


def indicator_rows(indicators: tuple[Indicator, ...]) -> list[dict[str, str]]:
    """Rows of the indicator table; equal 一级 (and 二级 within it) merge downwards."""
    rows = []
    previous: tuple[str, str] | None = None
    level = words()["level"]
    for indicator in indicators:
        same1 = previous is not None and previous[0] == indicator.level1
        same2 = same1 and previous is not None and previous[1] == indicator.level2
        rows.append(
            {
                "level1_text": "" if same1 else level.format(name=indicator.level1),
                "level2_text": "" if same2 else level.format(name=indicator.level2),
                "merge1": "continue" if same1 else "restart",
                "merge2": "continue" if same2 else "restart",
                "name": indicator.name,
                "target": target(indicator),
                "weight": "" if indicator.weight is None else decimal_text(indicator.weight),
            }
        )
        previous = (indicator.level1, indicator.level2)
    return rows


def _opinions(sheet: GoalSheet) -> dict[str, str]:
    """Each review block: the opinions given at its stages, newest last."""
    decisions = vocabulary.labels("opinion")
    blocks = {}
    for block, stages in OPINION_STAGES.items():
        lines = []
        for review in sheet.reviews:
            if review["stage"] in stages and review["decision"] in decisions:
                comment = f"：{review['comment']}" if review["comment"] else ""
                lines.append(f"{decisions[review['decision']]}{comment}")
        blocks[block] = "\n".join(lines)
    return blocks


def document_context(sheet: GoalSheet, *, today: dt.date) -> dict[str, Any]:
    """Everything the template shows, as text."""
    funds = sheet.funds or {}
    texts, values = words(), common()["values"]
    period = ""
    if sheet.start_date or sheet.end_date:
        period = texts["period"].format(start=_date(sheet.start_date), end=_date(sheet.end_date))
    return {
        "year": sheet.year,
        "name": sheet.name,
        "department": sheet.department,
        "organisation": sheet.organisation,
        "attribute": vocabulary.label(sheet.attribute, "project_attribute"),
        "period": period,
        "person_in_charge": sheet.person_in_charge or "",
        "phone": sheet.phone or "",
        "is_key": values["true"] if sheet.is_key else values["false"],
        "codepartments": "、".join(sheet.codepartments)
        if sheet.is_shared
        else texts["no_codepartments"],
        "funds": {
            key: _money(funds.get(key))
            for key in ("total", "fiscal", "carryover", "other", "annual")
        },
        "overall_goal": sheet.overall_goal or "",
        "annual_goal": sheet.annual_goal or "",
        "basis": sheet.basis or "",
        "schedule": [
            {
                "number": number,
                "content": row.content,
                "start": _date(row.start_date),
                "end": _date(row.end_date),
            }
            for number, row in enumerate(sheet.schedule, start=1)
        ],
        "indicators": indicator_rows(sheet.indicators),
        "opinions": _opinions(sheet),
        "printed": _date(today),
        "filled_by": sheet.filled_by or "",
        "filled_by_phone": sheet.filled_by_phone or "",
        "submitted_on": _date(sheet.submitted_on) if sheet.submitted_on else "",
        "status": vocabulary.label(sheet.status, "project_status"),
    }


def render_goal_document(sheet: GoalSheet, *, today: dt.date) -> bytes:
    """The filled .docx."""
    from docxtpl import DocxTemplate  # imported when a file is made: start-up stays light

    document = DocxTemplate(TEMPLATE)
    document.render(document_context(sheet, today=today), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def file_name(sheet: GoalSheet) -> str:
    """`2026年度 职业技能提升培训 绩效目标申报表.docx` (characters files cannot hold removed)."""
    texts = words()
    safe = "".join(ch for ch in sheet.name if ch not in '\\/:*?"<>|').strip() or texts["unnamed"]
    return texts["file_name"].format(year=sheet.year, name=safe)
