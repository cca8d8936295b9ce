"""Who takes part in a goal version's review: who may act at a stage, who hears outcomes.

Everything here asks `workflow.core.access` (the one policy): candidates are the people holding a
role the policy lists for the action, and each is kept only if `access.decide` allows them
on the object's scope. Nothing here decides a permission of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, Project, ReviewStage, Role, RoleAssignment
from workflow.core import access
from workflow.core.access import POLICY, REVIEW_ACTIONS, Action, Actor, Scope


async def review_scope(session: AsyncSession, project: Project) -> Scope:
    """The project's scope (with the experts invited to it granted)."""
    assert project.id is not None
    return await access.project_scope(session, project.id)


async def _actors_holding(session: AsyncSession, roles: Iterable[Role]) -> list[Actor]:
    """Active people holding any of `roles`, as Actors carrying just those roles."""
    wanted = [role.value for role in roles]
    if not wanted:
        return []
    rows = await session.execute(
        select(Person.id, Person.name, RoleAssignment.role, RoleAssignment.organisation_id)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.role.in_(wanted),
            RoleAssignment.revoked_at.is_(None),
            Person.active.is_(True),
        )
        .order_by(Person.id)
    )
    names: dict[int, str] = {}
    held: dict[int, set[tuple[Role, int]]] = defaultdict(set)
    for person_id, name, role, organisation_id in rows:
        names[person_id] = name
        held[person_id].add((Role(role), organisation_id))
    return [Actor(pid, names[pid], frozenset(held[pid])) for pid in names]


async def people_who_may(session: AsyncSession, action: Action, scope: Scope) -> list[int]:
    """Everyone the policy allows to do `action` on an object in `scope`, by person id."""
    actors = await _actors_holding(session, POLICY[action].keys())
    return [a.person_id for a in actors if a.person_id and access.decide(a, action, scope)]


async def reviewers_at(session: AsyncSession, stage: ReviewStage, scope: Scope) -> list[int]:
    """The people who may decide at `stage`."""
    return await people_who_may(session, REVIEW_ACTIONS[stage], scope)


async def experts_for(session: AsyncSession, scope: Scope) -> list[int]:
    """The experts who may give an opinion on an object in `scope` (those invited)."""
    return await people_who_may(session, Action.REVIEW_EXPERT, scope)


async def expert_candidates(session: AsyncSession) -> list[Actor]:
    """Everyone the performance section may invite to review a key project."""
    return await _actors_holding(session, [Role.expert])


async def organisation_people(session: AsyncSession, organisation_id: int) -> list[int]:
    """The staff and heads of one organisation: they hear every outcome of its goals."""
    rows = await session.scalars(
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.organisation_id == organisation_id,
            RoleAssignment.role.in_([Role.staff.value, Role.head.value]),
            RoleAssignment.revoked_at.is_(None),
            Person.active.is_(True),
        )
        .order_by(RoleAssignment.person_id)
    )
    return list(dict.fromkeys(rows))


async def outcome_audience(
    session: AsyncSession, project: Project, submitted_by_id: int | None
) -> list[int]:
    """Who hears an outcome: the submitter, then the organisation's staff and heads."""
    people = [submitted_by_id] if submitted_by_id else []
    people += await organisation_people(session, project.organisation_id)
    return list(dict.fromkeys(people))


def acting_role(actor: Actor, action: Action, scope: Scope) -> tuple[Role, int] | None:
    """The (role, organisation) through which the policy lets `actor` do `action`."""
    rules = POLICY[action]
    for role, organisation_id in sorted(actor.roles):
        if role in rules and rules[role](organisation_id, actor.person_id, scope):
            return role, organisation_id
    return None


def may_follow(actor: Actor, scope: Scope) -> bool:
    """Whether `actor` may see the item at all: view it, or review it at some stage."""
    actions = (Action.VIEW_PROJECT, *REVIEW_ACTIONS.values())
    return any(access.decide(actor, action, scope) for action in actions)
