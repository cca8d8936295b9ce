"""Org chart import: all or nothing, every bad row with its line, idempotent, 2,000 rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.__main__ import main
from storage.db import Database
from storage.models import AuditEntry, Organisation, Role
from workflow.core.access import TERMINAL, AccessDenied, Actor
from workflow.people.orgchart import Problem, import_orgchart

HEADER = "code,name,kind,parent,section\n"
BUREAU = (
    HEADER
    + "S01,行政政法科,business_section,,\n"
    + "S02,教科文科,business_section,,\n"
    + "P01,绩效管理科,performance_section,,\n"
    + "B01,预算科,budget_section,,\n"
    + "D01,市司法局,department,,S01\n"
    + "D02,市教育局,department,,S02\n"
    + "U01,市公证处,unit,D01,\n"
    + "U02,市第一中学,unit,D02,\n"
)


async def _import(db: Database, text: str, *, bom: bool = False, actor: Actor = TERMINAL):
    data = text.encode("utf-8")
    return await import_orgchart(db, actor=actor, data=(b"\xef\xbb\xbf" + data) if bom else data)


async def _chart(db: Database) -> dict[str, tuple[str, str, str | None, str | None]]:
    """code -> (name, kind, parent code, section code) as stored."""
    async with db.sessions() as session:
        orgs = list(await session.scalars(select(Organisation)))
    code_of = {o.id: o.code for o in orgs}
    return {
        o.code: (o.name, o.kind, code_of.get(o.parent_id), code_of.get(o.section_id)) for o in orgs
    }


async def test_a_bureau_is_imported_with_its_links(database: Database) -> None:
    result = await _import(database, BUREAU, bom=True)
    assert (result.ok, result.created, result.updated, result.unchanged) == (True, 8, 0, 0)
    chart = await _chart(database)
    assert chart["D01"] == ("市司法局", "department", None, "S01")
    assert chart["U02"] == ("市第一中学", "unit", "D02", None)
    assert chart["P01"] == ("绩效管理科", "performance_section", None, None)
    async with database.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "org_import"))
    assert entry.detail == {"rows": 8, "created": 8, "updated": 0}


async def test_reimporting_the_same_file_changes_nothing(database: Database) -> None:
    await _import(database, BUREAU)
    before = await _chart(database)
    async with database.sessions() as session:
        stamps = {o.code: o.updated_at for o in await session.scalars(select(Organisation))}
    again = await _import(database, BUREAU, bom=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    assert await _chart(database) == before
    async with database.sessions() as session:
        assert {o.code: o.updated_at for o in await session.scalars(select(Organisation))} == stamps


async def test_an_edited_file_updates_names_and_links_without_duplicates(
    database: Database,
) -> None:
    await _import(database, BUREAU)
    edited = (
        BUREAU.replace("市司法局,department,,S01", "市司法局（新）,department,,S02").replace(
            "市第一中学,unit,D02,", "市第一中学,unit,D01,"
        )
        + "U03,市法律援助中心,unit,U01,\n"
    )
    result = await _import(database, edited)
    assert (result.created, result.updated, result.unchanged) == (1, 2, 6)
    chart = await _chart(database)
    assert len(chart) == 9
    assert chart["D01"] == ("市司法局（新）", "department", None, "S02")
    assert chart["U02"][2] == "D01"
    assert chart["U03"] == ("市法律援助中心", "unit", "U01", None)


async def test_a_partial_file_may_link_to_organisations_already_stored(
    database: Database,
) -> None:
    await _import(database, BUREAU)
    result = await _import(
        database, HEADER + "U10,市少年宫,unit,D02,\nD10,市文旅局,department,,S02\n"
    )
    assert (result.ok, result.created) == (True, 2)
    assert (await _chart(database))["U10"][2] == "D02"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("X1,某单位,agency,,\n", [(2, Problem.unknown_kind, "X1", "agency")]),
        ("U1,某单位,unit,,\n", [(2, Problem.missing_parent, "U1", "")]),
        ("U1,某单位,unit,D99,\n", [(2, Problem.unknown_parent, "U1", "D99")]),
        ("U1,某单位,unit,S01,\n", [(2, Problem.parent_not_department, "U1", "S01")]),
        ("D9,某部门,department,D01,S01\n", [(2, Problem.parent_not_allowed, "D9", "D01")]),
        ("D9,某部门,department,,\n", [(2, Problem.missing_section, "D9", "")]),
        ("D9,某部门,department,,S99\n", [(2, Problem.unknown_section, "D9", "S99")]),
        ("D9,某部门,department,,P01\n", [(2, Problem.section_not_business, "D9", "P01")]),
        ("U9,某单位,unit,D01,S01\n", [(2, Problem.section_not_allowed, "U9", "S01")]),
        ("D9,某部门,department,,S01\n" * 2, [(3, Problem.duplicate_code, "D9", "2")]),
        (",无代码,department,,S01\n", [(2, Problem.empty_code, "", "")]),
        ("A B,有空格,department,,S01\n", [(2, Problem.bad_code, "A B", "A B")]),
        ("D9,,department,,S01\n", [(2, Problem.empty_name, "D9", "")]),
        (
            "UA,甲,unit,UB,\nUB,乙,unit,UC,\nUC,丙,unit,UA,\nUD,丁,unit,UA,\n",
            [
                (2, Problem.cycle, "UA", "UB"),
                (3, Problem.cycle, "UB", "UC"),
                (4, Problem.cycle, "UC", "UA"),
            ],
        ),
        ("UA,甲,unit,UA,\n", [(2, Problem.cycle, "UA", "UA")]),
    ],
)
async def test_a_bad_row_is_reported_at_its_line_and_nothing_is_imported(
    database: Database, rows: str, expected: list[tuple[int, Problem, str, str]]
) -> None:
    sections = "S01,行政政法科,business_section,,\nP01,绩效管理科,performance_section,,\n"
    departments = "D01,市司法局,department,,S01\n"
    # The bad rows come first, right under the header, so their line numbers are known.
    result = await _import(database, HEADER + rows + sections + departments)
    assert not result.ok
    assert [(p.line, p.problem, p.code, p.value) for p in result.problems] == expected
    assert await _chart(database) == {}


async def test_every_bad_row_is_reported_at_once(database: Database) -> None:
    text = (
        HEADER
        + "S01,科,business_section,,\nX,甲,bad,,\nD1,乙,department,,\nD1,丙,department,,S01\n"
    )
    result = await _import(database, text)
    assert [(p.line, p.problem) for p in result.problems] == [
        (3, Problem.unknown_kind),
        (4, Problem.missing_section),
        (5, Problem.duplicate_code),
    ]


async def test_a_row_that_is_wrong_is_not_blamed_again_on_its_children(
    database: Database,
) -> None:
    text = HEADER + "D1,甲,agency,,S01\nU1,乙,unit,D1,\n"
    result = await _import(database, text)
    assert [(p.line, p.problem) for p in result.problems] == [(2, Problem.unknown_kind)]


async def test_rekinding_a_section_still_used_by_stored_departments_is_refused(
    database: Database,
) -> None:
    await _import(database, BUREAU)
    result = await _import(database, HEADER + "S02,教科文科,performance_section,,\n")
    assert [(p.line, p.problem, p.code, p.value) for p in result.problems] == [
        (2, Problem.still_referenced, "S02", "D02")
    ]
    assert (await _chart(database))["S02"][1] == "business_section"


async def test_a_file_that_is_not_utf8_says_so_with_the_line(database: Database) -> None:
    data = (HEADER + "S01,行政政法科,business_section,,\n").encode("gbk")
    result = await import_orgchart(database, actor=TERMINAL, data=data)
    assert [(p.line, p.problem) for p in result.problems] == [(2, Problem.not_utf8)]


async def test_missing_columns_are_named(database: Database) -> None:
    result = await _import(database, "code,name,kind\nS01,科,business_section\n")
    assert [(p.line, p.problem, p.value) for p in result.problems] == [
        (1, Problem.missing_columns, "parent,section")
    ]


async def test_only_the_administrator_imports(database: Database) -> None:
    staff = Actor(person_id=None, name="经办人", roles=frozenset({(Role.staff, 1)}))
    with pytest.raises(AccessDenied):
        await _import(database, BUREAU, actor=staff)
    assert await _chart(database) == {}


def _large_chart(departments: int = 500, units_each: int = 3) -> str:
    """20 business sections, `departments` departments with `units_each` units each."""
    lines = [HEADER.strip(), "P01,绩效管理科,performance_section,,", "B01,预算科,budget_section,,"]
    lines += [f"S{s:02d},业务科室{s},business_section,," for s in range(20)]
    for d in range(departments):
        lines.append(f"D{d:04d},部门{d},department,,S{d % 20:02d}")
        lines += [f"U{d:04d}-{u},部门{d}所属单位{u},unit,D{d:04d}," for u in range(units_each)]
    return "\n".join(lines) + "\n"


async def test_two_thousand_organisations_import_and_reimport(database: Database) -> None:
    text = _large_chart()
    first = await _import(database, text)
    assert (first.ok, first.created) == (True, 2022)
    again = await _import(database, text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2022)
    chart = await _chart(database)
    assert len(chart) == 2022
    assert chart["U0499-2"] == ("部门499所属单位2", "unit", "D0499", None)
    assert chart["D0499"][3] == "S19"


# --- the command line (SQLite: the command opens the database by its URL) --------------------


def _perfbot(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    return main(list(argv))


def test_the_command_imports_and_reports_bad_rows_with_line_numbers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sqlite_template: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    database_file = tmp_path / "cli.db"
    database_file.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite+aiosqlite:///{database_file}"
    good, bad = tmp_path / "org.csv", tmp_path / "bad.csv"
    good.write_bytes(b"\xef\xbb\xbf" + BUREAU.encode())
    bad.write_text(HEADER + "D9,某部门,department,,\nU9,某单位,unit,,\n", encoding="utf-8")

    code = _perfbot(monkeypatch, url, "org", "import", str(bad))
    err = capsys.readouterr().err
    assert code == 1
    assert "第 2 行" in err and "D9" in err and "第 3 行" in err and "U9" in err
    assert "没有导入任何内容" in err

    assert _perfbot(monkeypatch, url, "org", "import", str(good)) == 0
    assert "新增 8 个" in capsys.readouterr().out
    assert _perfbot(monkeypatch, url, "org", "import", str(good)) == 0
    assert "新增 0 个，更新 0 个，未变 8 个" in capsys.readouterr().out


def test_the_command_says_when_the_schema_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    csv_file = tmp_path / "org.csv"
    csv_file.write_text(BUREAU, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    code = _perfbot(monkeypatch, url, "org", "import", str(csv_file))
    assert code == 2
    assert "perfbot db upgrade" in capsys.readouterr().err
