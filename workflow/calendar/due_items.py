"""What is due, computed from the database: every open item with its deadline and who acts.

Each stage registers what it has open (workflow.calendar.registry); this module reads them
all, the rules, the org chart and the roles in a handful of queries, then computes in pure
code with one `WorkCalendar`, so the reminder sweep and /deadlines agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    BudgetYear,
    CalendarOverride,
    CalendarYear,
    Organisation,
    Person,
    Project,
    ReviewStage,
    Role,
    RoleAssignment,
)
from workflow.calendar import registry, triggers
from workflow.calendar import rules as deadlines
from workflow.calendar.registry import DueSubject, ProjectRef, SweepSkip, skipping_reminded
from workflow.calendar.rules import Rule
from workflow.calendar.workdays import Deadline, WorkCalendar, load_calendar, years_around
from workflow.people.departments import department_in_chart

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Directory:
    """The org chart and who holds which role where (active people, unrevoked roles)."""

    names: Mapping[int, str]
    kinds: Mapping[int, str]
    parents: Mapping[int, int | None]
    sections: Mapping[int, int | None]
    holders: Mapping[tuple[str, int], frozenset[int]]  # (role, organisation) -> people
    by_role: Mapping[str, frozenset[int]]  # role -> people, wherever they hold it
    # Departments already walked up to: a sweep asks for the same ~2,000 for every project.
    _departments: dict[int, int] = field(default_factory=dict, compare=False, repr=False)
    _doers: dict[int, frozenset[int]] = field(default_factory=dict, compare=False, repr=False)

    def people(self, role: Role, organisation_id: int | None) -> frozenset[int]:
        """Who holds `role` in `organisation_id`."""
        if organisation_id is None:
            return frozenset()
        return self.holders.get((role.value, organisation_id), frozenset())

    def anywhere(self, role: Role) -> frozenset[int]:
        """Who holds `role` in any organisation."""
        return self.by_role.get(role.value, frozenset())

    def department_of(self, organisation_id: int) -> int:
        """The budget department of an organisation (a unit's department, walking up); the
        organisation itself for a finance section or a unit whose chain is broken."""
        known = self._departments.get(organisation_id)
        if known is None:
            found = department_in_chart(organisation_id, self.parents, self.kinds)
            known = self._departments[organisation_id] = organisation_id if found is None else found
        return known

    def section_of(self, organisation_id: int) -> int | None:
        """The business section (归口) responsible for an organisation."""
        return self.sections.get(self.department_of(organisation_id))

    def doers(self, organisation_id: int) -> frozenset[int]:
        """Who fills the organisation's forms: its staff, or its heads when it has none."""
        known = self._doers.get(organisation_id)
        if known is None:
            known = self._doers[organisation_id] = self.people(
                Role.staff, organisation_id
            ) or self.people(Role.head, organisation_id)
        return known

    def heads_over(self, organisation_id: int) -> frozenset[int]:
        """Who answers for the organisation's lateness: its heads, or when a unit has none
        registered, the heads of its department (which supervises it)."""
        return self.people(Role.head, organisation_id) or self.people(
            Role.head, self.department_of(organisation_id)
        )


async def load_directory(session: AsyncSession) -> Directory:
    """The org chart and the active role holders, in two queries."""
    names, kinds, parents, sections = {}, {}, {}, {}
    rows = await session.execute(
        select(
            Organisation.id,
            Organisation.name,
            Organisation.kind,
            Organisation.parent_id,
            Organisation.section_id,
        )
    )
    for org, name, kind, parent, section in rows:
        names[org], kinds[org], parents[org], sections[org] = name, kind, parent, section
    holders_rows = await session.execute(
        select(RoleAssignment.role, RoleAssignment.organisation_id, RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.revoked_at.is_(None), Person.active.is_(True))
    )
    holders: dict[tuple[str, int], set[int]] = defaultdict(set)
    for role, organisation_id, person_id in holders_rows:
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


def _reviewers(
    directory: Directory, stage: str, project: Project | ProjectRef
) -> tuple[frozenset[int], int]:
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


async def _pending(session: AsyncSession, *, today: dt.date) -> list[DueSubject]:
    """Everything open today, from every registered stage, before deadlines are computed."""
    return [
        subject
        for _name, source in registry.due_sources()
        async for subject in source(session, today)
    ]


def _clock_start(
    subject: DueSubject, rules: Mapping[str, Rule], skipped: Counter[str]
) -> tuple[Rule, dt.date] | None:
    """The subject's rule and the day its clock started, or None (counted in `skipped`)."""
    rule = rules.get(subject.rule_key)
    if rule is None:
        skipped[f"rule {subject.rule_key!r} is not defined"] += 1
        return None
    if rule.trigger not in triggers.KNOWN_TRIGGERS:
        skipped[f"rule {rule.key!r} names the unknown trigger {rule.trigger!r}"] += 1
        return None
    start = subject.events.get(rule.trigger)
    if start is None:
        skipped[f"rule {rule.key!r} counts from {rule.trigger!r}, which its subjects lack"] += 1
        return None
    return rule, start


def _resolve(
    subject: DueSubject,
    rule: Rule,
    start: dt.date,
    calendar: WorkCalendar,
    directory: Directory,
    deadlines: dict[tuple[str, dt.date], Deadline],
) -> DueItem:
    """The due item: its deadline (a stored one first) and who acts.

    `deadlines` remembers each rule's deadline per start day: a province's projects share a
    handful, so each is computed once a sweep.
    """
    project = subject.project
    org = project.organisation_id
    owners, acting_org = directory.doers(org), org
    if subject.reviewers is not None:
        owners, acting_org = _reviewers(directory, subject.reviewers, project)
    deadline = subject.stored_due
    if deadline is None:
        deadline = deadlines.get((rule.key, start))
        if deadline is None:
            deadline = deadlines[(rule.key, start)] = rule.deadline(start, calendar)
    return DueItem(
        rule_key=subject.rule_key,
        subject=subject.subject,
        project_id=project.id,
        project_name=project.name,
        year=project.year,
        organisation_id=acting_org,
        department_id=directory.department_of(org),
        owners=owners,
        start=start,
        deadline=deadline,
        notify_from=subject.notify_from,
        stage=subject.stage,
    )


@dataclass(frozen=True)
class DueSnapshot:
    """Everything due, with the calendar and directory it was computed with."""

    items: tuple[DueItem, ...]
    calendar: WorkCalendar
    directory: Directory
    basis: str | None = None  # the plan's fingerprint when sources skipped reminded subjects


async def plan_basis(
    session: AsyncSession, *, rules: Mapping[str, Rule], directory: Directory, extra: str
) -> str:
    """A fingerprint of everything besides a subject's own row that decides its reminders:
    the rules, the calendar's overrides and confirmed years, the budget years' dates, who
    holds which role where, and `extra` (the sweep's settings)."""
    overrides = await session.execute(
        select(CalendarOverride.day, CalendarOverride.kind).order_by(CalendarOverride.day)
    )
    confirmed = await session.scalars(select(CalendarYear.year).order_by(CalendarYear.year))
    years = await session.execute(
        select(BudgetYear.year, BudgetYear.goal_submission_date).order_by(BudgetYear.year)
    )
    parts = (
        extra,
        sorted((key, rule.trigger, rule.days, rule.unit) for key, rule in rules.items()),
        list(overrides),
        list(confirmed),
        list(years),
        sorted((role, org, sorted(people)) for (role, org), people in directory.holders.items()),
        sorted(directory.parents.items()),
        sorted(directory.kinds.items()),
        sorted((org, section or 0) for org, section in directory.sections.items()),
    )
    return hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()


async def collect_due_items(
    session: AsyncSession, *, today: dt.date, skip_basis: str | None = None
) -> DueSnapshot:
    """Every open item of every registered stage with its deadline, one calendar load.

    A subject whose rule is missing, names an unknown trigger, or counts from an event the
    subject lacks is left out with a logged warning: one stage's bad rule must not stop
    everyone else's reminders. With `skip_basis` (the reminder sweep's settings), sources
    leave out the subjects whose current reminders were queued under the same fingerprint.
    """
    rules = await deadlines.load_rules(session)
    directory = await load_directory(session)
    basis = None
    if skip_basis is None:
        subjects = await _pending(session, today=today)
    else:
        basis = await plan_basis(session, rules=rules, directory=directory, extra=skip_basis)
        with skipping_reminded(SweepSkip(today, basis)):
            subjects = await _pending(session, today=today)
    skipped: Counter[str] = Counter()
    started = [
        (subject, *found)
        for subject in subjects
        if (found := _clock_start(subject, rules, skipped)) is not None
    ]
    for reason, count in skipped.items():
        logger.warning("deadline skipped for %d item(s): %s", count, reason)
    days = {
        today,
        *(start for _subject, _rule, start in started),
        *(s.stored_due.due for s, _rule, _start in started if s.stored_due is not None),
    }
    # One year past the latest day covers every rule's reach (at most a few months).
    calendar = await load_calendar(session, years=years_around(*days))
    remembered: dict[tuple[str, dt.date], Deadline] = {}
    items = tuple(
        _resolve(subject, rule, start, calendar, directory, remembered)
        for subject, rule, start in started
    )
    return DueSnapshot(items, calendar, directory, basis)
