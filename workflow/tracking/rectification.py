"""Rectification after tracking (整改建议 → 书面回复 → 认可 or 重新整改), DOMAIN §2.6.

The performance section, deciding on a tracking report at its stage, may approve it with a
rectification suggestion instead of a plain 通过: the report is accepted (the machine's
approve, the suggestion as its comment) and a rectification request is issued to the
department in the same transaction, due in 7 working days (rule `rectification_reply`).
The department answers in writing; the performance section accepts the answer or asks
again (a new round with a new due date). Every step is one conditional update on the
request's row version, so a double press or a stale draft changes nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    FormDraft,
    FundActionKind,
    OutboxMessage,
    Person,
    Project,
    RectificationReply,
    RectificationRequest,
    RectificationSource,
    RectificationStatus,
    ReviewDecision,
    Role,
    RoleAssignment,
    TrackingReport,
)
from storage.types import utcnow
from workflow.calendar.rules import RECTIFICATION_REPLY, load_rules
from workflow.calendar.workdays import load_calendar, years_around
from workflow.core import access, audit
from workflow.core.access import AccessDenied, Action, Actor
from workflow.core.clock import local_day
from workflow.forms import attachments
from workflow.forms.spec import META, Answers, Problem, SubmitRefused
from workflow.notify.edits import queue_edit
from workflow.notify.queue import queue_for_people
from workflow.people.persons import load_actor
from workflow.review import chain as review
from workflow.review.chain import ReviewResult
from workflow.review.notices import money_text
from workflow.tracking import funds
from workflow.tracking.review_kind import TRACKING
from workflow.tracking.tasks import responsible_people

ANSWERABLE = (RectificationStatus.open.value, RectificationStatus.reopened.value)
REPLIED = RectificationStatus.replied.value
REPLY_ITEM = "rectification_reply"  # attachments kept with a written reply


@dataclass(frozen=True, slots=True)
class RequestIssued:
    """What the performance section is told after 提出整改建议."""

    request_id: int
    project: str
    due: dt.date
    provisional: bool


async def _actor(session: AsyncSession, person_id: int, action: Action) -> Actor:
    actor = await load_actor(session, person_id=person_id)
    if actor is None:
        raise AccessDenied(action)
    return actor


async def _due(session: AsyncSession, today: dt.date) -> tuple[dt.date, bool]:
    """7 working days after today (the rule as the administrators keep it)."""
    rules = await load_rules(session)
    calendar = await load_calendar(session, years=years_around(today))
    deadline = rules[RECTIFICATION_REPLY].deadline(today, calendar)
    return deadline.due, deadline.provisional


async def _finance(session: AsyncSession) -> list[int]:
    """Everyone active holding the performance section's role."""
    return list(
        await session.scalars(
            select(RoleAssignment.person_id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.role == Role.performance.value,
                RoleAssignment.revoked_at.is_(None),
                Person.active.is_(True),
            )
            .distinct()
        )
    )


def _tell_department(
    session: AsyncSession,
    people: list[int],
    request: RectificationRequest,
    project: Project,
    content: str,
) -> None:
    queue_for_people(
        session,
        people,
        template="rectification_request",
        context={
            "project": project.name,
            "content": content,
            "due": request.due_date,
            "provisional": request.due_provisional,
            "round": request.version,
            "reopened": request.status == RectificationStatus.reopened.value,
            "proposed_fund": request.proposed_fund_action,
        },
        buttons=[[("rectification_reply", {"tracking": ["rp", request.id]})]],
        dedupe_prefix=f"rectification:{request.id}.{request.version}",
    )


async def submit_suggestion(
    session: AsyncSession, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime
) -> RequestIssued:
    """Accept the report with the suggestion and issue the request, in one transaction."""
    actor = await _actor(session, person_id, Action.REVIEW_PERFORMANCE)
    meta = dict(draft.data.get(META) or {})
    report_id = draft.subject_id or 0
    decided: ReviewResult = await review.decide_on_in_session(
        session,
        actor=actor,
        kind=TRACKING,
        item_id=report_id,
        expected_version=int(meta["version"]),
        decision=ReviewDecision.approve,
        comment=answers.get("content"),
        now=now,
    )
    if not decided.ok:
        raise SubmitRefused(Problem("rectification_report_moved_on"))
    report = await session.get(TrackingReport, report_id)
    assert report is not None
    project = await session.get(Project, report.project_id)
    assert project is not None
    due, provisional = await _due(session, local_day(now))
    proposal = answers.get("fund_proposal")
    request = RectificationRequest(
        project_id=project.id,
        source=RectificationSource.tracking.value,
        tracking_report_id=report_id,
        content=answers.get("content"),
        proposed_fund_action=proposal,
        issued_by_id=actor.person_id,
        issued_at=now,
        due_date=due,
        due_provisional=provisional,
    )
    session.add(request)
    await session.flush()
    assert request.id is not None
    audit.record(
        session,
        action="rectification_requested",
        actor_id=actor.person_id,
        object_type="rectification_request",
        object_id=request.id,
        detail={"tracking_report": report_id},
    )
    people = await responsible_people(session, project.organisation_id)
    _tell_department(session, people, request, project, request.content)
    if proposal is not None:
        await funds.tell_budget_section(
            session,
            project_id=project.id or 0,
            kind=FundActionKind(proposal),
            template="fund_proposed",
            context={"project": project.name, "kind": proposal, "content": request.content},
            dedupe_prefix=f"fund-proposal:{request.id}",
        )
    return RequestIssued(request.id, project.name, due, provisional)


async def authorized_request(
    session: AsyncSession, actor: Actor, request_id: int, action: Action
) -> RectificationRequest:
    """The request, when the actor may `action` on its project (AccessDenied otherwise)."""
    request = await session.get(RectificationRequest, request_id)
    scope = await access.project_scope(session, request.project_id if request else 0)
    await access.authorize(
        session,
        actor,
        action,
        scope=scope,
        object_type="rectification_request",
        object_id=request_id,
    )
    if request is None:
        raise AccessDenied(action)
    return request


async def reply_context(db: Database, *, actor: Actor, request_id: int) -> dict[str, Any] | Problem:
    """What the reply form starts from, or why the request cannot be answered now."""
    async with db.sessions() as session:
        request = await authorized_request(session, actor, request_id, Action.FILL_TRACKING)
        if request.status not in ANSWERABLE:
            return Problem("rectification_not_open")
        project = await session.get(Project, request.project_id)
        assert project is not None
        return {
            "version": request.version,
            "project": project.name,
            "content": request.content,
            "due": str(request.due_date),
        }


async def _move(
    session: AsyncSession,
    request_id: int,
    *,
    version: int,
    from_status: tuple[str, ...],
    **values: Any,
) -> bool:
    """The conditional update: True only for the caller whose transition happened."""
    table = RectificationRequest.__table__
    result = await session.execute(
        update(table)
        .where(table.c.id == request_id, table.c.version == version)
        .where(table.c.status.in_(from_status))
        .values(version=version + 1, **values)
    )
    return result.rowcount == 1


async def submit_reply(
    session: AsyncSession, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime
) -> RequestIssued:
    """The department's written answer: recorded once, the performance section told."""
    actor = await _actor(session, person_id, Action.FILL_TRACKING)
    request = await authorized_request(session, actor, draft.subject_id or 0, Action.FILL_TRACKING)
    version = int(dict(draft.data.get(META) or {})["version"])
    if not await _move(
        session, request.id or 0, version=version, from_status=ANSWERABLE, status=REPLIED
    ):
        raise SubmitRefused(Problem("rectification_not_open"))
    plan = [
        {key: row.get(key) for key in ("problem", "measures", "responsible", "completion")}
        for row in draft.data.get("plan") or []
    ]
    reply = RectificationReply(
        request_id=request.id,
        author_id=person_id,
        content=answers.get("content"),
        created_at=now,
        plan=plan or None,  # a rectification plan's rows, when the form had them
    )
    session.add(reply)
    await session.flush()
    kept = answers.get("files") or []
    await attachments.claim(
        session,
        draft_id=draft.id or 0,
        ids=attachments.answer_ids(kept),
        item_type=REPLY_ITEM,
        item_id=reply.id or 0,
    )
    project = await session.get(Project, request.project_id)
    assert project is not None
    decide = [
        ("rectification_accept", {"tracking": ["ra", request.id, version + 1]}),
        ("rectification_again", {"tracking": ["rg", request.id, version + 1]}),
    ]
    fetch = [("rectification_files", {"tracking": ["af", reply.id]})] if kept else []
    queue_for_people(
        session,
        await _finance(session),
        template="rectification_replied",
        context={
            "project": project.name,
            "content": answers.get("content"),
            "plan": plan,
            "files": [{"name": entry["name"], "size": entry["size"]} for entry in kept],
        },
        buttons=[row for row in (decide, fetch) if row],
        dedupe_prefix=f"rectification-reply:{request.id}.{version + 1}",
    )
    audit.record(
        session,
        action="rectification_replied",
        actor_id=person_id,
        object_type="rectification_request",
        object_id=request.id,
    )
    return RequestIssued(request.id or 0, project.name, request.due_date, request.due_provisional)


async def _close_reply_cards(
    session: AsyncSession, request_id: int, version: int, *, by: Actor, outcome: str
) -> None:
    """Edit every finance card of this reply to say who settled it; the buttons go."""
    name = await session.scalar(select(Person.name).where(Person.id == by.person_id))
    cards = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like(f"rectification-reply:{request_id}.{version}:%"),
            OutboxMessage.edit_of_id.is_(None),
        )
    )
    for card in list(cards):
        kept = [row for row in card.buttons or [] if row and row[0][0] == "rectification_files"]
        queue_edit(
            session,
            card,
            context={**card.context, "settled": {"by": name, "outcome": outcome}},
            buttons=kept or None,  # the decision buttons go; the files stay readable
            dedupe_key=f"rectification-close:{card.id}",
        )


async def accept(
    db: Database, *, actor: Actor, request_id: int, version: int, now: dt.datetime | None = None
) -> str:
    """认可: close the request once; 'accepted', or 'stale' when it moved on."""
    now = now or utcnow()
    async with db.transaction() as session:
        request = await authorized_request(session, actor, request_id, Action.REVIEW_TRACKING)
        if not await _move(
            session,
            request_id,
            version=version,
            from_status=(REPLIED,),
            status=RectificationStatus.accepted.value,
            closed_at=now,
        ):
            return "stale"
        await _settle_last_reply(session, request_id, accepted=True, comment=None)
        await _close_reply_cards(session, request_id, version, by=actor, outcome="accepted")
        project = await session.get(Project, request.project_id)
        assert project is not None
        queue_for_people(
            session,
            await responsible_people(session, project.organisation_id),
            template="rectification_accepted",
            context={"project": project.name},
            dedupe_prefix=f"rectification-accepted:{request_id}",
        )
        limits = await funds.fund_limits(session, project.id or 0)
        if limits is not None and limits.suspended is not None:  # 暂缓 may now be lifted
            await funds.tell_budget_section(
                session,
                project_id=project.id or 0,
                kind=FundActionKind.resume,
                template="fund_may_resume",
                context={"project": project.name, "amount": money_text(limits.suspended)},
                dedupe_prefix=f"fund-resume:{request_id}",
            )
        audit.record(
            session,
            action="rectification_accepted",
            actor_id=actor.person_id,
            object_type="rectification_request",
            object_id=request_id,
        )
        return "accepted"


async def _settle_last_reply(
    session: AsyncSession, request_id: int, *, accepted: bool, comment: str | None
) -> None:
    reply = await session.scalar(
        select(RectificationReply)
        .where(RectificationReply.request_id == request_id)
        .order_by(RectificationReply.id.desc())
        .limit(1)
    )
    if reply is not None:
        reply.accepted, reply.finance_comment = accepted, comment


async def again_context(db: Database, *, actor: Actor, request_id: int, version: int) -> Any:
    """Whether the performance section may ask again now, and what the form shows."""
    async with db.sessions() as session:
        request = await authorized_request(session, actor, request_id, Action.REVIEW_TRACKING)
        if request.status != REPLIED or request.version != version:
            return Problem("rectification_not_replied")
        project = await session.get(Project, request.project_id)
        assert project is not None
        return {"version": version, "project": project.name}


async def submit_again(
    session: AsyncSession, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime
) -> RequestIssued:
    """要求重新整改: a new round with a new due date, the department told again."""
    actor = await _actor(session, person_id, Action.REVIEW_TRACKING)
    request = await authorized_request(
        session, actor, draft.subject_id or 0, Action.REVIEW_TRACKING
    )
    version = int(dict(draft.data.get(META) or {})["version"])
    due, provisional = await _due(session, local_day(now))
    if not await _move(
        session,
        request.id or 0,
        version=version,
        from_status=(REPLIED,),
        status=RectificationStatus.reopened.value,
        due_date=due,
        due_provisional=provisional,
        issued_at=now,
    ):
        raise SubmitRefused(Problem("rectification_not_replied"))
    await _settle_last_reply(
        session, request.id or 0, accepted=False, comment=answers.get("content")
    )
    await _close_reply_cards(session, request.id or 0, version, by=actor, outcome="reopened")
    await session.refresh(request)
    project = await session.get(Project, request.project_id)
    assert project is not None
    people = await responsible_people(session, project.organisation_id)
    _tell_department(session, people, request, project, answers.get("content"))
    audit.record(
        session,
        action="rectification_reopened",
        actor_id=person_id,
        object_type="rectification_request",
        object_id=request.id,
    )
    return RequestIssued(request.id or 0, project.name, due, provisional)
