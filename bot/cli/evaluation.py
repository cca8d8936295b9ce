"""`perfbot evaluation score FILE.csv`: score a 自评表 from a CSV file, without a database.

Columns: level1,name,sign,target,actual,weight,band,score,applicable (UTF-8, BOM allowed).
The 预算执行率 row uses ≥ with target = 全年预算数 and actual = 全年执行数. Every bad line is
named at once; nothing is scored until the whole file is right.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.cli import sample
from bot.cli.text import cli_text
from bot.config import Settings
from storage.models.enums import IndicatorSign, QualitativeBand
from workflow.evaluation.scoring import (
    ExecutionInput,
    IndicatorInput,
    ScoredRow,
    ScoringError,
    band_name,
    check_weights,
    execution_row_name,
    field_name,
    grade_of,
    score_execution,
    score_indicator,
    shown,
    total_of,
)
from workflow.forms.parsers import ParseError, normalise, parse_number, parse_yes_no
from workflow.goals.indicator_tree import LEVEL1_ORDER

COLUMNS = ("level1", "name", "sign", "target", "actual", "weight", "band", "score", "applicable")
BAD_FILE = 2


class LineProblem(ValueError):
    """A line cannot be read; `reason` is the message already worded."""

    def __init__(self, key: str, **values: Any) -> None:
        self.reason = cli_text(f"score_reason_{key}", **values)
        super().__init__(self.reason)


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One line of the file, read: the execution row or an indicator row."""

    number: int
    name: str
    execution: ExecutionInput | None = None
    indicator: IndicatorInput | None = None


def _number(record: Mapping[str, str], column: str, name: str) -> Decimal | None:
    """A column's number, None when empty."""
    text = record[column].strip()
    if not text:
        return None
    try:
        return parse_number(text)
    except ParseError as exc:
        key = "negative" if exc.code == "negative" else "not_a_number"
        raise LineProblem(key, name=name, column=field_name(column), value=text) from exc


def _sign(text: str, name: str) -> IndicatorSign:
    # ">=" and "<=" are how a keyboard without ≥ ≤ writes them.
    cleaned = normalise(text).replace(">=", IndicatorSign.ge).replace("<=", IndicatorSign.le)
    try:
        return IndicatorSign(cleaned)
    except ValueError as exc:
        raise LineProblem("unknown_sign", name=name, value=text) from exc


def _band(text: str, name: str) -> QualitativeBand | None:
    if not text.strip():
        return None
    for band in QualitativeBand:
        if band_name(band) == text.strip():
            return band
    raise LineProblem("unknown_band", name=name, value=text)


def _applicable(text: str, name: str) -> bool:
    if not text.strip():
        return True
    try:
        return parse_yes_no(text)
    except ParseError as exc:
        raise LineProblem("bad_applicable", name=name, value=text) from exc


def read_line(number: int, record: Mapping[str, str]) -> ScoreLine:
    """One CSV record → its row, or LineProblem naming what is wrong."""
    level1 = record["level1"].strip()
    name = record["name"].strip() or level1
    if not name:
        raise LineProblem("empty_name")
    if level1 != execution_row_name() and level1 not in LEVEL1_ORDER:
        raise LineProblem("unknown_level1", name=name, value=level1)
    sign = _sign(record["sign"], name)
    weight = _number(record, "weight", name)
    if weight is None:
        raise ScoringError("missing", row=name, field=field_name("weight"))
    applicable = _applicable(record["applicable"], name)
    target, actual = _number(record, "target", name), _number(record, "actual", name)
    if level1 == execution_row_name():
        if sign is not IndicatorSign.ge:
            raise LineProblem("execution_sign")
        execution = ExecutionInput(target, actual, weight=weight, applicable=applicable)
        score_execution(execution)  # refuses a zero or missing budget now, naming the line
        return ScoreLine(number, name, execution=execution)
    indicator = IndicatorInput(
        name,
        level1,
        sign,
        weight,
        target=target,
        actual=actual,
        band=_band(record["band"], name),
        score=_number(record, "score", name),
        applicable=applicable,
    )
    score_indicator(indicator)  # refuses a missing actual or a score outside its band
    return ScoreLine(number, name, indicator=indicator)


def _records(text: str) -> tuple[list[tuple[int, dict[str, str]]], str | None]:
    """The numbered records under the header, or why the header will not do."""
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    if not any(header):
        return [], cli_text("score_file_empty", columns=",".join(COLUMNS))
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        return [], cli_text("score_missing_columns", missing=",".join(missing))
    records = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        padded = cells + [""] * (len(header) - len(cells))
        records.append((reader.line_num, dict(zip(header, padded, strict=False))))
    return records, None


@dataclass(frozen=True, slots=True)
class RowWeight:
    """What the table checks need of a line, even a bad one: its kind and weight if readable."""

    number: int
    execution: bool
    weight: Decimal | None


def _row_weight(number: int, record: Mapping[str, str]) -> RowWeight:
    try:
        weight = parse_number(record["weight"]) if record["weight"].strip() else None
    except ParseError:
        weight = None
    return RowWeight(number, record["level1"].strip() == execution_row_name(), weight)


def _table_problems(rows: list[RowWeight]) -> list[str]:
    """Problems of the table as a whole: one execution row, and weights summing to 100."""
    executions = [row for row in rows if row.execution]
    if not executions:
        return [_whole(cli_text("score_reason_no_execution"))]
    if len(executions) > 1:
        reason = cli_text("score_reason_execution_repeated", line=executions[0].number)
        return [cli_text("score_problem_line", line=executions[1].number, reason=reason)]
    weights = [row.weight for row in rows]
    if any(weight is None for weight in weights):
        return []  # the weight that is missing is already named on its line
    indicators = [row.weight for row in rows if not row.execution and row.weight is not None]
    try:
        check_weights(executions[0].weight or Decimal(0), indicators)
    except ScoringError as exc:
        return [_whole(exc.message)]
    return []


def _whole(reason: str) -> str:
    return cli_text("score_problem_table", reason=reason)


def read_table(text: str) -> tuple[list[ScoreLine], list[str]]:
    """Every line read, and every problem worded (each bad line named)."""
    records, header_problem = _records(text)
    if header_problem:
        return [], [header_problem]
    if not records:
        return [], [_whole(cli_text("score_reason_no_rows"))]
    lines: list[ScoreLine] = []
    problems: list[str] = []
    for number, record in records:
        try:
            lines.append(read_line(number, record))
        except (LineProblem, ScoringError) as exc:
            reason = exc.reason if isinstance(exc, LineProblem) else exc.message
            problems.append(cli_text("score_problem_line", line=number, reason=reason))
    weights = [_row_weight(number, record) for number, record in records]
    return lines, problems + _table_problems(weights)


def _scored(line: ScoreLine) -> ScoredRow:
    if line.execution is not None:
        return score_execution(line.execution)
    assert line.indicator is not None
    return score_indicator(line.indicator)


def score_report(lines: list[ScoreLine]) -> str:
    """`name<TAB>score` per row, then `总分<TAB>total<TAB>grade`."""
    rows = [_scored(line) for line in lines]
    total = total_of(rows)
    report = [
        f"{line.name}\t{cli_text('score_not_applicable') if row.shown is None else row.shown}"
        for line, row in zip(lines, rows, strict=True)
    ]
    report.append(f"{cli_text('score_total')}\t{shown(total)}\t{grade_of(total).value}")
    return "\n".join(report)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return BAD_FILE


def cmd_evaluation_score(_settings: Settings, args: argparse.Namespace) -> int:
    """Score a 自评表 CSV; exit 2 naming every bad line."""
    path = Path(args.file)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return _fail(cli_text("score_file_unreadable", path=path, detail=exc.strerror))
    except UnicodeDecodeError:
        return _fail(cli_text("score_file_not_utf8", path=path))
    lines, problems = read_table(text)
    if not problems:
        try:
            print(score_report(lines))
            return 0
        except ScoringError as exc:
            problems = [_whole(exc.message)]
    return _fail("\n".join([cli_text("score_refused", count=len(problems)), *problems]))


def register(sub: Any) -> None:
    """Add `evaluation score` and `evaluation sample` to the `perfbot` parser."""
    evaluation = sub.add_parser("evaluation", help="self-evaluation: score a 自评表")
    actions = evaluation.add_subparsers(dest="evaluation", required=True)
    score = actions.add_parser("score", help="score a CSV: " + ",".join(COLUMNS))
    score.add_argument("file", help="CSV file, UTF-8, with a header row")
    score.set_defaults(func=cmd_evaluation_score)
    sample.register(actions)
