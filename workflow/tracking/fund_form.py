"""暂缓 / 停止 / 追回 / 解除暂缓 as a short form: the amount (not for 解除暂缓), then the reason.

The draft remembers the project and the kind pressed (`subject_id`, `_meta`); the amount is
checked against the limit when typed, and everything again when submitted, in the
submitting transaction (a tracking report may have brought 1-9 月执行数 meanwhile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from storage.db import Database
from storage.models import FormDraft, FundActionKind
from workflow.core.access import AccessDenied, Action, Actor
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_money, parse_text
from workflow.forms.spec import META, Answers, FieldSpec, FormSpec, Kind, Problem, SubmitRefused
from workflow.people.persons import load_actor
from workflow.tracking import funds
from workflow.tracking.funds import FundResult, check_action

FUND_FORM = "fund_action"


def _kind(answers: Answers) -> FundActionKind:
    return FundActionKind((answers.context or {}).get("kind", FundActionKind.suspend.value))


def amount_within_limit(value: Decimal, answers: Answers) -> Problem | None:
    """> 0 and at most the limit the card showed (checked again at submit)."""
    if value <= 0:
        return Problem("fund_amount_positive")
    limit = (answers.context or {}).get("limit")
    if limit is not None and value > Decimal(str(limit)):
        return Problem(str(answers.context["over"]), {"limit": answers.context["limit_text"]})
    return None


async def submit_fund_action(
    session: Any, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime, **_: Any
) -> FundResult:
    """Record the action for the project and kind the press named."""
    actor = await load_actor(session, person_id=person_id)
    if actor is None:
        raise AccessDenied(Action.FUND_ACTION)
    meta = dict(draft.data.get(META) or {})
    result = await funds.record_in_session(
        session,
        actor=actor,
        project_id=draft.subject_id or 0,
        kind=FundActionKind(meta["kind"]),
        amount=answers.get("amount"),
        reason=answers.get("reason"),
        now=now,
    )
    if result.problem is not None:
        raise SubmitRefused(result.problem)
    return result


async def fund_context(_session: Any, _person_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the prompts and checks need: project, kind, limit."""
    return dict(data.get(META) or {})


FORM = FormSpec(
    FUND_FORM,
    entries=(
        FieldSpec(
            "amount",
            Kind.money,
            parse_money,
            ask_if=lambda answers: _kind(answers) is not FundActionKind.resume,
            validators=(amount_within_limit,),
        ),
        FieldSpec("reason", Kind.text, partial(parse_text, limit=funds.REASON_LIMIT)),
    ),
    load_context=fund_context,
    context_reads=(),
    submit=submit_fund_action,
)


async def start_fund_action(
    db: Database, *, actor: Actor, project_id: int, kind: FundActionKind, now: dt.datetime
) -> DraftResult | Problem:
    """A fund button pressed: check who and what first, then ask the amount and reason."""
    async with db.transaction() as session:
        limits = await funds.authorized_limits(session, actor, project_id)
    problem = check_action(limits, kind, Decimal(0) if kind is FundActionKind.resume else None, "-")
    if problem is not None and problem.code not in ("fund_amount_positive",):
        return problem
    limit = limits.limit(kind)
    recover_capped = kind is FundActionKind.recover and limits.executed is not None
    meta = {
        "kind": kind.value,
        "project": limits.project,
        "limit": None if limit is None else str(limit),
        "limit_text": funds.money_text(limit),
        "over": "fund_over_executed" if recover_capped else "fund_over_annual",
        "suspended": funds.money_text(limits.suspended),
    }
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=FUND_FORM,
        now=now,
        subject_type="project",
        subject_id=project_id,
        initial={META: meta},
    )
