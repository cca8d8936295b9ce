"""`perfbot calendar import|show` and `perfbot year set`, as an administrator types them.

The command line opens its own database from DATABASE_URL, so these run on a SQLite file;
the workflow underneath is tested on both databases in test_calendar and test_deadlines.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.__main__ import main


@pytest.fixture
def cli_database(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.chdir(tmp_path)  # no stray .env
    return path


def test_a_bad_file_imports_nothing_and_names_every_bad_line(
    cli_database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,kind\n2027-01-01,holiday\n2027-02-30,holiday\n2027-02-06,上班\n2027-01-01,holiday\n",
        encoding="utf-8",
    )
    assert main(["calendar", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "3 处问题，没有载入任何内容" in err
    assert "第 3 行：日期不对" in err
    assert "第 4 行：类型应为 workday" in err
    assert "第 5 行：这个日期前面已经出现过" in err
    assert main(["calendar", "show", "2027"]) == 0
    assert "2027 年：节假日安排尚未载入" in capsys.readouterr().out


def test_importing_the_official_schedule(
    cli_database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = tmp_path / "2027.csv"
    schedule.write_bytes(
        "\ufeffdate,kind\n2027-01-01,holiday\n2027-02-06,workday\n2027-02-08,holiday\n"
        "2027-02-09,holiday\n2027-02-10,holiday\n".encode()
    )
    assert main(["calendar", "import", str(schedule), "--note", "国办发明电"]) == 0
    out = capsys.readouterr().out
    assert "已载入 5 天" in out and "2027 年尚未确认为完整的节假日安排" in out
    assert main(["calendar", "show", "2027"]) == 0  # part of a year: not official by itself
    assert "2027 年：管理员载入了部分日期，尚未确认为完整安排" in capsys.readouterr().out

    assert main(["calendar", "import", str(schedule), "--complete"]) == 0
    assert "已确认 2027 年为完整的节假日安排" in capsys.readouterr().out
    assert main(["calendar", "show", "2027"]) == 0
    out = capsys.readouterr().out
    assert "2027 年：管理员载入的安排" in out
    assert "工作日放假 4 天：01-01；02-08 至 02-10" in out
    assert "周末调休上班 1 天：02-06" in out


def test_show_a_year_the_library_knows(
    cli_database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calendar", "show", "2026"]) == 0
    out = capsys.readouterr().out
    assert "10-01 至 10-02；10-05 至 10-07" in out  # National Day's weekdays
    assert "09-20" in out and "10-10" in out  # the worked Sunday and Saturday


def test_year_set(cli_database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["year", "set", "2027", "--goal-submission-date", "2026-10-20"]) == 0
    assert "一上日期 2026-10-20；人代会日期 未设置" in capsys.readouterr().out
    assert main(["year", "set", "2027", "--congress-date", "2027年1月15日"]) == 0
    assert "一上日期 2026-10-20；人代会日期 2027-01-15" in capsys.readouterr().out
    assert main(["year", "set", "2027", "--congress-date", "soon"]) == 1
    assert "日期不对" in capsys.readouterr().err
    assert main(["year", "set", "2027"]) == 1
