"""What the review chain tells whom: outbox rows written in the transition's transaction.

- A stage is reached: everyone who may decide there gets a reviewer card (通过 / 退回修改 /
  查看详情 / 历史 / 申报表); at the performance stage of a key project the experts get an
  opinion card (同意 / 修改后同意 / 不同意).
- A decision is taken: the submitter and the organisation's staff and heads hear it.
- An expert gives an opinion: the performance section hears it.
- The item moves on (or an expert has spoken): every card of the old state that is still
  open in someone's chat is edited through the outbox to say who settled it, and loses its
  buttons (`close_cards`), so nobody has to press a dead button to find out.

Buttons are stored semantically, as `{"review": [action, kind, item id, row version]}`: the
bot turns them into callback data when it delivers them (`bot.ui.callbacks`), so no callback
string is built here. The row version makes every card of an older state stale. Dedupe keys
name the item by its kind's ref (`ReviewKind.ref`: a goal version's bare id, as before).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    GoalVersion,
    GoalVersionStatus,
    Indicator,
    OutboxMessage,
    ReviewDecision,
    ReviewStage,
)
from workflow.core.access import Actor
from workflow.core.clock import bureau_tz
from workflow.evaluation.prior import prior_result
from workflow.notify.edits import queue_edit
from workflow.notify.queue import queue_for_people
from workflow.people.departments import department_name
from workflow.review import snapshots
from workflow.review.due import DueCalculator, StageDue
from workflow.review.kinds import GOAL, kind_named
from workflow.review.people import (
    experts_for,
    outcome_audience,
    people_who_may,
    review_scope,
    reviewers_at,
)

if TYPE_CHECKING:
    from workflow.review.kinds import Item

KEY_PREFIX = "rv"
CARD_INDICATORS = 8  # a card lists this many indicators; 查看详情 shows them all


def press(action: str, kind: str, item_id: int, version: int) -> dict[str, list[Any]]:
    """A review button's data, semantically: the bot builds the callback data from it."""
    return {"review": [action, kind, item_id, version]}


def money_text(value: Decimal | None) -> str | None:
    """万元 for people: at least two decimals, more only when they carry something."""
    if value is None:
        return None
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{value:,.{places}f}"


def local_time(moment: dt.datetime) -> str:
    """A moment as the bureau's wall-clock time, to the minute."""
    return moment.astimezone(bureau_tz()).strftime("%Y-%m-%d %H:%M")


def indicator_row(indicator: Indicator) -> dict[str, Any]:
    """One indicator as plain data for templates."""
    value = indicator.target_text
    if indicator.target_value is not None:
        value = format(indicator.target_value.normalize(), "f")
    return {
        "level1": indicator.level1,
        "level2": indicator.level2,
        "name": indicator.name,
        "sign": indicator.sign,
        "value": value or "",
        "unit": indicator.unit or "",
    }


async def indicators_of(session: AsyncSession, goal_version_id: int) -> list[Indicator]:
    """The version's indicators in form order."""
    return list(
        await session.scalars(
            select(Indicator)
            .where(Indicator.goal_version_id == goal_version_id)
            .order_by(Indicator.position, Indicator.id)
        )
    )


async def item_context(session: AsyncSession, item: Item) -> dict[str, Any]:
    """The facts every review message shows about a goal version."""
    version, project = item.row, item.project
    indicators = await indicators_of(session, item.id)
    return {
        "goal_version_id": item.id,
        "version": version.version,
        "number": version.number,
        "kind": version.kind,
        "status": version.status,
        "stage": version.stage,
        "project": project.name,
        "year": project.year,
        "is_key": project.is_key,
        "is_shared": project.is_shared,
        "organisation": item.organisation.name,
        "department": await department_name(session, item.organisation),
        "annual_amount": money_text(version.annual_amount),
        "funds_total": money_text(version.funds_total),
        "annual_goal": version.annual_goal or "",
        "adjustment_reason": version.adjustment_reason or "",
        "in_force": await number_in_force(session, project.id, besides=item.id),
        "indicators": [indicator_row(i) for i in indicators[:CARD_INDICATORS]],
        "indicator_count": len(indicators),
        # 以前年度绩效评价结果: the business section reviews with them (DOMAIN §1, §2.2).
        "prior": await prior_result(session, project.id or 0),
    }


async def number_in_force(
    session: AsyncSession, project_id: int | None, *, besides: int
) -> int | None:
    """The number of the project's issued version, when it is another one than `besides`."""
    return await session.scalar(
        select(GoalVersion.number).where(
            GoalVersion.project_id == project_id,
            GoalVersion.status == GoalVersionStatus.issued.value,
            GoalVersion.id != besides,
        )
    )


def due_context(due: StageDue | None) -> dict[str, Any] | None:
    """A due date for templates: the date, working days left, provisional or not."""
    if due is None:
        return None
    return {"date": due.due.isoformat(), "days_left": due.days_left, "provisional": due.provisional}


async def card_context(
    session: AsyncSession, item: Item, stage: ReviewStage, *, now: dt.datetime
) -> dict[str, Any]:
    """A reviewer card: the item, its stage and the days left there."""
    calculator = await DueCalculator.load(session, now=now, entered=[now])
    due = calculator.stage_due(stage.value, item.row.stage_entered_at or now)
    return {
        "item": await item.kind.describe(session, item),
        "stage": stage.value,
        "due": due_context(due),
    }


async def changes_for(
    session: AsyncSession, item: Item, *, person_id: int, stage: ReviewStage | str
) -> dict[str, Any] | None:
    """What changed since the version `person_id` (or their stage) last approved or
    returned; None when it reaches them for the first time."""
    stage_value = stage.value if isinstance(stage, ReviewStage) else stage
    base = await snapshots.baseline(session, item, person_id=person_id, stage=stage_value)
    now_said = await snapshots.current(session, item)
    if base is None or now_said is None:
        return None
    return {
        "since": local_time(base.approved_at),
        "yours": base.yours,
        "decision": base.decision,
        "rows": snapshots.diff(base.data, now_said),
    }


Button = tuple[str, dict[str, list[Any]]]


def reviewer_buttons(
    kind: str,
    item_id: int,
    version: int,
    *,
    invite: bool = False,
    stage: str | None = None,
    precondition: bool = False,
) -> list[list[Button]]:
    """通过 / 退回修改 (the kind's own decisions at `stage`, and 邀请专家 for a key project),
    通过并附意见, then 查看详情 / 历史 (/ 申报表)."""
    decide = [
        ("review_approve", press("ap", kind, item_id, version)),
        ("review_return", press("rt", kind, item_id, version)),
    ]
    for label, action in kind_named(kind).card_actions.get(stage or "", ()):
        decide.append((label, press(action, kind, item_id, version)))
    if invite:
        decide.append(("review_invite_experts", press("ex", kind, item_id, version)))
    comment = [
        ("review_approve_comment", press("ac", kind, item_id, version)),
        ("review_more", press("mo", kind, item_id, version)),  # 转交 / 抄送
    ]
    rows = [decide, comment, viewer_buttons(kind, item_id, version)]
    if precondition:  # last year's rectification open: acknowledged before approving
        rows.insert(0, [("review_precondition_ack", press("pa", kind, item_id, version))])
    return rows


def invites_experts(item: Item, stage: ReviewStage | str | None) -> bool:
    """The performance section organises the expert review of a key project at its stage."""
    return item.kind.name == GOAL and item.project.is_key and stage == ReviewStage.performance.value


def expert_buttons(goal_version_id: int, version: int) -> list[list[Button]]:
    """同意 / 修改后同意 / 不同意, then the viewing buttons."""
    return [
        [
            ("expert_agree", press("ea", GOAL, goal_version_id, version)),
            ("expert_agree_with_changes", press("ec", GOAL, goal_version_id, version)),
            ("expert_disagree", press("ed", GOAL, goal_version_id, version)),
        ],
        viewer_buttons(GOAL, goal_version_id, version),
    ]


def viewer_buttons(kind: str, item_id: int, version: int) -> list[Button]:
    """查看详情 / 历史 (and a goal version's 申报表): open to everyone who may see the item."""
    buttons = [
        ("review_details", press("dt", kind, item_id, version)),
        ("review_history", press("hi", kind, item_id, version)),
    ]
    if kind == GOAL:
        buttons.append(("review_form", press("fm", kind, item_id, version)))
    return buttons


def submitter_buttons(kind: str, item_id: int, version: int) -> list[Button]:
    """撤回 / 催办: what the submitter may do while the item waits at a stage."""
    return [
        ("review_withdraw", press("wd", kind, item_id, version)),
        ("review_nudge", press("ng", kind, item_id, version)),
    ]


def fix_buttons(kind: str, item_id: int, version: int) -> list[list[Button]]:
    """修改 (a goal version's correction form) over the viewing buttons."""
    rows = [viewer_buttons(kind, item_id, version)]
    if kind == GOAL:  # the other kinds' correction forms come with their stages
        rows.insert(0, [("review_fix", press("fx", kind, item_id, version))])
    return rows


async def stage_reached(
    session: AsyncSession,
    item: Item,
    stage: ReviewStage,
    *,
    now: dt.datetime,
    only: Iterable[int] | None = None,
) -> None:
    """Cards for everyone who may act at `stage` (and the experts invited to a key project).

    `only` narrows the cards to those of the reviewers named (a transfer's colleague).
    """
    scope = await review_scope(session, item.project)
    context = await card_context(session, item, stage, now=now)
    version = item.row.version
    reviewers = await people_who_may(session, item.kind.action_at(stage), scope)
    if only is not None:
        reviewers = [person for person in reviewers if person in set(only)]
    buttons = reviewer_buttons(
        item.kind.name,
        item.id,
        version,
        invite=invites_experts(item, stage),
        stage=stage,
        precondition=bool((context["item"].get("prior") or {}).get("open_rectifications")),
    )
    for reviewer in reviewers:  # each card shows what changed since that reviewer approved
        queue_for_people(
            session,
            [reviewer],
            template=item.kind.templates.card,
            context={
                **context,
                "changes": await changes_for(session, item, person_id=reviewer, stage=stage),
            },
            buttons=buttons,
            dedupe_prefix=f"{KEY_PREFIX}:card:{item.kind.ref(item.id)}:{version}",
        )
    if invites_experts(item, stage):
        await expert_cards(session, item, await experts_for(session, scope), now=now)


async def expert_cards(
    session: AsyncSession, item: Item, person_ids: Iterable[int], *, now: dt.datetime
) -> None:
    """Opinion cards (同意 / 修改后同意 / 不同意) for experts on a key project, once each."""
    people = list(person_ids)
    if not people:
        return
    version = item.row.version
    queue_for_people(
        session,
        people,
        template="expert_card",
        context=await card_context(session, item, ReviewStage.performance, now=now),
        buttons=expert_buttons(item.id, version),
        dedupe_prefix=f"rv:expert:{item.id}:{version}",
    )


async def decided(
    session: AsyncSession,
    item: Item,
    *,
    actor: Actor,
    stage: ReviewStage,
    decision: ReviewDecision,
    comment: str | None,
    now: dt.datetime,
) -> None:
    """Tell the submitter and the organisation what was decided and where the item is."""
    context = {
        "item": await item.kind.describe(session, item),
        "decision": decision.value,
        "decided_stage": stage.value,
        "by": actor.name,
        "comment": comment or "",
        "at": local_time(now),
    }
    version = item.row.version
    kind = item.kind.name
    if decision is ReviewDecision.return_:
        buttons = fix_buttons(kind, item.id, version)
    else:
        buttons = [viewer_buttons(kind, item.id, version)]
    audience = await outcome_audience(session, item.project, item.row.submitted_by_id)
    submitter = item.row.submitted_by_id
    waiting = item.row.status == item.kind.statuses.waiting
    prefix = f"{KEY_PREFIX}:outcome:{item.kind.ref(item.id)}:{version}"
    if waiting and submitter in audience:  # the submitter may still withdraw or nudge
        queue_for_people(
            session,
            [submitter],
            template=item.kind.templates.outcome,
            context=context,
            buttons=[submitter_buttons(kind, item.id, version), *buttons],
            dedupe_prefix=prefix,
        )
        audience = [person for person in audience if person != submitter]
    queue_for_people(
        session,
        audience,
        template=item.kind.templates.outcome,
        context=context,
        buttons=buttons,
        dedupe_prefix=prefix,
    )


async def opinion_given(
    session: AsyncSession,
    item: Item,
    *,
    expert: Actor,
    decision: ReviewDecision,
    comment: str | None,
    now: dt.datetime,
) -> None:
    """The performance section hears each expert opinion before it decides."""
    scope = await review_scope(session, item.project)
    context = {
        "item": await item_context(session, item),
        "decision": decision.value,
        "expert": expert.name,
        "comment": comment or "",
        "at": local_time(now),
    }
    version = item.row.version
    queue_for_people(
        session,
        await reviewers_at(session, ReviewStage.performance, scope),
        template="expert_opinion_notice",
        context=context,
        buttons=reviewer_buttons(GOAL, item.id, version, invite=True),
        dedupe_prefix=f"rv:opinion:{item.id}:{version}:{expert.person_id}",
    )


# The dedupe prefixes of the messages that carry decision, opinion or submitter buttons.
CARD_KINDS = ("card", "expert", "opinion", "receipt", "nudge")


def settled_context(
    *,
    actor: Actor,
    decision: ReviewDecision,
    stage: str | None,
    now: dt.datetime,
    status: str | None,
    next_stage: str | None,
) -> dict[str, Any]:
    """What a closed card says: who did what at which stage, and where the item is now."""
    return {
        "by": actor.name,
        "by_id": actor.person_id,
        "decision": decision.value,
        "stage": stage,
        "at": local_time(now),
        "status": status,
        "next_stage": next_stage,
    }


async def close_cards(
    session: AsyncSession,
    item_ref: str | int,
    version: int,
    *,
    settled: dict[str, Any],
    kinds: Iterable[str] = CARD_KINDS,
    people: Iterable[int] | None = None,
) -> None:
    """Edit every card of this state of the item (of `people`) to say it is settled.

    `item_ref` names the item as its dedupe keys do (`ReviewKind.ref`; a goal version's id).
    """
    edits = aliased(OutboxMessage)
    prefixes = [f"{KEY_PREFIX}:{kind}:{item_ref}:{version}:%" for kind in kinds]
    query = select(OutboxMessage).where(
        or_(*(OutboxMessage.dedupe_key.like(prefix) for prefix in prefixes)),
        OutboxMessage.edit_of_id.is_(None),
        ~exists().where(edits.edit_of_id == OutboxMessage.id),  # closed once, not twice
    )
    if people is not None:
        query = query.where(OutboxMessage.person_id.in_(list(people)))
    for card in list(await session.scalars(query.order_by(OutboxMessage.id))):
        yours = card.person_id is not None and card.person_id == settled["by_id"]
        queue_edit(
            session,
            card,
            context={**card.context, "settled": {**settled, "yours": yours}},
            dedupe_key=f"{KEY_PREFIX}:close:{card.id}",
        )
