"""`perfbot calendar import|show` and `perfbot year set`: the working calendar and year dates.

The command line acts as the administrator at the terminal (`workflow.core.access.TERMINAL`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.cli.db import run_with_database
from bot.cli.text import cli_text
from bot.config import Settings
from workflow.calendar.admin import YearDates, import_calendar, set_year_dates, show_year
from workflow.calendar.workdays import CalendarImport, YearCalendar
from workflow.core.access import TERMINAL
from workflow.forms.parsers import ParseError, parse_date


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _import_report(result: CalendarImport) -> str:
    if result.ok:
        years = "、".join(str(year) for year in result.years)
        done = cli_text(
            "calendar_imported", imported=result.imported, replaced=result.replaced, years=years
        )
        # A partial file never makes a year official by itself: say so, and how to confirm.
        follow = "calendar_import_complete" if result.complete else "calendar_import_partial"
        return f"{done}\n{cli_text(follow, years=years)}"
    lines = [cli_text("calendar_import_refused", count=len(result.problems))]
    for problem in result.problems:
        reason = cli_text(f"calendar_reason_{problem.reason}")
        if problem.line:
            lines.append(
                cli_text(
                    "calendar_problem_line", line=problem.line, reason=reason, text=problem.text
                )
            )
        else:
            lines.append(f"  {reason}")
    return "\n".join(lines)


def cmd_calendar_import(settings: Settings, args: argparse.Namespace) -> int:
    """Load the official schedule from a `date,kind` CSV, all of it or nothing."""
    path = Path(args.file)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return _fail(cli_text("calendar_file_unreadable", path=path, detail=exc.strerror))
    except UnicodeDecodeError:
        return _fail(cli_text("calendar_file_not_utf8", path=path))
    result = run_with_database(
        settings,
        lambda db: import_calendar(
            db, actor=TERMINAL, text=text, note=args.note, complete=args.complete
        ),
    )
    if isinstance(result, str):
        return _fail(result)
    if not result.ok:
        return _fail(_import_report(result))
    print(_import_report(result))
    return 0


def date_ranges(days: Sequence[dt.date]) -> str:
    """`02-15 至 02-23；10-01 至 10-07`: consecutive days folded into ranges."""
    parts: list[str] = []
    start = previous = None
    for day in sorted(days):
        if previous is not None and day - previous == dt.timedelta(days=1):
            previous = day
            continue
        if start is not None:
            parts.append(_range(start, previous))
        start = previous = day
    if start is not None:
        parts.append(_range(start, previous))
    return "；".join(parts) or "-"


def _range(start: dt.date, end: dt.date | None) -> str:
    if end is None or end == start:
        return start.strftime("%m-%d")
    return f"{start:%m-%d} 至 {end:%m-%d}"


def _year_report(status: YearCalendar) -> str:
    if status.source == "unknown":
        return cli_text("calendar_year_unknown", year=status.year)
    return cli_text(
        "calendar_year",
        year=status.year,
        source=cli_text(f"calendar_source_{status.source.replace('+', '_')}"),
        overrides=status.override_count,
        holiday_count=len(status.holidays),
        holidays=date_ranges(status.holidays),
        workday_count=len(status.workdays),
        workdays=date_ranges(status.workdays),
    )


def cmd_calendar_show(settings: Settings, args: argparse.Namespace) -> int:
    """Print a year's weekdays off and worked weekend days, and where they come from."""
    result = run_with_database(settings, lambda db: show_year(db, year=args.year))
    if isinstance(result, str):
        return _fail(result)
    print(_year_report(result))
    return 0


def _optional_date(text: str | None) -> dt.date | None:
    return None if text is None else parse_date(text)


def cmd_year_set(settings: Settings, args: argparse.Namespace) -> int:
    """Set a budget year's goal submission (一上) and People's Congress dates."""
    try:
        submission = _optional_date(args.goal_submission_date)
        congress = _optional_date(args.congress_date)
    except ParseError:
        return _fail(cli_text("year_bad_date"))
    if submission is None and congress is None:
        return _fail(cli_text("year_nothing_to_set"))
    result = run_with_database(
        settings,
        lambda db: set_year_dates(
            db,
            actor=TERMINAL,
            year=args.year,
            goal_submission_date=submission,
            congress_date=congress,
        ),
    )
    if isinstance(result, str):
        return _fail(result)
    print(_year_dates_report(result))
    return 0


def _year_dates_report(dates: YearDates) -> str:
    unset = cli_text("year_date_unset")
    return cli_text(
        "year_dates_set",
        year=dates.year,
        goal_submission_date=dates.goal_submission_date or unset,
        congress_date=dates.congress_date or unset,
    )


def register(sub: Any) -> None:
    """Add `calendar import|show` and `year set` to the `perfbot` parser."""
    calendar = sub.add_parser("calendar", help="working days: load the official schedule, show")
    actions = calendar.add_subparsers(dest="calendar", required=True)
    load = actions.add_parser("import", help="load date,kind rows (kind: workday or holiday)")
    load.add_argument("file", help="CSV file, UTF-8, one `date,kind` per line")
    load.add_argument("--note", default=None, help="where the schedule comes from")
    load.add_argument(
        "--complete",
        action="store_true",
        help="the file holds the years' whole official schedule: mark them official",
    )
    load.set_defaults(func=cmd_calendar_import)
    show = actions.add_parser("show", help="a year's holidays and worked weekend days")
    show.add_argument("year", type=int)
    show.set_defaults(func=cmd_calendar_show)
    year = sub.add_parser("year", help="a budget year's dates")
    year_actions = year.add_subparsers(dest="year_command", required=True)
    dates = year_actions.add_parser("set", help="set the goal submission / congress dates")
    dates.add_argument("year", type=int)
    dates.add_argument("--goal-submission-date", default=None, help="一上 date, YYYY-MM-DD")
    dates.add_argument("--congress-date", default=None, help="人代会 date, YYYY-MM-DD")
    dates.set_defaults(func=cmd_year_set)
