"""The review chain's short forms: a return's reason, an expert's opinion, a batch's comment.

Each is a one-question FormSpec run by the generic form runner, so the pending question
lives in `form_draft` (not in memory) and survives restarts. The draft remembers the item
and the row version the person pressed on (`subject_id`, `_meta.version`); its submit
applies exactly that press in the draft's transaction, and reports, instead of applying,
when the item moved on meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from storage.db import Database
from storage.models import FormDraft, GoalVersion, GoalVersionKind, ReviewDecision
from workflow.core.access import AccessDenied, Action, Actor
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_text
from workflow.forms.spec import META, Answers, FieldSpec, Kind, Problem
from workflow.goals import adjustment
from workflow.goals import declaration as goals
from workflow.people.persons import load_actor
from workflow.review import batch as review_batch
from workflow.review import chain as review
from workflow.review import edit_lock
from workflow.review.chain import Outcome, ReviewResult
from workflow.review.edit_lock import Taken
from workflow.review.experts import may_give_opinion
from workflow.review.kinds import GOAL

RETURN_REASON = "return_reason"
APPROVE_COMMENT = "approve_comment"
EXPERT_OPINION = "expert_opinion"
BATCH_APPROVAL = "batch_approval"
TEXT_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a batch approval did, item by item."""

    results: list[ReviewResult] = field(default_factory=list)

    @property
    def approved(self) -> list[ReviewResult]:
        return [r for r in self.results if r.ok]

    @property
    def skipped(self) -> list[ReviewResult]:
        return [r for r in self.results if not r.ok]


def _meta(draft: FormDraft) -> dict[str, Any]:
    return dict(draft.data.get(META) or {})


async def _actor(session: Any, person_id: int) -> Actor:
    actor = await load_actor(session, person_id=person_id)
    if actor is None:  # every role was taken away while the form was open
        raise AccessDenied(Action.VIEW_PROJECT)
    return actor


async def submit_return(
    session: Any, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime, **_: Any
) -> ReviewResult:
    """退回修改 with the reason given, for the item and version the card showed."""
    return await review.decide_on_in_session(
        session,
        actor=await _actor(session, person_id),
        kind=draft.subject_type or GOAL,
        item_id=draft.subject_id or 0,
        expected_version=int(_meta(draft)["version"]),
        decision=ReviewDecision.return_,
        comment=answers.get("reason"),
        now=now,
    )


async def submit_approve(
    session: Any, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime, **_: Any
) -> ReviewResult:
    """通过并附意见: approve with the (optional) comment, for the version the card showed."""
    return await review.decide_on_in_session(
        session,
        actor=await _actor(session, person_id),
        kind=draft.subject_type or GOAL,
        item_id=draft.subject_id or 0,
        expected_version=int(_meta(draft)["version"]),
        decision=ReviewDecision.approve,
        comment=answers.get("comment"),
        now=now,
    )


async def submit_opinion(
    session: Any, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime, **_: Any
) -> ReviewResult:
    """The expert's opinion (the choice made on the card, the text given here)."""
    meta = _meta(draft)
    return await review.give_opinion_in_session(
        session,
        actor=await _actor(session, person_id),
        goal_version_id=draft.subject_id or 0,
        expected_version=int(meta["version"]),
        decision=ReviewDecision(meta["decision"]),
        comment=answers.get("opinion"),
        now=now,
    )


async def submit_batch(
    session: Any, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime, **_: Any
) -> BatchResult:
    """Approve every checked item with the one comment; items that moved on are skipped."""
    actor = await _actor(session, person_id)
    await review_batch.clear(session, person_id)
    results = []
    for ticked in _meta(draft)["items"]:
        kind, item_id, version = ticked if len(ticked) == 3 else (GOAL, *ticked)  # older drafts
        results.append(
            await review.decide_on_in_session(
                session,
                actor=actor,
                kind=kind,
                item_id=int(item_id),
                expected_version=int(version),
                decision=ReviewDecision.approve,
                comment=answers.get("comment"),
                now=now,
            )
        )
    return BatchResult(results)


LONG_TEXT = partial(parse_text, limit=TEXT_LIMIT)
REASON_FIELD = FieldSpec("reason", Kind.text, LONG_TEXT)
OPINION_FIELD = FieldSpec("opinion", Kind.text, LONG_TEXT, optional=True)
COMMENT_FIELD = FieldSpec("comment", Kind.text, LONG_TEXT, optional=True)


async def meta_context(_session: Any, _person_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the prompts show: the item's project, the opinion chosen, the items checked."""
    return dict(data.get(META) or {})


def opinion_text_needed(answers: Answers) -> Problem | None:
    """修改后同意 and 不同意 need the expert's reasons; 同意 may stand alone."""
    decision = (answers.data.get(META) or {}).get("decision")
    if decision != ReviewDecision.expert_agree.value and not answers.get("opinion"):
        return Problem("opinion_required", field="opinion")
    return None


async def _start(
    db: Database,
    actor: Actor,
    form: str,
    *,
    now: dt.datetime,
    subject_id: int | None,
    meta: dict[str, Any],
    kind: str = GOAL,
) -> DraftResult:
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=form,
        now=now,
        subject_type=kind if subject_id else None,
        subject_id=subject_id,
        initial={META: meta},
    )


async def start_return(
    db: Database,
    *,
    actor: Actor,
    goal_version_id: int,
    expected_version: int,
    now: dt.datetime,
    kind: str = GOAL,
    form: str = RETURN_REASON,
) -> ReviewResult | DraftResult:
    """退回修改 pressed: ask for the reason if the person may decide on the item now
    (`form` APPROVE_COMMENT: 通过并附意见, the comment optional)."""
    async with db.transaction() as session:
        check = await review.may_decide_on(
            session,
            actor=actor,
            kind=kind,
            item_id=goal_version_id,
            expected_version=expected_version,
        )
    if not check.ok:
        return check
    meta = {"version": expected_version, "project": check.project_name, "stage": check.stage}
    return await _start(db, actor, form, now=now, subject_id=goal_version_id, meta=meta, kind=kind)


async def start_opinion(
    db: Database,
    *,
    actor: Actor,
    goal_version_id: int,
    expected_version: int,
    decision: ReviewDecision,
    now: dt.datetime,
) -> ReviewResult | DraftResult:
    """An opinion button pressed: ask for the expert's text if they may give one now."""
    async with db.transaction() as session:
        check = await may_give_opinion(
            session, actor=actor, goal_version_id=goal_version_id, expected_version=expected_version
        )
    if not check.ok:
        return check
    meta = {"version": expected_version, "project": check.project_name, "decision": decision.value}
    return await _start(db, actor, EXPERT_OPINION, now=now, subject_id=goal_version_id, meta=meta)


async def start_batch(db: Database, *, actor: Actor, now: dt.datetime) -> DraftResult | None:
    """确认批量通过 pressed: ask for the one comment of the ticked items (None: none ticked)."""
    assert actor.person_id is not None
    async with db.sessions() as session:
        chosen = await review_batch.ticked(session, actor.person_id)
    if not chosen:
        return None
    meta = {
        "items": [[kind, item, version] for kind, item, version, _ in chosen],
        "projects": [name for *_, name in chosen],
    }
    return await _start(db, actor, BATCH_APPROVAL, now=now, subject_id=None, meta=meta)


async def start_fix(
    db: Database,
    *,
    actor: Actor,
    goal_version_id: int,
    expected_version: int,
    now: dt.datetime,
    take_over: bool = False,
) -> tuple[str, DraftResult | Problem | ReviewResult | Taken]:
    """修改后重新提交: the form that corrects a returned version, opened prefilled.

    A returned adjustment is corrected in the adjustment form (its reason kept), an initial
    version in the goal form. The edit lock comes first: while a colleague holds it, the
    answer is who (a `Taken` not ok), unless `take_over` was confirmed. Returns the form's
    name and what opening it came to; refuses (AccessDenied, audited) people who may not
    correct it.
    """
    async with db.sessions() as session:
        version = await session.get(GoalVersion, goal_version_id)
    if version is None:
        return goals.GOAL_FORM, ReviewResult(Outcome.not_found)
    taken = await edit_lock.take(
        db, actor=actor, kind=GOAL, item_id=goal_version_id, now=now, take_over=take_over
    )
    if taken.held is not None:
        return goals.GOAL_FORM, taken
    if version.kind == GoalVersionKind.adjustment.value:
        opened = await adjustment.start_adjustment(
            db,
            actor=actor,
            goal_version_id=goal_version_id,
            expected_version=expected_version,
            now=now,
        )
        return adjustment.ADJUSTMENT_FORM, opened
    return goals.GOAL_FORM, await goals.start_goal_edit(
        db, actor=actor, project_id=version.project_id, now=now
    )
