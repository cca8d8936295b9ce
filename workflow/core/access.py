"""Who may do what: the whole access policy and the one check every action goes through.

How to use it (from a workflow function, inside its transaction, before writing anything)::

    scope = await access.project_scope(session, project_id)       # or organisation_scope(...)
    await access.authorize(
        session, actor, Action.REVIEW_BUSINESS,
        scope=scope, object_type="project", object_id=project_id,
    )

- `Actor` is the person acting: id, name and the roles they hold, each tied to an
  organisation. `bot.identity.current_actor` gives it for a Telegram update; the command
  line acts as `TERMINAL`.
- `Action` names every action of the whole cycle. Add a member and a line to `POLICY` when
  a feature needs a new one, and a row to the matrix in the tests.
- `Scope` describes the object's place in the org chart: its organisation, that
  organisation's department and business section (归口), the co-departments of a shared
  project and people explicitly granted access (invited experts). `BUREAU` is the scope of
  actions that concern no particular organisation (calendar, invitations, users).
- `decide(actor, action, scope)` is the pure rule: True or False, no side effects; use it
  to decide what to show (menus, buttons).
- `require(db, ...)` is the same check in a session of its own (the bot uses it before
  asking for input).
- `authorize(...)` is the check: it returns quietly when allowed; when refused it writes an
  audit entry (in its own transaction, so the caller's rollback does not erase it) and
  raises `AccessDenied`, which carries no message: answer with the generic refusal, which
  reveals nothing about the object. (On SQLite, a refusal after the caller has written is
  audited once the caller's transaction ends; `settle_refusals()` waits for that.)
- `organisations_where(session, actor, action)` lists the organisations whose objects the
  actor may act on, for filtering lists in SQL; `granted_projects(session, actor)` adds
  what was granted to the person (the key projects an expert was invited to), to be checked
  one by one.

The rules, in one table (`POLICY`): staff and heads act on their own organisation; a
department's staff and head also see its units; a business section sees the departments it
is responsible for (their `section_id`) and their units; the performance and budget sections
see everything; experts see only what they are granted; the administrator manages people and
the calendar and reviews nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    ExpertAssignment,
    Project,
    ProjectCodepartment,
    ReviewStage,
    Role,
)
from workflow.core import refusals
from workflow.core.refusals import settle_refusals
from workflow.people import chart as org_chart


class Action(StrEnum):
    """Everything someone can do in the bot, across the whole yearly cycle."""

    VIEW_PROJECT = "view_project"
    DECLARE_GOAL = "declare_goal"  # create, edit and submit a project's goals
    REVIEW_HEAD = "review_head"  # 部门主要领导审定
    REVIEW_SUPERVISOR = "review_supervisor"  # 主管部门 reviews its units
    REVIEW_LEAD = "review_lead"  # 牵头管理部门 of a shared project
    REVIEW_BUSINESS = "review_business"
    REVIEW_PERFORMANCE = "review_performance"
    REVIEW_EXPERT = "review_expert"
    REVIEW_BUDGET = "review_budget"
    ISSUE_GOALS = "issue_goals"  # 批复下达
    REQUEST_ADJUSTMENT = "request_adjustment"
    EXPORT_DISCLOSURE = "export_disclosure"  # 公开 table
    OPEN_TRACKING = "open_tracking"  # open the year's Q3 tracking tasks
    TRACK_AD_HOC = "track_ad_hoc"  # finance tracks one project outside the Q3 round
    VIEW_TRACKING = "view_tracking"  # tracking tasks, their cards and 跟踪表
    EXPORT_TRACKING_SUMMARY = "export_tracking_summary"  # finance's summary of the year
    FILL_TRACKING = "fill_tracking"
    REVIEW_TRACKING = "review_tracking"
    OPEN_EVALUATION = "open_evaluation"  # open the year's self-evaluation tasks
    VIEW_EVALUATION = "view_evaluation"  # self-evaluation tasks and their cards
    FILL_SELF_EVALUATION = "fill_self_evaluation"
    SELECT_FINANCE_CHECK = "select_finance_check"  # 重点评价 / 抽查
    REQUEST_RECTIFICATION = "request_rectification"
    REPLY_RECTIFICATION = "reply_rectification"
    FUND_ACTION = "fund_action"  # suspend, stop, recover funds
    SET_YEAR_DATES = "set_year_dates"
    MANAGE_CALENDAR = "manage_calendar"
    IMPORT_ORGCHART = "import_orgchart"
    INVITE = "invite"
    REVOKE = "revoke"
    VIEW_USERS = "view_users"
    VIEW_AUDIT = "view_audit"
    VIEW_STATS = "view_stats"  # /stats, the summaries and the web dashboard
    VIEW_ORGANISATIONS = "view_organisations"  # /orgs: codes, names, kinds, people counts


class AccessDenied(Exception):
    """The actor may not do this; deliberately carries nothing to show the person."""

    def __init__(self, action: Action) -> None:
        super().__init__(action.value)
        self.action = action


@dataclass(frozen=True, slots=True)
class Actor:
    """A registered person acting, with every active role as (role, organisation id)."""

    person_id: int | None
    name: str
    roles: frozenset[tuple[Role, int]] = frozenset()
    terminal: bool = False  # the administrator at the command line
    unreachable: bool = False  # had blocked the bot; writing to it again clears that

    def has_role(self, role: Role) -> bool:
        """Whether any of the actor's roles is `role`."""
        return any(held == role for held, _ in self.roles)

    def organisations(self, role: Role) -> frozenset[int]:
        """The organisations in which the actor holds `role`."""
        return frozenset(org for held, org in self.roles if held == role)


TERMINAL = Actor(person_id=None, name="terminal", terminal=True)


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an object sits in the org chart; ids are organisation ids."""

    organisation_id: int | None = None
    department_id: int | None = None  # the org itself, or the department above a unit
    section_id: int | None = None  # the department's business section (归口)
    codepartment_ids: frozenset[int] = frozenset()  # shared project: may view
    granted_person_ids: frozenset[int] = frozenset()  # invited experts


BUREAU = Scope()

# How far a role reaches from the organisation it is tied to, given the object's scope.
Reach = Callable[[int, int | None, Scope], bool]


def own(org: int, _person: int | None, scope: Scope) -> bool:
    """The object belongs to the role's own organisation."""
    return scope.organisation_id is not None and scope.organisation_id == org


def family(org: int, person: int | None, scope: Scope) -> bool:
    """Own organisation, or a unit of the role's department."""
    return own(org, person, scope) or (
        scope.department_id is not None and scope.department_id == org
    )


def supervised(org: int, _person: int | None, scope: Scope) -> bool:
    """A unit whose supervising department is the role's organisation."""
    return scope.department_id == org and scope.organisation_id not in (None, org)


def shared(org: int, person: int | None, scope: Scope) -> bool:
    """Own organisation and its units, or a co-department of a shared project."""
    return family(org, person, scope) or org in scope.codepartment_ids


def section(org: int, _person: int | None, scope: Scope) -> bool:
    """A department the business section is responsible for, or one of its units."""
    return scope.section_id is not None and scope.section_id == org


def everything(_org: int, _person: int | None, _scope: Scope) -> bool:
    """Every object of the bureau."""
    return True


def granted(_org: int, person: int | None, scope: Scope) -> bool:
    """Only objects the person was explicitly granted (experts invited to a review)."""
    return person is not None and person in scope.granted_person_ids


_DEPARTMENT_WORK = {Role.staff: own, Role.head: own}
_FINANCE_VIEW = {Role.business: section, Role.performance: everything, Role.budget: everything}
_ADMINISTRATION = {Role.admin: everything}

POLICY: Mapping[Action, Mapping[Role, Reach]] = {
    Action.VIEW_PROJECT: {
        Role.staff: shared,
        Role.head: shared,
        **_FINANCE_VIEW,
        Role.expert: granted,
    },
    Action.DECLARE_GOAL: _DEPARTMENT_WORK,
    Action.REVIEW_HEAD: {Role.head: own},
    Action.REVIEW_SUPERVISOR: {Role.head: supervised},
    Action.REVIEW_LEAD: {Role.head: own},
    Action.REVIEW_BUSINESS: {Role.business: section},
    Action.REVIEW_PERFORMANCE: {Role.performance: everything},
    Action.REVIEW_EXPERT: {Role.expert: granted},
    Action.REVIEW_BUDGET: {Role.budget: everything},
    Action.ISSUE_GOALS: {Role.budget: everything},
    Action.REQUEST_ADJUSTMENT: _DEPARTMENT_WORK,
    Action.EXPORT_DISCLOSURE: {Role.staff: family, Role.head: family, **_FINANCE_VIEW},
    Action.OPEN_TRACKING: {Role.admin: everything, Role.performance: everything},
    Action.TRACK_AD_HOC: {Role.performance: everything},
    Action.VIEW_TRACKING: {Role.staff: family, Role.head: family, **_FINANCE_VIEW},
    Action.EXPORT_TRACKING_SUMMARY: _FINANCE_VIEW,
    Action.FILL_TRACKING: _DEPARTMENT_WORK,
    Action.REVIEW_TRACKING: {Role.business: section, Role.performance: everything},
    Action.OPEN_EVALUATION: {Role.admin: everything, Role.performance: everything},
    Action.VIEW_EVALUATION: {Role.staff: family, Role.head: family, **_FINANCE_VIEW},
    Action.FILL_SELF_EVALUATION: _DEPARTMENT_WORK,
    Action.SELECT_FINANCE_CHECK: {Role.performance: everything},
    Action.REQUEST_RECTIFICATION: {Role.business: section, Role.performance: everything},
    Action.REPLY_RECTIFICATION: _DEPARTMENT_WORK,
    # The notice gives 暂缓/停止/追回 to the budget section (预算科) alone.
    Action.FUND_ACTION: {Role.budget: everything},
    Action.SET_YEAR_DATES: {Role.admin: everything, Role.budget: everything},
    Action.MANAGE_CALENDAR: _ADMINISTRATION,
    Action.IMPORT_ORGCHART: _ADMINISTRATION,
    Action.INVITE: _ADMINISTRATION,
    Action.REVOKE: _ADMINISTRATION,
    Action.VIEW_USERS: _ADMINISTRATION,
    Action.VIEW_AUDIT: _ADMINISTRATION,
    # A head sees their department (and its units); finance its scope; leaders sit in the
    # performance and budget sections, which see the whole bureau.
    Action.VIEW_STATS: {Role.head: family, **_FINANCE_VIEW},
    Action.VIEW_ORGANISATIONS: {**_ADMINISTRATION, **{role: everything for role in _FINANCE_VIEW}},
}

# What the administrator at the terminal may do: set the bureau up, nothing of its work.
TERMINAL_ACTIONS = frozenset(
    {
        Action.IMPORT_ORGCHART,
        Action.INVITE,
        Action.REVOKE,
        Action.VIEW_USERS,
        Action.VIEW_AUDIT,
        Action.VIEW_ORGANISATIONS,
        Action.MANAGE_CALENDAR,
        Action.SET_YEAR_DATES,
        Action.OPEN_TRACKING,
        Action.OPEN_EVALUATION,
    }
)

REVIEW_ACTIONS: Mapping[ReviewStage, Action] = {
    ReviewStage.head: Action.REVIEW_HEAD,
    ReviewStage.supervisor: Action.REVIEW_SUPERVISOR,
    ReviewStage.lead: Action.REVIEW_LEAD,
    ReviewStage.business: Action.REVIEW_BUSINESS,
    ReviewStage.performance: Action.REVIEW_PERFORMANCE,
    ReviewStage.expert: Action.REVIEW_EXPERT,
    ReviewStage.budget: Action.REVIEW_BUDGET,
    ReviewStage.issuance: Action.ISSUE_GOALS,
}


def decide(actor: Actor, action: Action, scope: Scope = BUREAU) -> bool:
    """Whether `actor` may do `action` on an object in `scope`; pure, no audit."""
    if actor.terminal:
        return action in TERMINAL_ACTIONS
    rules = POLICY[action]
    return any(
        role in rules and rules[role](organisation_id, actor.person_id, scope)
        for role, organisation_id in actor.roles
    )


def may_ever(actor: Actor, action: Action) -> bool:
    """Whether any of the actor's roles can do `action` somewhere (menus, /help)."""
    if actor.terminal:
        return action in TERMINAL_ACTIONS
    return any(role in POLICY[action] for role, _ in actor.roles)


async def authorize(
    session: AsyncSession,
    actor: Actor,
    action: Action,
    *,
    scope: Scope = BUREAU,
    object_type: str | None = None,
    object_id: int | None = None,
) -> None:
    """Return when allowed; otherwise audit the refusal and raise AccessDenied.

    Call it before writing anything in the transaction: the refusal is recorded in a
    transaction of its own so that it survives the caller's rollback.
    """
    if decide(actor, action, scope):
        return
    await refusals.record_refusal(
        session,
        action=action.value,
        actor_id=actor.person_id,
        object_type=object_type,
        object_id=object_id,
        organisation_id=scope.organisation_id,
    )
    raise AccessDenied(action)


async def require(
    db: Database,
    actor: Actor,
    action: Action,
    *,
    scope: Scope = BUREAU,
    object_type: str | None = None,
    object_id: int | None = None,
) -> None:
    """`authorize` in a session of its own: for the bot, before it asks for any input."""
    async with db.sessions() as session:
        await authorize(
            session, actor, action, scope=scope, object_type=object_type, object_id=object_id
        )


async def organisation_scope(session: AsyncSession, organisation_id: int) -> Scope:
    """The scope of an object that belongs to `organisation_id`."""
    scopes = await _scopes(session, [organisation_id])
    return scopes.get(organisation_id, Scope(organisation_id=organisation_id))


async def project_scope(session: AsyncSession, project_id: int) -> Scope:
    """The scope of a project: its organisation, co-departments and granted experts.

    Empty when there is no such project: then only the bureau-wide roles pass, and the
    caller finds nothing.
    """
    organisation_id = await session.scalar(
        select(Project.organisation_id).where(Project.id == project_id)
    )
    if organisation_id is None:
        return Scope()
    codepartments = await session.scalars(
        select(ProjectCodepartment.organisation_id).where(
            ProjectCodepartment.project_id == project_id
        )
    )
    base = await organisation_scope(session, organisation_id)
    return Scope(
        organisation_id=base.organisation_id,
        department_id=base.department_id,
        section_id=base.section_id,
        codepartment_ids=frozenset(codepartments),
        granted_person_ids=frozenset(
            await session.scalars(
                select(ExpertAssignment.person_id).where(ExpertAssignment.project_id == project_id)
            )
        ),
    )


async def granted_projects(session: AsyncSession, actor: Actor) -> frozenset[int]:
    """The projects `actor` was granted (an expert: those invited to), for their lists."""
    if actor.person_id is None:
        return frozenset()
    return frozenset(
        await session.scalars(
            select(ExpertAssignment.project_id).where(ExpertAssignment.person_id == actor.person_id)
        )
    )


async def organisations_where(
    session: AsyncSession, actor: Actor, action: Action
) -> frozenset[int]:
    """Every organisation on whose objects `actor` may do `action` (grants not included).

    Roles that reach only their own organisation are answered from the actor alone; the
    others from the cached chart (`workflow.people.chart`), whatever its size.
    """
    if not may_ever(actor, action):
        return frozenset()
    rules = POLICY.get(action, {})
    if not actor.terminal and all(rules.get(role) in (own, None) for role, _ in actor.roles):
        return frozenset(org for role, org in actor.roles if rules.get(role) is own)
    scopes = await _scopes(session, None)
    return frozenset(org for org, scope in scopes.items() if decide(actor, action, scope))


async def _scopes(
    session: AsyncSession, organisation_ids: Iterable[int] | None
) -> Mapping[int, Scope]:
    """Scopes of the given organisations (all when None), from the cached chart."""
    loaded = await org_chart.chart(session)
    every = loaded.remember("access_scopes", lambda: _all_scopes(loaded))
    if organisation_ids is None:
        return every
    return {org: every[org] for org in organisation_ids if org in every}


def _all_scopes(loaded: org_chart.Chart) -> dict[int, Scope]:
    """Every organisation's scope: computed once per chart, not per decision."""
    scopes: dict[int, Scope] = {}
    for org in loaded.organisations:
        department = loaded.department_of(org)
        if department is None:
            # A finance section, or a unit whose chain is broken: it is its own department.
            scopes[org] = Scope(organisation_id=org, department_id=org, section_id=None)
        else:
            section = loaded.organisations[department].section_id
            scopes[org] = Scope(organisation_id=org, department_id=department, section_id=section)
    return scopes


__all__ = [
    "BUREAU",
    "POLICY",
    "REVIEW_ACTIONS",
    "TERMINAL",
    "AccessDenied",
    "Action",
    "Actor",
    "Scope",
    "authorize",
    "decide",
    "granted_projects",
    "may_ever",
    "organisation_scope",
    "organisations_where",
    "project_scope",
    "require",
    "settle_refusals",
]
