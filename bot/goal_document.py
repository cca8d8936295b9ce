"""The 项目支出绩效目标申报表 as a Word file: templates/documents/goal_declaration.docx filled
with docxtpl from a project's goal sheet (workflow.projects.goal_sheet)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from docxtpl import DocxTemplate

from bot.conversations.form_text import catalog, date, money
from bot.render import TEMPLATES
from storage.models import Indicator
from workflow.forms import decimal_text
from workflow.projects import GoalSheet

TEMPLATE = TEMPLATES / "documents" / "goal_declaration.docx"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ATTRIBUTES = {"new": "新增", "continuing": "延续"}
OPINION_STAGES = {
    "department": ("head", "supervisor", "lead"),
    "business": ("business",),
    "performance": ("performance", "expert"),
    "budget": ("budget", "issuance"),
}


def _money(value: Decimal | None) -> str:
    return "" if value is None else money(value)


def _date(value: dt.date | None) -> str:
    return "" if value is None else date(value)


def target(indicator: Indicator) -> str:
    """指标值 as the form writes it: ≥3000人次, or the grade of a qualitative indicator."""
    if indicator.sign == "定性":
        return f"定性：{indicator.target_text or ''}"
    value = "" if indicator.target_value is None else decimal_text(indicator.target_value)
    return f"{indicator.sign}{value}{indicator.unit or ''}"


def indicator_rows(indicators: tuple[Indicator, ...]) -> list[dict[str, str]]:
    """Rows of the indicator table; equal 一级 (and 二级 within it) merge downwards."""
    rows = []
    previous: tuple[str, str] | None = None
    for indicator in indicators:
        same1 = previous is not None and previous[0] == indicator.level1
        same2 = same1 and previous is not None and previous[1] == indicator.level2
        rows.append(
            {
                "level1_text": "" if same1 else f"{indicator.level1}指标",
                "level2_text": "" if same2 else f"{indicator.level2}指标",
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
    decisions = {
        "approve": "同意",
        "return": "退回",
        "expert_agree": "同意",
        "expert_agree_with_changes": "修改后同意",
        "expert_disagree": "不同意",
    }
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
    period = ""
    if sheet.start_date or sheet.end_date:
        period = f"{_date(sheet.start_date)} 至 {_date(sheet.end_date)}"
    return {
        "year": sheet.year,
        "name": sheet.name,
        "department": sheet.department,
        "organisation": sheet.organisation,
        "attribute": ATTRIBUTES.get(sheet.attribute, sheet.attribute),
        "period": period,
        "person_in_charge": sheet.person_in_charge or "",
        "phone": sheet.phone or "",
        "is_key": "是" if sheet.is_key else "否",
        "codepartments": "、".join(sheet.codepartments) if sheet.is_shared else "无",
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
        "status": catalog("goal_declaration")["project_status"].get(sheet.status, sheet.status),
    }


def render_goal_document(sheet: GoalSheet, *, today: dt.date) -> bytes:
    """The filled .docx."""
    document = DocxTemplate(TEMPLATE)
    document.render(document_context(sheet, today=today), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def file_name(sheet: GoalSheet) -> str:
    """`2026年度 职业技能提升培训 绩效目标申报表.docx` (characters files cannot hold removed)."""
    safe = "".join(ch for ch in sheet.name if ch not in '\\/:*?"<>|').strip() or "项目"
    return f"{sheet.year}年度 {safe} 绩效目标申报表.docx"
