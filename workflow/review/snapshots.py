"""What an item said at each submission, and what changed since a reviewer last approved.

Every (re)submission keeps a snapshot of the item (`review_snapshot`, one per `submit`
step): the kind's own columns and its detail rows (a goal's indicators and schedule, a
report's indicator rows). A reviewer's card compares the version they last approved with
the one in front of them, field by field and row by row (old → new), so an unchanged part
costs one press. Numbers are kept as exact decimal strings and compared as Decimals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Indicator, ReviewDecision, ReviewSnapshot, ReviewStep, ScheduleItem

# Columns that say where the item is, not what it says.
BOOKKEEPING = frozenset(
    {
        "id",
        "project_id",
        "goal_version_id",
        "number",
        "kind",
        "status",
        "stage",
        "stage_entered_at",
        "version",
        "submitted_by_id",
        "submitted_at",
        "issued_at",
        "created_at",
        "updated_at",
        "reviewed_by_id",
        "reviewed_at",
        "review_comment",
        "finance_check",
        "total_score",
        "grade",
        "ad_hoc",
        "due_date",
        "period_end",
        "reason",
    }
)
ROW_BOOKKEEPING = frozenset(
    {"id", "position", "source_indicator_id", "indicator_id", "rule", "score", "weight"}
)


def cell(value: Any) -> Any:
    """A value as JSON keeps it exactly: a Decimal as {"decimal": "50.00"}."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _columns(row: Any, skip: frozenset[str], foreign: str | None = None) -> dict[str, Any]:
    return {
        column.name: cell(getattr(row, column.name))
        for column in row.__table__.columns
        if column.name not in skip and column.name != foreign
    }


async def _indicator_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Indicator.id, Indicator.name).where(Indicator.id.in_(ids)))
    return {indicator_id: name for indicator_id, name in rows}


async def _detail_rows(session: AsyncSession, item: Any) -> dict[str, dict[str, Any]]:
    """The item's detail rows by a stable label: indicators by name, schedule by order."""
    table = item.kind.table.__tablename__
    rows: dict[str, dict[str, Any]] = {}
    if table == "goal_version":
        indicators = await session.scalars(
            select(Indicator)
            .where(Indicator.goal_version_id == item.id)
            .order_by(Indicator.position, Indicator.id)
        )
        for indicator in indicators:
            label = f"{indicator.level1}/{indicator.level2}/{indicator.name}"
            rows[label] = _columns(indicator, ROW_BOOKKEEPING | {"level1", "level2", "name"})
            rows[label].pop("goal_version_id", None)
        schedule = await session.scalars(
            select(ScheduleItem)
            .where(ScheduleItem.goal_version_id == item.id)
            .order_by(ScheduleItem.position, ScheduleItem.id)
        )
        for number, entry in enumerate(schedule, start=1):
            rows[f"#schedule{number}"] = _columns(entry, ROW_BOOKKEEPING, "goal_version_id")
        return rows
    for child, foreign in _CHILDREN.get(table, ()):
        found = list(await session.scalars(select(child).where(getattr(child, foreign) == item.id)))
        names = await _indicator_names(
            session, {r.indicator_id for r in found if getattr(r, "indicator_id", None)}
        )
        for entry in found:
            indicator_id = getattr(entry, "indicator_id", None)
            label = names.get(indicator_id, "") if indicator_id else "#execution"
            rows[label or f"#row{entry.id}"] = _columns(entry, ROW_BOOKKEEPING, foreign)
    return rows


def _children() -> dict[str, tuple[tuple[Any, str], ...]]:
    from storage.models import EvaluationScore, TrackingProgress

    return {
        "tracking_report": ((TrackingProgress, "tracking_report_id"),),
        "self_evaluation": ((EvaluationScore, "self_evaluation_id"),),
    }


_CHILDREN = _children()


async def snapshot_of(session: AsyncSession, item: Any) -> dict[str, Any]:
    """What the item says now: its fields and its detail rows."""
    return {
        "fields": _columns(item.row, BOOKKEEPING),
        "rows": await _detail_rows(session, item),
    }


async def keep(session: AsyncSession, item: Any, step: ReviewStep) -> None:
    """Keep the item as submitted with its `submit` step (flushed to have an id)."""
    await session.flush()
    assert step.id is not None
    session.add(
        ReviewSnapshot(
            item_kind=item.kind.name,
            item_id=item.id,
            step_id=step.id,
            data=await snapshot_of(session, item),
            created_at=step.created_at,
        )
    )


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, dict) and isinstance(new, dict):
        return Decimal(old["decimal"]) == Decimal(new["decimal"])
    return old == new


def shown(value: Any) -> str:
    """A kept value for people: decimals without trailing zeros, "" as it is."""
    if isinstance(value, dict):
        return format(Decimal(value["decimal"]).normalize(), "f")
    return str(value)


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """Every field and row cell that differs, old → new, in the new snapshot's order."""
    changes: list[dict[str, str]] = []
    old_fields, new_fields = old.get("fields", {}), new.get("fields", {})
    for name in [*new_fields, *(n for n in old_fields if n not in new_fields)]:
        before, after = old_fields.get(name, ""), new_fields.get(name, "")
        if not _same(before, after):
            changes.append({"row": "", "field": name, "old": shown(before), "new": shown(after)})
    old_rows, new_rows = old.get("rows", {}), new.get("rows", {})
    for label in [*new_rows, *(r for r in old_rows if r not in new_rows)]:
        if label not in old_rows:
            changes.append({"row": label, "field": "#added", "old": "", "new": ""})
            continue
        if label not in new_rows:
            changes.append({"row": label, "field": "#removed", "old": "", "new": ""})
            continue
        for name, after in new_rows[label].items():
            before = old_rows[label].get(name, "")
            if not _same(before, after):
                changes.append(
                    {"row": label, "field": name, "old": shown(before), "new": shown(after)}
                )
    return changes


DECIDED = (ReviewDecision.approve.value, ReviewDecision.return_.value)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The snapshot a reviewer decided on last, and when and whether it was them."""

    data: dict[str, Any]
    approved_at: dt.datetime
    yours: bool  # decided by this reviewer (else by a colleague at the same stage)
    decision: str  # approve or return


async def _snapshot_before(session: AsyncSession, kind: str, item_id: int, step_id: int) -> Any:
    return await session.scalar(
        select(ReviewSnapshot.data)
        .where(
            ReviewSnapshot.item_kind == kind,
            ReviewSnapshot.item_id == item_id,
            ReviewSnapshot.step_id < step_id,
        )
        .order_by(ReviewSnapshot.step_id.desc())
        .limit(1)
    )


async def baseline(
    session: AsyncSession, item: Any, *, person_id: int, stage: str
) -> Baseline | None:
    """The version `person` last decided on (approved, or returned), else the last one
    decided at `stage`; None when nobody decided there before."""
    approvals = (
        select(ReviewStep)
        .where(
            ReviewStep.item_kind == item.kind.name,
            ReviewStep.item_id == item.id,
            ReviewStep.decision.in_(DECIDED),
        )
        .order_by(ReviewStep.id.desc())
        .limit(1)
    )
    step = await session.scalar(approvals.where(ReviewStep.actor_id == person_id))
    yours = step is not None
    if step is None:
        step = await session.scalar(approvals.where(ReviewStep.stage == stage))
    if step is None or step.id is None:
        return None
    data = await _snapshot_before(session, item.kind.name, item.id, step.id)
    if data is None:  # approved before snapshots were kept
        return None
    return Baseline(data, step.created_at, yours, step.decision)


async def current(session: AsyncSession, item: Any) -> dict[str, Any] | None:
    """The snapshot of the submission in review now."""
    return await session.scalar(
        select(ReviewSnapshot.data)
        .where(ReviewSnapshot.item_kind == item.kind.name, ReviewSnapshot.item_id == item.id)
        .order_by(ReviewSnapshot.step_id.desc())
        .limit(1)
    )
