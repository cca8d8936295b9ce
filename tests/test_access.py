"""The one permission check: a matrix of every role × every action × own / other organisation.

The expectations below are written out by hand, not derived from `POLICY`, so that a change
to the policy has to be made twice, on purpose. Later issues add rows as they add actions.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import (
    AuditEntry,
    BudgetYear,
    Organisation,
    Project,
    ProjectCodepartment,
    ReviewStage,
    Role,
)
from workflow.core import access
from workflow.core.access import (
    BUREAU,
    REVIEW_ACTIONS,
    TERMINAL,
    AccessDenied,
    Action,
    Actor,
    Scope,
    decide,
    may_ever,
)

# A small bureau: two business sections, each responsible for one department with a unit.
S1, S2, PERF, BUDG = 1, 2, 3, 4
D1, U1, U1A, D2, U2 = 10, 11, 12, 20, 21
SCOPES = {
    D1: Scope(organisation_id=D1, department_id=D1, section_id=S1),
    U1: Scope(organisation_id=U1, department_id=D1, section_id=S1),
    U1A: Scope(organisation_id=U1A, department_id=D1, section_id=S1),  # a unit under U1
    D2: Scope(organisation_id=D2, department_id=D2, section_id=S2),
    U2: Scope(organisation_id=U2, department_id=D2, section_id=S2),
}
HOME = {
    Role.staff: D1,
    Role.head: D1,
    Role.business: S1,
    Role.performance: PERF,
    Role.budget: BUDG,
    Role.expert: PERF,
    Role.admin: BUDG,
}
# "own": an object of D1, which each role's home is or is responsible for; "other": of D2.
OWN, OTHER = SCOPES[D1], SCOPES[D2]

STAFF, HEAD, BUSINESS, PERFORMANCE = Role.staff, Role.head, Role.business, Role.performance
EXPERT, BUDGET, ADMIN = Role.expert, Role.budget, Role.admin
DEPARTMENT = {STAFF, HEAD}
FINANCE = {BUSINESS, PERFORMANCE, BUDGET}
BUREAU_WIDE_FINANCE = {PERFORMANCE, BUDGET}

# One row per action: who may do it on an object of their own D1 ("own") and of D2
# ("other"). An action without a row fails the matrix; an expert gets nothing ungranted.
ROWS: dict[Action, tuple[set[Role], set[Role]]] = {
    Action.VIEW_PROJECT: (DEPARTMENT | FINANCE, BUREAU_WIDE_FINANCE),
    Action.DECLARE_GOAL: (DEPARTMENT, set()),
    Action.REVIEW_HEAD: ({HEAD}, set()),
    Action.REVIEW_SUPERVISOR: (set(), set()),  # only on a unit: see test_units_and_sections
    Action.REVIEW_LEAD: ({HEAD}, set()),
    Action.REVIEW_BUSINESS: ({BUSINESS}, set()),
    Action.REVIEW_PERFORMANCE: ({PERFORMANCE}, {PERFORMANCE}),
    Action.REVIEW_EXPERT: (set(), set()),  # only when granted: see the expert tests
    Action.REVIEW_BUDGET: ({BUDGET}, {BUDGET}),
    Action.ISSUE_GOALS: ({BUDGET}, {BUDGET}),
    Action.REQUEST_ADJUSTMENT: (DEPARTMENT, set()),
    Action.EXPORT_DISCLOSURE: (DEPARTMENT | FINANCE, BUREAU_WIDE_FINANCE),
    Action.OPEN_TRACKING: ({PERFORMANCE, ADMIN}, {PERFORMANCE, ADMIN}),
    Action.TRACK_AD_HOC: ({PERFORMANCE}, {PERFORMANCE}),
    Action.VIEW_TRACKING: (DEPARTMENT | FINANCE, BUREAU_WIDE_FINANCE),
    Action.EXPORT_TRACKING_SUMMARY: (FINANCE, BUREAU_WIDE_FINANCE),
    Action.FILL_TRACKING: (DEPARTMENT, set()),
    Action.REVIEW_TRACKING: ({BUSINESS, PERFORMANCE}, {PERFORMANCE}),
    Action.OPEN_EVALUATION: ({PERFORMANCE, ADMIN}, {PERFORMANCE, ADMIN}),
    Action.VIEW_EVALUATION: (DEPARTMENT | FINANCE, BUREAU_WIDE_FINANCE),
    Action.FILL_SELF_EVALUATION: (DEPARTMENT, set()),
    Action.SELECT_FINANCE_CHECK: ({PERFORMANCE}, {PERFORMANCE}),
    Action.REQUEST_RECTIFICATION: ({BUSINESS, PERFORMANCE}, {PERFORMANCE}),
    Action.REPLY_RECTIFICATION: (DEPARTMENT, set()),
    Action.FUND_ACTION: ({BUDGET}, {BUDGET}),
    Action.SET_YEAR_DATES: ({BUDGET, ADMIN}, {BUDGET, ADMIN}),
    Action.MANAGE_CALENDAR: ({ADMIN}, {ADMIN}),
    Action.IMPORT_ORGCHART: ({ADMIN}, {ADMIN}),
    Action.INVITE: ({ADMIN}, {ADMIN}),
    Action.REVOKE: ({ADMIN}, {ADMIN}),
    Action.VIEW_USERS: ({ADMIN}, {ADMIN}),
    Action.VIEW_AUDIT: ({ADMIN}, {ADMIN}),
    Action.VIEW_STATS: ({HEAD} | FINANCE, BUREAU_WIDE_FINANCE),
    Action.VIEW_ORGANISATIONS: (FINANCE | {ADMIN}, FINANCE | {ADMIN}),
}
ADMINISTRATION = {action for action, (own, _) in ROWS.items() if ADMIN in own}


def actor_with(*roles: tuple[Role, int], person_id: int = 100) -> Actor:
    return Actor(person_id=person_id, name="测试", roles=frozenset(roles))


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_matrix(role: Role, action: Action, where: str) -> None:
    assert action in ROWS, f"{action} has no row in the matrix: who may do it?"
    own, other = ROWS[action]
    actor = actor_with((role, HOME[role]))
    scope = OWN if where == "own" else OTHER
    assert decide(actor, action, scope) == (role in (own if where == "own" else other))


def test_every_action_has_a_row_and_every_row_an_action() -> None:
    assert list(ROWS) == list(Action)


@pytest.mark.parametrize(
    ("role", "home", "action", "target", "allowed"),
    [
        # A department's staff and head see its units but do not act for them.
        (Role.staff, D1, Action.VIEW_PROJECT, U1, True),
        (Role.staff, D1, Action.VIEW_PROJECT, U1A, True),
        (Role.staff, D1, Action.DECLARE_GOAL, U1, False),
        (Role.head, D1, Action.REVIEW_SUPERVISOR, U1, True),
        (Role.head, D1, Action.REVIEW_SUPERVISOR, D1, False),  # not its own goals
        (Role.head, D1, Action.REVIEW_HEAD, U1, False),
        (Role.head, D2, Action.REVIEW_SUPERVISOR, U1, False),
        (Role.staff, D1, Action.VIEW_PROJECT, U2, False),
        # A unit's staff and head see only that unit.
        (Role.staff, U1, Action.DECLARE_GOAL, U1, True),
        (Role.staff, U1, Action.VIEW_PROJECT, D1, False),
        (Role.staff, U1, Action.VIEW_PROJECT, U1A, False),
        (Role.head, U1, Action.REVIEW_HEAD, U1, True),
        (Role.head, U1, Action.REVIEW_SUPERVISOR, U1A, False),
        # A business section reaches its departments' units, not other sections' ones.
        (Role.business, S1, Action.REVIEW_BUSINESS, U1, True),
        (Role.business, S1, Action.REVIEW_BUSINESS, U1A, True),
        (Role.business, S2, Action.REVIEW_BUSINESS, U1, False),
        (Role.business, S2, Action.REVIEW_BUSINESS, U2, True),
        # The review chain (issue 5): every review action on a unit's goals.
        (Role.head, U1, Action.REVIEW_LEAD, U1, True),
        (Role.head, D1, Action.REVIEW_LEAD, U1, False),  # a unit's lead is its own head
        (Role.head, D2, Action.REVIEW_HEAD, U1, False),
        (Role.staff, U1, Action.REVIEW_HEAD, U1, False),  # staff never approve
        (Role.business, S1, Action.REVIEW_HEAD, U1, False),
        (Role.performance, PERF, Action.REVIEW_PERFORMANCE, U1A, True),
        (Role.performance, PERF, Action.REVIEW_BUDGET, U1, False),
        (Role.budget, BUDG, Action.REVIEW_BUDGET, U2, True),
        (Role.budget, BUDG, Action.REVIEW_PERFORMANCE, U2, False),
        (Role.budget, BUDG, Action.ISSUE_GOALS, U1, True),
        (Role.performance, PERF, Action.ISSUE_GOALS, U1, False),
        (Role.expert, PERF, Action.REVIEW_EXPERT, U1, False),  # not granted this item
        (Role.admin, BUDG, Action.REVIEW_BUDGET, U1, False),
        # After issuance: adjustment by the unit itself, disclosure by its department too.
        (Role.staff, U1, Action.REQUEST_ADJUSTMENT, U1, True),
        (Role.staff, D1, Action.REQUEST_ADJUSTMENT, U1, False),
        (Role.head, U1, Action.REQUEST_ADJUSTMENT, U1, True),
        (Role.staff, D1, Action.EXPORT_DISCLOSURE, U1, True),
        (Role.staff, U1, Action.EXPORT_DISCLOSURE, D1, False),
        (Role.business, S2, Action.EXPORT_DISCLOSURE, U1, False),
    ],
)
def test_units_and_sections(
    role: Role, home: int, action: Action, target: int, allowed: bool
) -> None:
    assert decide(actor_with((role, home)), action, SCOPES[target]) is allowed


def test_a_co_department_may_view_a_shared_project_but_not_work_on_it() -> None:
    shared = Scope(
        organisation_id=D1, department_id=D1, section_id=S1, codepartment_ids=frozenset({D2})
    )
    co_staff = actor_with((Role.staff, D2))
    assert decide(co_staff, Action.VIEW_PROJECT, shared)
    assert not decide(co_staff, Action.DECLARE_GOAL, shared)
    assert not decide(co_staff, Action.FILL_TRACKING, shared)
    assert not decide(actor_with((Role.staff, U2)), Action.VIEW_PROJECT, shared)


def test_a_shared_projects_co_department_reviews_nothing() -> None:
    shared = Scope(
        organisation_id=D1, department_id=D1, section_id=S1, codepartment_ids=frozenset({D2})
    )
    co_head = actor_with((Role.head, D2))
    review_actions = set(REVIEW_ACTIONS.values())
    assert {a for a in review_actions if decide(co_head, a, shared)} == set()
    assert decide(actor_with((Role.head, D1)), Action.REVIEW_LEAD, shared)


def test_an_expert_sees_only_what_they_are_granted() -> None:
    expert = actor_with((Role.expert, PERF), person_id=7)
    granted = Scope(
        organisation_id=D1, department_id=D1, section_id=S1, granted_person_ids=frozenset({7})
    )
    assert decide(expert, Action.VIEW_PROJECT, granted)
    assert decide(expert, Action.REVIEW_EXPERT, granted)
    assert not decide(expert, Action.REVIEW_PERFORMANCE, granted)
    assert not decide(actor_with((Role.expert, PERF), person_id=8), Action.VIEW_PROJECT, granted)
    # A grant for the expert gives nothing to a staff member who happens to be person 7.
    assert not decide(actor_with((Role.staff, D2), person_id=7), Action.VIEW_PROJECT, granted)


def test_several_roles_each_count_in_their_own_organisation() -> None:
    both = actor_with((Role.staff, D1), (Role.business, S2))
    assert decide(both, Action.DECLARE_GOAL, OWN)
    assert decide(both, Action.REVIEW_BUSINESS, OTHER)
    assert not decide(both, Action.REVIEW_BUSINESS, OWN)  # D1 is not S2's department
    assert not decide(both, Action.DECLARE_GOAL, OTHER)


def test_nobody_without_roles_and_no_department_role_bureau_wide() -> None:
    assert not any(decide(actor_with(), action, OWN) for action in Action)
    assert not decide(actor_with((Role.staff, D1)), Action.VIEW_PROJECT, BUREAU)
    assert decide(actor_with((Role.admin, BUDG)), Action.INVITE, BUREAU)


def test_the_terminal_sets_up_the_bureau_and_does_nothing_else() -> None:
    assert {a for a in Action if decide(TERMINAL, a, OWN)} == ADMINISTRATION
    assert may_ever(TERMINAL, Action.IMPORT_ORGCHART)
    assert not may_ever(TERMINAL, Action.REVIEW_BUDGET)


def test_may_ever_follows_the_roles() -> None:
    staff = actor_with((Role.staff, D1))
    assert may_ever(staff, Action.DECLARE_GOAL)
    assert not may_ever(staff, Action.INVITE)
    assert may_ever(actor_with((Role.admin, BUDG)), Action.INVITE)


def test_every_review_stage_has_its_action() -> None:
    assert set(REVIEW_ACTIONS) == set(ReviewStage)


# --- against the database -------------------------------------------------------------------


async def _bureau(db: Database) -> dict[str, int]:
    """S1 ← D1 ← U1 ← U1A, and S2 ← D2 in the database; returns ids by code."""
    async with db.transaction() as session:
        s1 = Organisation(code="S1", name="行政政法科", kind="business_section")
        s2 = Organisation(code="S2", name="教科文科", kind="business_section")
        session.add_all([s1, s2])
        await session.flush()
        d1 = Organisation(code="D1", name="市司法局", kind="department", section_id=s1.id)
        d2 = Organisation(code="D2", name="市教育局", kind="department", section_id=s2.id)
        session.add_all([d1, d2])
        await session.flush()
        u1 = Organisation(code="U1", name="公证处", kind="unit", parent_id=d1.id)
        session.add(u1)
        await session.flush()
        u1a = Organisation(code="U1A", name="公证处分部", kind="unit", parent_id=u1.id)
        session.add(u1a)
        await session.flush()
        return {o.code: o.id for o in (s1, s2, d1, d2, u1, u1a)}


async def test_scopes_come_from_the_org_chart(database: Database) -> None:
    ids = await _bureau(database)
    async with database.sessions() as session:
        nested = await access.organisation_scope(session, ids["U1A"])
        department = await access.organisation_scope(session, ids["D2"])
    assert nested == Scope(
        organisation_id=ids["U1A"], department_id=ids["D1"], section_id=ids["S1"]
    )
    assert department == Scope(
        organisation_id=ids["D2"], department_id=ids["D2"], section_id=ids["S2"]
    )


async def test_project_scope_carries_the_co_departments(database: Database) -> None:
    ids = await _bureau(database)
    async with database.transaction() as session:
        session.add(BudgetYear(year=2027))
        await session.flush()
        project = Project(year=2027, organisation_id=ids["U1"], name="法律援助", is_shared=True)
        session.add(project)
        await session.flush()
        session.add(ProjectCodepartment(project_id=project.id, organisation_id=ids["D2"]))
    async with database.sessions() as session:
        scope = await access.project_scope(session, project.id)
        missing = await access.project_scope(session, project.id + 1000)
    assert scope.section_id == ids["S1"] and scope.department_id == ids["D1"]
    assert decide(actor_with((Role.staff, ids["D2"])), Action.VIEW_PROJECT, scope)
    assert not decide(actor_with((Role.staff, ids["D2"])), Action.VIEW_PROJECT, missing)


async def test_organisations_where_lists_what_a_business_section_reaches(
    database: Database,
) -> None:
    ids = await _bureau(database)
    async with database.sessions() as session:
        reach = await access.organisations_where(
            session, actor_with((Role.business, ids["S1"])), Action.REVIEW_BUSINESS
        )
        nothing = await access.organisations_where(
            session, actor_with((Role.staff, ids["D1"])), Action.REVIEW_BUSINESS
        )
    assert reach == {ids["D1"], ids["U1"], ids["U1A"]}
    assert nothing == frozenset()


async def test_a_refusal_is_audited_even_though_the_work_is_rolled_back(
    database: Database,
) -> None:
    ids = await _bureau(database)
    intruder = actor_with((Role.staff, ids["D2"]), person_id=None)
    with pytest.raises(AccessDenied) as refused:
        async with database.transaction() as session:
            session.add(Organisation(code="NEVER", name="不应保存", kind="performance_section"))
            scope = await access.organisation_scope(session, ids["D1"])
            await access.authorize(
                session,
                intruder,
                Action.DECLARE_GOAL,
                scope=scope,
                object_type="project",
                object_id=42,
            )
    assert str(refused.value) == "declare_goal"  # the code of the action, nothing about D1
    await access.settle_refusals()  # SQLite: written once the caller's transaction ended
    async with database.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry)))
        never = await session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.code == "NEVER")
        )
    assert never == 0
    assert [(e.action, e.allowed, e.object_type, e.object_id) for e in entries] == [
        ("declare_goal", False, "project", 42)
    ]


async def test_a_refusal_before_any_write_is_in_the_log_at_once(database: Database) -> None:
    ids = await _bureau(database)
    with pytest.raises(AccessDenied):
        async with database.transaction() as session:
            staff = actor_with((Role.staff, ids["D1"]), person_id=None)
            await access.authorize(session, staff, Action.INVITE)
    async with database.sessions() as session:
        entry = await session.scalar(select(AuditEntry))
    assert (entry.action, entry.allowed, entry.detail) == (
        "invite",
        False,
        {"organisation_id": None},
    )


async def test_an_allowed_action_passes_quietly(database: Database) -> None:
    ids = await _bureau(database)
    async with database.transaction() as session:
        scope = await access.organisation_scope(session, ids["U1"])
        await access.authorize(
            session, actor_with((Role.head, ids["D1"])), Action.REVIEW_SUPERVISOR, scope=scope
        )
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_an_invitation_grants_one_expert_one_key_project(database: Database) -> None:
    """Experts are granted exactly what the performance section invited them to."""
    from storage.models import ExpertAssignment, Person

    ids = await _bureau(database)
    async with database.transaction() as session:
        session.add(BudgetYear(year=2027))
        invited, other = Person(name="钱教授"), Person(name="钟研究员")
        session.add_all([invited, other])
        await session.flush()
        key = Project(year=2027, organisation_id=ids["D1"], name="重点项目", is_key=True)
        second = Project(year=2027, organisation_id=ids["D1"], name="另一重点项目", is_key=True)
        session.add_all([key, second])
        await session.flush()
        session.add(ExpertAssignment(project_id=key.id, person_id=invited.id))
    async with database.sessions() as session:
        scope = await access.project_scope(session, key.id)
        second_scope = await access.project_scope(session, second.id)
        granted = await access.granted_projects(session, actor_with(person_id=invited.id))
    expert = actor_with((Role.expert, ids["S1"]), person_id=invited.id)
    colleague = actor_with((Role.expert, ids["S1"]), person_id=other.id)
    assert scope.granted_person_ids == {invited.id} and second_scope.granted_person_ids == set()
    assert granted == {key.id}
    for action in (Action.VIEW_PROJECT, Action.REVIEW_EXPERT):
        assert decide(expert, action, scope)
        assert not decide(expert, action, second_scope)
        assert not decide(colleague, action, scope)
    assert not decide(expert, Action.REVIEW_PERFORMANCE, scope)
    # The grant is the expert role's: the same person as staff elsewhere gains nothing.
    assert not decide(
        actor_with((Role.staff, ids["D2"]), person_id=invited.id), Action.VIEW_PROJECT, scope
    )
