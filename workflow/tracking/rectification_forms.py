"""The short forms of rectification: 提出整改建议, 书面回复 and 要求重新整改 (one text each).

Each press checks who and which state first, then opens a one-question draft that
remembers the item and the row version it was opened for; the submit in
workflow.tracking.rectification applies it exactly once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import FundActionKind, Indicator, TrackingProgress
from workflow.core.access import Actor
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.spec import (
    META,
    Choice,
    FieldSpec,
    FormSpec,
    Kind,
    Problem,
    decimal_text,
)
from workflow.review import chain as review
from workflow.review.chain import ReviewResult
from workflow.review.forms import LONG_TEXT, meta_context
from workflow.tracking import rectification
from workflow.tracking.review_kind import TRACKING

SUGGESTION_FORM = "rectification_suggestion"
REPLY_FORM = "rectification_reply"
AGAIN_FORM = "rectification_again"
CONTENT = FieldSpec("content", Kind.text, LONG_TEXT)
# The fund action the performance section proposes with its suggestion (optional): the
# budget section decides on it (DOMAIN §2.6: 暂缓、停止或追回).
PROPOSAL = FieldSpec(
    "fund_proposal",
    Kind.choice,
    choices=tuple(
        Choice(kind.value)
        for kind in (FundActionKind.suspend, FundActionKind.stop, FundActionKind.recover)
    ),
    optional=True,
)
# PDF, Word or photos of what was done, with the written reply (optional, a few at most).
FILES = FieldSpec("files", Kind.files, optional=True, max_count=5)


async def _suggest(session: AsyncSession, **kwargs: Any) -> Any:
    return await rectification.submit_suggestion(session, **_keep(kwargs))


async def _reply(session: AsyncSession, **kwargs: Any) -> Any:
    return await rectification.submit_reply(session, **_keep(kwargs))


async def _again(session: AsyncSession, **kwargs: Any) -> Any:
    return await rectification.submit_again(session, **_keep(kwargs))


def _keep(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: kwargs[key] for key in ("person_id", "draft", "answers", "now")}


SUGGESTION = FormSpec(
    SUGGESTION_FORM, entries=(CONTENT, PROPOSAL), load_context=meta_context, submit=_suggest
)
REPLY = FormSpec(REPLY_FORM, entries=(CONTENT, FILES), load_context=meta_context, submit=_reply)
AGAIN = FormSpec(AGAIN_FORM, entries=(CONTENT,), load_context=meta_context, submit=_again)


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


async def _deviations(session: AsyncSession, report_id: int) -> list[dict[str, Any]]:
    """The report's indicators off track (yellow or red, or not 确定能), quoted in the
    suggestion's prompt with what the department reported."""
    rows = await session.execute(
        select(Indicator.name, TrackingProgress.likelihood, TrackingProgress.actual_value)
        .join(Indicator, Indicator.id == TrackingProgress.indicator_id)
        .where(
            TrackingProgress.tracking_report_id == report_id,
            TrackingProgress.likelihood.is_not(None),
            TrackingProgress.likelihood != "certain",
        )
        .order_by(Indicator.position, Indicator.id)
    )
    return [
        {"name": name, "likelihood": likelihood, "actual": _plain(actual)}
        for name, likelihood, actual in rows
    ]


async def _open(
    db: Database,
    actor: Actor,
    form: str,
    subject: tuple[str, int],
    meta: dict[str, Any],
    now: dt.datetime,
) -> DraftResult:
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=form,
        now=now,
        subject_type=subject[0],
        subject_id=subject[1],
        initial={META: meta},
    )


async def start_suggestion(
    db: Database, *, actor: Actor, report_id: int, version: int, now: dt.datetime
) -> ReviewResult | DraftResult:
    """提出整改建议 pressed: the performance section may decide on the report now?"""
    async with db.transaction() as session:
        check = await review.may_decide_on(
            session, actor=actor, kind=TRACKING, item_id=report_id, expected_version=version
        )
        off_track = await _deviations(session, report_id) if check.ok else []
    if not check.ok:
        return check
    meta = {"version": version, "project": check.project_name, "off_track": off_track}
    return await _open(db, actor, SUGGESTION_FORM, (TRACKING, report_id), meta, now)


async def start_reply(
    db: Database, *, actor: Actor, request_id: int, now: dt.datetime
) -> DraftResult | Problem:
    """书面回复 pressed: the department answers an open request."""
    meta = await rectification.reply_context(db, actor=actor, request_id=request_id)
    if isinstance(meta, Problem):
        return meta
    return await _open(db, actor, REPLY_FORM, ("rectification_request", request_id), meta, now)


async def start_again(
    db: Database, *, actor: Actor, request_id: int, version: int, now: dt.datetime
) -> DraftResult | Problem:
    """要求重新整改 pressed: the performance section says what is still missing."""
    meta = await rectification.again_context(
        db, actor=actor, request_id=request_id, version=version
    )
    if isinstance(meta, Problem):
        return meta
    return await _open(db, actor, AGAIN_FORM, ("rectification_request", request_id), meta, now)
