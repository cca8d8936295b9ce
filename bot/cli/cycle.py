"""`perfbot cycle open tracking|evaluation --year Y`: open a stage of the yearly cycle.

The command line acts as the administrator at the terminal (`workflow.core.access.TERMINAL`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.db import run_with_database
from bot.cli.text import cli_text
from bot.config import Settings
from workflow.core.access import TERMINAL
from workflow.evaluation.opening import open_evaluation
from workflow.tracking.opening import open_tracking


def cmd_open_tracking(settings: Settings, args: argparse.Namespace) -> int:
    """Open the year's Q3 tracking: one task per issued project, once."""
    result = run_with_database(
        settings, lambda db: open_tracking(db, actor=TERMINAL, year=args.year)
    )
    if isinstance(result, str):
        print(result, file=sys.stderr)
        return 1
    print(
        cli_text(
            "tracking_opened", year=args.year, opened=len(result.opened), existing=result.existing
        )
    )
    return 0


def cmd_open_evaluation(settings: Settings, args: argparse.Namespace) -> int:
    """Open the year's self-evaluation: one per issued project, once."""
    result = run_with_database(
        settings, lambda db: open_evaluation(db, actor=TERMINAL, year=args.year)
    )
    if isinstance(result, str):
        print(result, file=sys.stderr)
        return 1
    print(
        cli_text(
            "evaluation_opened",
            year=args.year,
            opened=len(result.opened),
            existing=result.existing,
        )
    )
    return 0


def register(sub: Any) -> None:
    """Add `cycle open tracking` and `cycle open evaluation` to the `perfbot` parser."""
    cycle = sub.add_parser("cycle", help="open a stage of the yearly cycle")
    stages = cycle.add_subparsers(dest="cycle", required=True)
    opening = stages.add_parser("open", help="open a stage for a year")
    which = opening.add_subparsers(dest="stage", required=True)
    tracking = which.add_parser("tracking", help="the Q3 tracking: a task per issued project")
    tracking.add_argument("--year", type=int, required=True)
    tracking.set_defaults(func=cmd_open_tracking)
    evaluation = which.add_parser(
        "evaluation", help="the self-evaluation: one per issued project, after the year"
    )
    evaluation.add_argument("--year", type=int, required=True)
    evaluation.set_defaults(func=cmd_open_evaluation)
