"""The org chart from a CSV file: check every row, then import all of it or nothing.

Columns `code,name,kind,parent,section` (UTF-8, with or without BOM; the header is line 1).
A unit's `parent` is its supervising department (or a unit under one); a department's
`section` is the business section responsible for it (归口). Codes link rows to each other
and to organisations already in the database; organisations missing from the file are left
as they are, so a file may also add or edit a few rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Organisation, OrgKind, values
from storage.types import utcnow
from workflow.core import access, audit
from workflow.core.access import Action, Actor
from workflow.people import chart as org_chart

COLUMNS = ("code", "name", "kind", "parent", "section")
KINDS = frozenset(values(OrgKind))
MAX_CODE = 64
MAX_NAME = 200


class Problem(StrEnum):
    """What can be wrong with a row (the administrator reads them in cli.toml)."""

    not_utf8 = "not_utf8"
    missing_columns = "missing_columns"
    empty_file = "empty_file"
    empty_code = "empty_code"
    bad_code = "bad_code"
    empty_name = "empty_name"
    long_name = "long_name"
    unknown_kind = "unknown_kind"
    duplicate_code = "duplicate_code"
    missing_parent = "missing_parent"
    unknown_parent = "unknown_parent"
    parent_not_department = "parent_not_department"
    parent_not_allowed = "parent_not_allowed"
    missing_section = "missing_section"
    unknown_section = "unknown_section"
    section_not_business = "section_not_business"
    section_not_allowed = "section_not_allowed"
    cycle = "cycle"
    still_referenced = "still_referenced"  # an organisation not in the file relies on this row


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One thing wrong, at a line of the file; `value` is the offending text."""

    line: int
    problem: Problem
    code: str = ""
    value: str = ""


@dataclass(frozen=True, slots=True)
class OrgRow:
    """A row as read from the file."""

    line: int
    code: str
    name: str
    kind: str
    parent: str
    section: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What the import did, or why it did nothing."""

    problems: tuple[RowProblem, ...] = ()
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        """True when the file was imported."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class _Node:
    """An organisation as it will be after the import: file rows over the database."""

    kind: str
    parent: str
    section: str
    line: int | None  # None: in the database only


def read_rows(data: bytes) -> tuple[list[OrgRow], list[RowProblem]]:
    """Decode and split the file; problems here stop before any row is checked."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [RowProblem(line, Problem.not_utf8)]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if not any(header):
        return [], [RowProblem(1, Problem.empty_file)]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        return [], [RowProblem(1, Problem.missing_columns, value=",".join(missing))]
    position = {column: header.index(column) for column in COLUMNS}
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        values = {c: cells[i].strip() if i < len(cells) else "" for c, i in position.items()}
        rows.append(OrgRow(line=reader.line_num, **values))
    return rows, []


def check_rows(rows: Sequence[OrgRow], existing: Mapping[str, _Node]) -> list[RowProblem]:
    """Every problem of every row, checked against the file and the database together."""
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    chart = dict(existing)
    valid: list[OrgRow] = []
    for row in rows:
        own = _field_problems(row)
        if row.code and row.code in first_line:
            own.append(
                RowProblem(row.line, Problem.duplicate_code, row.code, str(first_line[row.code]))
            )
        problems += own
        if row.code:
            first_line.setdefault(row.code, row.line)
        if not own:
            chart[row.code] = _Node(row.kind, row.parent, row.section, row.line)
            valid.append(row)
    invalid = set(first_line) - {row.code for row in valid}
    for row in valid:
        # A link to a row that is itself wrong is reported once, at that row.
        links = _link_problems(row.code, chart[row.code], chart)
        problems += [p for p in links if p.value not in invalid]
    problems += _cycle_problems(chart)
    problems += _broken_by_file(existing, chart)
    return sorted(problems, key=lambda p: (p.line, p.problem))


def _field_problems(row: OrgRow) -> list[RowProblem]:
    """Problems of a row on its own."""
    found = []
    if not row.code:
        found.append(RowProblem(row.line, Problem.empty_code))
    elif len(row.code) > MAX_CODE or any(ch.isspace() for ch in row.code):
        found.append(RowProblem(row.line, Problem.bad_code, row.code, row.code))
    if not row.name:
        found.append(RowProblem(row.line, Problem.empty_name, row.code))
    elif len(row.name) > MAX_NAME:
        found.append(RowProblem(row.line, Problem.long_name, row.code))
    if row.kind not in KINDS:
        found.append(RowProblem(row.line, Problem.unknown_kind, row.code, row.kind))
    return found


def _link_problems(code: str, node: _Node, chart: Mapping[str, _Node]) -> list[RowProblem]:
    """Problems with the parent and section of one organisation."""
    line = node.line or 0
    found = []
    if node.kind == OrgKind.unit:
        if not node.parent:
            found.append(RowProblem(line, Problem.missing_parent, code))
        elif node.parent not in chart:
            found.append(RowProblem(line, Problem.unknown_parent, code, node.parent))
        elif chart[node.parent].kind not in (OrgKind.department, OrgKind.unit):
            found.append(RowProblem(line, Problem.parent_not_department, code, node.parent))
    elif node.parent:
        found.append(RowProblem(line, Problem.parent_not_allowed, code, node.parent))
    if node.kind == OrgKind.department:
        if not node.section:
            found.append(RowProblem(line, Problem.missing_section, code))
        elif node.section not in chart:
            found.append(RowProblem(line, Problem.unknown_section, code, node.section))
        elif chart[node.section].kind != OrgKind.business_section:
            found.append(RowProblem(line, Problem.section_not_business, code, node.section))
    elif node.section:
        found.append(RowProblem(line, Problem.section_not_allowed, code, node.section))
    return found


def _cycle_problems(chart: Mapping[str, _Node]) -> list[RowProblem]:
    """Units that are, through their parents, their own parent."""
    in_cycle: set[str] = set()
    settled: set[str] = set()  # known to end at a department, a gap, or a known cycle
    for start in chart:
        path: list[str] = []
        code = start
        while code in chart and chart[code].kind == OrgKind.unit and code not in settled:
            if code in path:
                in_cycle.update(path[path.index(code) :])
                break
            path.append(code)
            code = chart[code].parent
        settled.update(path)
    return [
        RowProblem(chart[code].line or 0, Problem.cycle, code, chart[code].parent)
        for code in sorted(in_cycle)
        if chart[code].line is not None
    ]


def _broken_by_file(existing: Mapping[str, _Node], chart: Mapping[str, _Node]) -> list[RowProblem]:
    """Organisations kept from the database whose parent or section the file re-kinds."""
    found = []
    for code, node in existing.items():
        if chart[code].line is not None:
            continue  # the file restates it; its own row was checked
        for problem in _link_problems(code, node, chart):
            target = chart.get(problem.value)
            if target is not None and target.line is not None:
                found.append(RowProblem(target.line, Problem.still_referenced, problem.value, code))
    return found


async def import_orgchart(
    db: Database, *, actor: Actor, data: bytes, now: dt.datetime | None = None
) -> ImportResult:
    """Check the whole file and import it in one transaction, or report why not."""
    now = now or utcnow()
    rows, problems = read_rows(data)
    if problems:
        return ImportResult(problems=tuple(problems))
    async with db.transaction() as session:
        await access.authorize(session, actor, Action.IMPORT_ORGCHART, object_type="orgchart")
        stored = {org.code: org for org in await session.scalars(select(Organisation))}
        existing = _existing_chart(stored)
        problems = check_rows(rows, existing)
        if problems:
            return ImportResult(problems=tuple(problems))
        result = await _write(session, rows, stored, existing, now)
        audit.record(
            session,
            action="org_import",
            actor_id=actor.person_id,
            object_type="orgchart",
            detail={"rows": len(rows), "created": result.created, "updated": result.updated},
        )
    org_chart.forget()  # this process's cached chart; others see the stamp change
    return result


def _existing_chart(stored: Mapping[str, Organisation]) -> dict[str, _Node]:
    """The database's organisations as chart nodes, linked by code."""
    code_of = {org.id: code for code, org in stored.items()}
    return {
        code: _Node(
            org.kind,
            code_of.get(org.parent_id, "") if org.parent_id else "",
            code_of.get(org.section_id, "") if org.section_id else "",
            None,
        )
        for code, org in stored.items()
    }


async def _write(
    session: AsyncSession,
    rows: Sequence[OrgRow],
    stored: dict[str, Organisation],
    existing: Mapping[str, _Node],
    now: dt.datetime,
) -> ImportResult:
    """Insert and update level by level, so links always point at flushed rows."""
    chart = dict(existing) | {r.code: _Node(r.kind, r.parent, r.section, r.line) for r in rows}
    created = updated = 0
    for level in _levels(rows, chart):
        for row in level:
            parent_id = stored[row.parent].id if row.parent else None
            section_id = stored[row.section].id if row.section else None
            wanted = {
                "name": row.name,
                "kind": row.kind,
                "parent_id": parent_id,
                "section_id": section_id,
            }
            org = stored.get(row.code)
            if org is None:
                org = Organisation(code=row.code, **wanted)
                session.add(org)
                stored[row.code] = org
                created += 1
            elif any(getattr(org, key) != value for key, value in wanted.items()):
                for key, value in wanted.items():
                    setattr(org, key, value)
                org.updated_at = now
                updated += 1
        await session.flush()
    return ImportResult(created=created, updated=updated, unchanged=len(rows) - created - updated)


def _levels(rows: Sequence[OrgRow], chart: Mapping[str, _Node]) -> list[list[OrgRow]]:
    """Rows grouped by depth: sections, then departments, then units level by level."""
    depth: dict[str, int] = {}
    for row in rows:
        path = [row.code]
        while chart[path[-1]].kind == OrgKind.unit and path[-1] not in depth:
            path.append(chart[path[-1]].parent)  # checked: acyclic, ends at a department
        top = path.pop()
        level = depth.setdefault(top, _base_depth(chart[top].kind))
        for code in reversed(path):
            level += 1
            depth[code] = level
    levels: dict[int, list[OrgRow]] = {}
    for row in rows:
        levels.setdefault(depth[row.code], []).append(row)
    return [levels[d] for d in sorted(levels)]


def _base_depth(kind: str) -> int:
    """Finance sections first, then departments."""
    return 1 if kind == OrgKind.department else 0
