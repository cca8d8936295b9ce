"""`perfbot evaluation sample --year Y --share 0.2 --seed S`: re-draw a spot-check sample.

Prints the population (how many submitted self-evaluations, and their hash), then the
projects the rule and seed draw, in the order the chat lists them, so anyone can check a
sample finance kept was drawn, not picked. Writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.cli.db import run_with_database
from bot.cli.text import cli_text
from bot.config import Settings
from workflow.forms.spec import Problem
from workflow.results.sampling import STRATIFY, SampleRule
from workflow.results.selection import preview


def _share(text: str) -> Decimal:
    """0.2 or 20%."""
    try:
        value = Decimal(text.rstrip("%"))
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(cli_text("sample_bad_share", value=text)) from exc
    return value / 100 if text.endswith("%") else value


def cmd_evaluation_sample(settings: Settings, args: argparse.Namespace) -> int:
    """Re-draw the sample and print it."""
    rule = SampleRule(seed=args.seed, share=args.share, count=args.count, stratify=args.by)
    result = run_with_database(settings, lambda db: preview(db, year=args.year, rule=rule))
    if isinstance(result, str):
        print(result, file=sys.stderr)
        return 1
    if isinstance(result, Problem):
        print(cli_text(f"sample_problem_{result.code}", year=args.year), file=sys.stderr)
        return 2
    print(
        cli_text(
            "sample_header",
            year=args.year,
            population=result.population,
            hash=result.population_hash,
            seed=rule.seed,
            count=len(result.chosen),
        )
    )
    for candidate in result.chosen:
        print(f"{candidate.project_id}\t{candidate.department}\t{candidate.project}")
    return 0


def register(actions: Any) -> None:
    """Add `evaluation sample` to the `perfbot evaluation` parser."""
    sample = actions.add_parser("sample", help="re-draw a spot-check sample (writes nothing)")
    sample.add_argument("--year", type=int, required=True)
    size = sample.add_mutually_exclusive_group(required=True)
    size.add_argument("--share", type=_share, help="a share of the population: 0.2 or 20%%")
    size.add_argument("--count", type=int, help="a number of projects")
    sample.add_argument("--seed", required=True, help="the seed the sample was drawn with")
    sample.add_argument("--by", choices=STRATIFY, default="none", help="stratification")
    sample.set_defaults(func=cmd_evaluation_sample)
