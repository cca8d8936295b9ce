"""What is due, computed from the database: every open item with its deadline and who acts.

Read in a handful of queries (the org chart, the roles, one query per kind of item), then
computed in pure code with one `WorkCalendar`, so the reminder sweep and /deadlines agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    BudgetYear,
    GoalVersion,
    GoalVersionStatus,
    Organisation,
    Person,
    Project,
    ProjectStatus,
    RectificationRequest,
    RectificationSource,
    RectificationStatus,
    ReportStatus,
    ReviewStage,
    Role,
    RoleAssignment,
    SelfEvaluation,
    TrackingReport,
)
from workflow.calendar import rules as deadlines
from workflow.calendar.rules import Rule
from workflow.calendar.workdays import Deadline, WorkCalendar, load_calendar, years_around
from workflow.core.clock import local_day

DONE_REPORTS = (ReportStatus.submitted.value, ReportStatus.accepted.value)
OPEN_RECTIFICATIONS = (RectificationStatus.open.value, RectificationStatus.reopened.value)


@dataclass(frozen=True)
class Directory:
    """The org chart and who holds which role where (active people, unrevoked roles)."""

    names: Mapping[int, str]
    kinds: Mapping[int, str]
    parents: Mapping[int, int | None]
    sections: Mapping[int, int | None]
    holders: Mapping[tuple[str, int], frozenset[int]]  # (role, organisation) -> people
    by_role: Mapping[str, frozenset[int]]  # role -> people, wherever they hold it

    def people(self, role: Role, organisation_id: int | None) -> frozenset[int]:
        """Who holds `role` in `organisation_id`."""
        if organisation_id is None:
            return frozenset()
        return self.holders.get((role.value, organisation_id), frozenset())

    def anywhere(self, role: Role) -> frozenset[int]:
        """Who holds `role` in any organisation."""
        return self.by_role.get(role.value, frozenset())

    def department_of(self, organisation_id: int) -> int:
        """The budget department of an organisation (a unit's department, walking up)."""
        current, seen = organisation_id, {organisation_id}
        while self.kinds.get(current) == "unit":
            parent = self.parents.get(current)
            if parent is None or parent in seen:
                break
            current = parent
            seen.add(current)
        return current

    def section_of(self, organisation_id: int) -> int | None:
        """The business section (归口) responsible for an organisation."""
        return self.sections.get(self.department_of(organisation_id))

    def doers(self, organisation_id: int) -> frozenset[int]:
        """Who fills the organisation's forms: its staff, or its heads when it has none."""
        return self.people(Role.staff, organisation_id) or self.people(Role.head, organisation_id)

    def heads_over(self, organisation_id: int) -> frozenset[int]:
        """Who answers for the organisation's lateness: its heads, or when a unit has none
        registered, the heads of its department (which supervises it)."""
        return self.people(Role.head, organisation_id) or self.people(
            Role.head, self.department_of(organisation_id)
        )


async def load_directory(session: AsyncSession) -> Directory:
    """The org chart and the active role holders, in two queries."""
    names, kinds, parents, sections = {}, {}, {}, {}
    for org in await session.scalars(select(Organisation)):
        names[org.id], kinds[org.id] = org.name, org.kind
        parents[org.id], sections[org.id] = org.parent_id, org.section_id
    rows = await session.execute(
        select(RoleAssignment.role, RoleAssignment.organisation_id, RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.revoked_at.is_(None), Person.active.is_(True))
    )
    holders: dict[tuple[str, int], set[int]] = defaultdict(set)
    for role, organisation_id, person_id in rows:
        holders[(role, organisation_id)].add(person_id)
    by_role: dict[str, set[int]] = defaultdict(set)
    for (role, _org), people in holders.items():
        by_role[role] |= people
    return Directory(
        names,
        kinds,
        parents,
        sections,
        {key: frozenset(people) for key, people in holders.items()},
        {role: frozenset(people) for role, people in by_role.items()},
    )


@dataclass(frozen=True)
class DueItem:
    """Something someone must do by a date."""

    rule_key: str
    subject: str  # stable part of the reminder key, e.g. "gv12.3" (a new round, a new key)
    project_id: int
    project_name: str
    year: int
    organisation_id: int  # the organisation that must act
    department_id: int  # the budget department concerned (finance's view of who is late)
    owners: frozenset[int]  # the people who must act
    start: dt.date  # the day the clock started
    deadline: Deadline
    notify_from: dt.date  # no reminder slot before this day (the event itself told them)
    stage: str | None = None

    @property
    def due(self) -> dt.date:
        return self.deadline.due


# One pending thing before its deadline is computed: (rule key, start, fixed due or None, ...)
@dataclass(frozen=True)
class _Pending:
    rule_key: str
    subject: str
    project: Project
    start: dt.date
    notify_from: dt.date
    stage: str | None = None
    stored_due: Deadline | None = None
    owner_org: int | None = None  # default: the project's organisation
    reviewer_stage: str | None = None
    tracking_reviewers: bool = False


def _reviewers(directory: Directory, stage: str, project: Project) -> tuple[frozenset[int], int]:
    """Who reviews at `stage` (as workflow.core.access's policy puts it) and their organisation."""
    org = project.organisation_id
    if stage in (ReviewStage.head.value, ReviewStage.lead.value):
        return directory.people(Role.head, org), org
    if stage == ReviewStage.supervisor.value:
        department = directory.department_of(org)
        return directory.people(Role.head, department), department
    if stage == ReviewStage.business.value:
        section = directory.section_of(org)
        return directory.people(Role.business, section), section or org
    # Experts are invited per project; the performance section organises them and answers
    # for the expert stage's time.
    role = Role.budget if stage == ReviewStage.budget.value else Role.performance
    people = directory.anywhere(role)
    return people, _organisation_of_any(directory, role, people) or org


def _organisation_of_any(directory: Directory, role: Role, people: Iterable[int]) -> int | None:
    wanted = set(people)
    for (held, org), holders in directory.holders.items():
        if held == role.value and holders & wanted:
            return org
    return None


async def _pending(session: AsyncSession, *, today: dt.date) -> list[_Pending]:
    """Everything open today, before deadlines are computed."""
    found: list[_Pending] = []
    day_after = dt.timedelta(days=1)

    declarations = await session.execute(
        select(Project, BudgetYear.goal_submission_date)
        .join(BudgetYear, BudgetYear.year == Project.year)
        .where(
            BudgetYear.goal_submission_date.is_not(None),
            Project.status.in_([ProjectStatus.draft.value, ProjectStatus.returned.value]),
        )
    )
    for project, submission_date in declarations:
        found.append(
            _Pending(
                deadlines.GOAL_DECLARATION, f"p{project.id}", project, submission_date, dt.date.min
            )
        )

    reviews = await session.execute(
        select(GoalVersion, Project)
        .join(Project, Project.id == GoalVersion.project_id)
        .where(
            GoalVersion.status == GoalVersionStatus.in_review.value,
            GoalVersion.stage.in_([stage.value for stage in deadlines.REVIEWED_STAGES]),
            GoalVersion.stage_entered_at.is_not(None),
        )
    )
    for version, project in reviews:
        entered = local_day(version.stage_entered_at)
        found.append(
            _Pending(
                deadlines.review_rule_key(version.stage),
                f"gv{version.id}.{version.version}",
                project,
                entered,
                entered + day_after,
                stage=version.stage,
                reviewer_stage=version.stage,
            )
        )

    issued = list(
        await session.scalars(select(Project).where(Project.status == ProjectStatus.issued.value))
    )
    tracked = set(
        await session.scalars(
            select(TrackingReport.project_id).where(
                TrackingReport.ad_hoc.is_(False), TrackingReport.status.in_(DONE_REPORTS)
            )
        )
    )
    evaluated = set(
        await session.scalars(
            select(SelfEvaluation.project_id).where(SelfEvaluation.status.in_(DONE_REPORTS))
        )
    )
    for project in issued:
        q3_end, year_end = dt.date(project.year, 9, 30), dt.date(project.year, 12, 31)
        if today >= q3_end and project.id not in tracked:
            found.append(_Pending(deadlines.TRACKING, f"p{project.id}", project, q3_end, q3_end))
        if today > year_end and project.id not in evaluated:
            found.append(
                _Pending(
                    deadlines.SELF_EVALUATION,
                    f"p{project.id}",
                    project,
                    year_end,
                    year_end + day_after,
                )
            )

    submitted = await session.execute(
        select(TrackingReport, Project)
        .join(Project, Project.id == TrackingReport.project_id)
        .where(
            TrackingReport.status == ReportStatus.submitted.value,
            TrackingReport.submitted_at.is_not(None),
        )
    )
    for report, project in submitted:
        sent = local_day(report.submitted_at)
        found.append(
            _Pending(
                deadlines.TRACKING_REVIEW,
                f"tr{report.id}.{report.version}",
                project,
                sent,
                sent + day_after,
                tracking_reviewers=True,
            )
        )

    requests = await session.execute(
        select(RectificationRequest, Project)
        .join(Project, Project.id == RectificationRequest.project_id)
        .where(RectificationRequest.status.in_(OPEN_RECTIFICATIONS))
    )
    for request, project in requests:
        issued_on = local_day(request.issued_at)
        rule = (
            deadlines.RECTIFICATION_PLAN
            if request.source == RectificationSource.evaluation.value
            else deadlines.RECTIFICATION_REPLY
        )
        stored = None
        if request.due_date is not None and not request.due_provisional:
            stored = Deadline(request.due_date, False)
        found.append(
            _Pending(
                rule,
                f"rr{request.id}.{request.version}",
                project,
                issued_on,
                issued_on + day_after,
                stored_due=stored,
            )
        )
    return found


def _resolve(
    pending: _Pending, rules: Mapping[str, Rule], calendar: WorkCalendar, directory: Directory
) -> DueItem:
    project = pending.project
    org = project.organisation_id
    owners, acting_org = directory.doers(org), org
    if pending.reviewer_stage is not None:
        owners, acting_org = _reviewers(directory, pending.reviewer_stage, project)
    elif pending.tracking_reviewers:
        owners, acting_org = _reviewers(directory, ReviewStage.performance.value, project)
    deadline = pending.stored_due or rules[pending.rule_key].deadline(pending.start, calendar)
    return DueItem(
        rule_key=pending.rule_key,
        subject=pending.subject,
        project_id=project.id,
        project_name=project.name,
        year=project.year,
        organisation_id=acting_org,
        department_id=directory.department_of(org),
        owners=owners,
        start=pending.start,
        deadline=deadline,
        notify_from=pending.notify_from,
        stage=pending.stage,
    )


@dataclass(frozen=True)
class DueSnapshot:
    """Everything due, with the calendar and directory it was computed with."""

    items: tuple[DueItem, ...]
    calendar: WorkCalendar
    directory: Directory


async def collect_due_items(session: AsyncSession, *, today: dt.date) -> DueSnapshot:
    """Every open item with its deadline, computed with one calendar load."""
    pending = await _pending(session, today=today)
    rules = await deadlines.load_rules(session)
    directory = await load_directory(session)
    days = [
        today,
        *(p.start for p in pending),
        *(p.stored_due.due for p in pending if p.stored_due is not None),
    ]
    # One year past the latest day covers every rule's reach (at most a few months).
    calendar = await load_calendar(session, years=years_around(*days))
    items = tuple(_resolve(p, rules, calendar, directory) for p in pending)
    return DueSnapshot(items, calendar, directory)
