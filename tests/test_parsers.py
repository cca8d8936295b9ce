"""Every parser of typed answers: what it accepts, what it refuses and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.forms.parsers import (
    MONEY_CAP,
    ParseError,
    parse_date,
    parse_money,
    parse_name,
    parse_name_list,
    parse_number,
    parse_phone,
    parse_text,
    parse_weight,
    parse_year,
)

FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def refused(parser, text: str) -> str:
    with pytest.raises(ParseError) as caught:
        parser(text)
    return caught.value.code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120", "120"),
        ("120.5", "120.5"),
        ("1,200.50", "1200.50"),
        ("１２０", "120"),
        ("１２０．５", "120.5"),
        ("120万", "120"),
        ("120万元", "120"),
        (" 120 万元 ", "120"),
        ("0", "0"),
        ("0.000001", "0.000001"),
        ("10000000", "10000000"),
        ("1,000,000", "1000000"),
    ],
)
def test_money_accepts_what_people_type(text: str, expected: str) -> None:
    assert parse_money(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("abc", "not_a_number"),
        ("12a", "not_a_number"),
        ("NaN", "not_a_number"),
        ("nan", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("-Infinity", "negative"),
        ("1e15", "not_a_number"),
        ("-5", "negative"),
        ("－5", "negative"),
        ("1000000000000000", "too_large"),
        ("10000000.01", "too_large"),
        ("1.1234567", "too_many_decimals"),
        ("12,5", "bad_grouping"),
        ("1,20,000", "bad_grouping"),
        ("120元", "money_yuan"),
        ("", "empty"),
        ("   ", "empty"),
        ("💰", "not_a_number"),
        ("120💰", "not_a_number"),
        (".5", "not_a_number"),
        ("1..2", "not_a_number"),
    ],
)
def test_money_refuses_nonsense_with_a_reason(text: str, code: str) -> None:
    assert refused(parse_money, text) == code


def test_money_cap_is_said_in_the_refusal() -> None:
    with pytest.raises(ParseError) as caught:
        parse_money("1000000000000000")
    assert caught.value.params["cap"] == MONEY_CAP


amounts = st.decimals(min_value=0, max_value=MONEY_CAP, places=6, allow_nan=False)


@given(amounts)
def test_money_round_trips_plain_text(amount: Decimal) -> None:
    assert parse_money(str(amount)) == amount


@given(amounts, st.sampled_from(["", "万", "万元", " 万元"]))
def test_money_round_trips_grouped_full_width_and_suffixed(amount: Decimal, suffix: str) -> None:
    grouped = f"{amount:,f}"
    assert parse_money(grouped + suffix) == amount
    assert parse_money(grouped.translate(FULL_WIDTH) + suffix) == amount


@given(amounts, st.sampled_from("aeNnIxZ中文👍"), st.integers(min_value=0, max_value=30))
def test_money_never_accepts_letters_or_emoji(amount: Decimal, letter: str, at: int) -> None:
    text = str(amount)
    at = min(at, len(text))
    with pytest.raises(ParseError):
        parse_money(text[:at] + letter + text[at:])


@given(st.decimals(min_value=Decimal("0.000001"), max_value=MONEY_CAP, places=6))
def test_money_refuses_every_negative(amount: Decimal) -> None:
    assert refused(parse_money, f"-{amount}") == "negative"


@given(st.integers(min_value=int(MONEY_CAP) + 1, max_value=10**30))
def test_money_refuses_absurd_sizes(amount: int) -> None:
    assert refused(parse_money, str(amount)) == "too_large"


@given(st.text())
def test_money_either_parses_exactly_or_raises_parse_error(text: str) -> None:
    try:
        value = parse_money(text)
    except ParseError:
        return
    assert value.is_finite() and Decimal(0) <= value <= MONEY_CAP
    assert -value.as_tuple().exponent <= 6


def test_number_and_weight() -> None:
    assert parse_number("95%") == Decimal(95)
    assert parse_number("1,200") == Decimal(1200)
    assert refused(parse_number, "很多") == "not_a_number"
    assert parse_weight("20") == Decimal(20)
    assert refused(parse_weight, "101") == "weight_range"


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01",
        "2026/3/1",
        "2026/03/01",
        "2026.3.1",
        "2026年3月1日",
        "2026年3月1号",
        "20260301",
        "２０２６－０３－０１",
        " 2026-3-1 ",
    ],
)
def test_date_formats(text: str) -> None:
    assert parse_date(text) == dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-02-30", "date_invalid"),
        ("2026-13-01", "date_invalid"),
        ("2025-02-29", "date_invalid"),
        ("3月1日", "date_format"),
        ("明天", "date_format"),
        ("2026-3", "date_format"),
        ("1899-01-01", "date_year_range"),
        ("", "empty"),
    ],
)
def test_date_refusals(text: str, code: str) -> None:
    assert refused(parse_date, text) == code


def test_invalid_date_names_the_parts() -> None:
    with pytest.raises(ParseError) as caught:
        parse_date("2026-02-30")
    assert dict(caught.value.params) == {"year": 2026, "month": 2, "day": 30}


days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


@given(days)
def test_date_round_trips_every_format(day: dt.date) -> None:
    forms = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d"),
    ]
    for text in forms:
        assert parse_date(text) == day


@given(st.integers(2000, 2100), st.integers(1, 12), st.integers(1, 31))
def test_date_accepts_exactly_the_real_calendar(year: int, month: int, day: int) -> None:
    text = f"{year}-{month:02d}-{day:02d}"
    try:
        expected = dt.date(year, month, day)
    except ValueError:
        assert refused(parse_date, text) == "date_invalid"
    else:
        assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0519-87654321", "0519-87654321"),
        ("(0519)87654321", "0519-87654321"),
        ("０５１９－８７６５４３２１", "0519-87654321"),
        ("025-8765432", "025-8765432"),
        ("0519-87654321-123", "0519-87654321-123"),
    ],
)
def test_phone_numbers(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", ["12345", "23912345678", "139123456789", "电话", "📞", ""])
def test_phone_refusals(text: str) -> None:
    assert refused(parse_phone, text) == "phone_format"


def test_year() -> None:
    assert parse_year("2026") == 2026
    assert parse_year("2026年") == 2026
    assert parse_year("２０２６年度") == 2026
    assert refused(parse_year, "26") == "year_format"
    assert refused(parse_year, "1999") == "year_range"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("是", True), ("否", False), ("Yes", True), ("不是", False), ("对", True), ("n", False)],
)
def test_yes_no(text: str, expected: bool) -> None:
    from workflow.forms.parsers import parse_yes_no

    assert parse_yes_no(text) is expected


def test_yes_no_refuses_maybe() -> None:
    from workflow.forms.parsers import parse_yes_no

    assert refused(parse_yes_no, "也许") == "yes_no"


def test_text_allows_emoji_and_says_the_limit() -> None:
    assert parse_text("开展培训 👍\n第二行") == "开展培训 👍\n第二行"
    with pytest.raises(ParseError) as caught:
        parse_text("字" * 5000)
    assert caught.value.code == "too_long"
    assert caught.value.params == {"limit": 2000, "length": 5000}
    assert parse_text("字" * 2000) == "字" * 2000
    assert refused(parse_text, " \n ") == "empty"


def test_text_drops_control_characters() -> None:
    assert parse_text("a\x00b\x07c") == "abc"


def test_names_are_one_line_and_shorter() -> None:
    assert parse_name("  职业技能\n培训  项目 ") == "职业技能 培训 项目"
    assert refused(parse_name, "名" * 201) == "too_long"
    assert parse_name_list("市教育局、市人社局，市财政局;市教育局") == [
        "市教育局",
        "市人社局",
        "市财政局",
    ]


@given(st.text(max_size=3000))
def test_text_parser_never_crashes(text: str) -> None:
    try:
        value = parse_text(text)
    except ParseError as error:
        assert error.code in {"empty", "too_long"}
    else:
        assert 0 < len(value) <= 2000
