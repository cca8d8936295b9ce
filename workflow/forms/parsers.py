"""Turn what people type into exact values, or say precisely why not.

Every parser takes the raw text of a chat message and returns a value, or raises
`ParseError` with a code (and parameters) that the bot turns into a short Chinese
explanation (templates/forms/errors.toml). Parsers are pure: no database, no Telegram.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

# A single project above 1,000 亿元 (10,000,000 万元) is a typing error in a city budget;
# the cap also keeps every amount far inside the NUMERIC(18, 6) money column.
MONEY_CAP = Decimal(10_000_000)
MONEY_DECIMALS = 6
# Indicator targets (counts, percentages, days) share the money column; same cap.
NUMBER_CAP = Decimal(10_000_000)
YEAR_RANGE = (2000, 2100)
NAME_LIMIT = 200
LONG_TEXT_LIMIT = 2000

_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_SPACES = re.compile(r"\s+")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^\(?(0\d{2,3})\)?-?(\d{7,8})(?:(?:-|转)(\d{1,6}))?$")
_YES = frozenset({"是", "是的", "对", "有", "需要", "y", "yes", "1", "true", "ok", "好"})
_NO = frozenset({"否", "不是", "不", "没有", "无", "不需要", "n", "no", "0", "false"})


class ParseError(ValueError):
    """The text is not an acceptable answer; `code` names the reason for the message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params: Mapping[str, Any] = params


def normalise(text: str) -> str:
    """Full-width forms to ASCII (１２０ → 120, ， → ,), trimmed.

    Superscript and circled digits (², ①) are left as they are: NFKC would read “①②③”
    as 123, which nobody meant; left alone they are refused as symbols.
    """
    return "".join(
        ch if unicodedata.category(ch) == "No" else unicodedata.normalize("NFKC", ch) for ch in text
    ).strip()


def _has_symbols(text: str) -> bool:
    """Whether the text holds anything but ASCII digits, dots and commas (², ① included)."""
    return any(ch not in "0123456789.," for ch in text)


def _decimal(text: str, *, cap: Decimal, allow_negative: bool = False) -> Decimal:
    """Digits with optional thousands separators and decimals → Decimal within the cap."""
    compact = _SPACES.sub("", text)
    if not compact:
        raise ParseError("empty")
    negative = compact.startswith(("-", "−"))
    if negative:
        if not allow_negative:
            raise ParseError("negative")
        compact = compact[1:]
    if compact.startswith("+"):
        compact = compact[1:]
    if _has_symbols(compact):
        raise ParseError("not_a_number")
    if "," in compact and not _GROUPED.match(compact):
        raise ParseError("bad_grouping")
    digits = compact.replace(",", "")
    if not _PLAIN.match(digits):
        raise ParseError("not_a_number")
    try:
        value = Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above rules it out
        raise ParseError("not_a_number") from exc
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MONEY_DECIMALS:
        raise ParseError("too_many_decimals", decimals=MONEY_DECIMALS)
    if value > cap:
        raise ParseError("too_large", cap=cap)
    return -value if negative else value


def parse_money(text: str) -> Decimal:
    """An amount in 万元: `120`, `120.5`, `1,200.50`, `１２０`, `120万`, `120万元`."""
    cleaned = normalise(text)
    for suffix in ("万元", "万"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)].strip()
            break
    else:
        if cleaned.endswith("元"):
            raise ParseError("money_yuan")
    return _decimal(cleaned, cap=MONEY_CAP)


def parse_number(text: str) -> Decimal:
    """A non-negative quantity such as an indicator target (`95`, `95%`, `1,200`)."""
    cleaned = normalise(text)
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1].strip()
    return _decimal(cleaned, cap=NUMBER_CAP)


class Measured(Decimal):
    """A number typed with a unit ("300人次", "95%"): the unit kept for the row to check."""

    unit: str = ""


_MEASURED = re.compile(r"^(?P<number>[-+]?[\d,，.]+)\s*(?P<unit>[^\d\s].*)?$")


def parse_measured(text: str) -> Decimal:
    """A quantity that may carry its unit ("300", "300人次", "95%"); the unit is checked
    against the indicator's by a validator, since a parser does not know the row."""
    cleaned = normalise(text)
    match = _MEASURED.match(cleaned)
    if match is None or not match["unit"]:
        return parse_number(text)
    value = Measured(_decimal(match["number"].strip(), cap=NUMBER_CAP))
    value.unit = match["unit"].strip()
    return value


def parse_weight(text: str) -> Decimal:
    """An indicator weight in points, 0 to 100."""
    value = parse_number(text)
    if value > 100:
        raise ParseError("weight_range")
    return value


def parse_date(text: str) -> dt.date:
    """`2026-03-01`, `2026/3/1`, `2026.3.1`, `2026年3月1日`, `20260301`."""
    cleaned = _SPACES.sub("", normalise(text))
    if not cleaned:
        raise ParseError("empty")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(cleaned)
        if match:
            year, month, day = (int(part) for part in match.groups())
            break
    else:
        raise ParseError("date_format")
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ParseError("date_year_range", low=YEAR_RANGE[0], high=YEAR_RANGE[1])
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ParseError("date_invalid", year=year, month=month, day=day) from exc


def parse_year(text: str) -> int:
    """A budget year: `2026` or `2026年`."""
    cleaned = _SPACES.sub("", normalise(text)).removesuffix("年度").removesuffix("年")
    if not re.fullmatch(r"\d{4}", cleaned):
        raise ParseError("year_format")
    year = int(cleaned)
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ParseError("year_range", low=YEAR_RANGE[0], high=YEAR_RANGE[1])
    return year


def parse_phone(text: str) -> str:
    """A mainland mobile (13912345678) or landline (0519-87654321, extension allowed)."""
    cleaned = normalise(text).replace("（", "(").replace("）", ")")
    cleaned = re.sub(r"^(\+86|0086)[\s-]?", "", cleaned)
    mobile = re.sub(r"[\s-]", "", cleaned)
    if _MOBILE.match(mobile):
        return mobile
    match = _LANDLINE.match(re.sub(r"\s+", "", cleaned))
    if match:
        area, number, extension = match.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise ParseError("phone_format")


def parse_yes_no(text: str) -> bool:
    """是 / 否 (and the usual variants)."""
    cleaned = normalise(text).lower().rstrip("。.!！")
    if cleaned in _YES:
        return True
    if cleaned in _NO:
        return False
    raise ParseError("yes_no")


ZERO_WIDTH_JOINER = "\u200d"  # joins emoji (👨‍👩‍👧) in free text; nothing else invisible stays


def visible(text: str, *, keep_joiner: bool = False) -> str:
    """The text without control and format characters (U+200B, U+FEFF, U+200F, U+202E ...).

    Format characters print nothing or reorder what follows (a right-to-left override
    makes "exe.pdf" read "fdp.exe"); nobody types them on purpose.
    """
    return "".join(
        ch
        for ch in text
        if ch in "\n\t"
        or (keep_joiner and ch == ZERO_WIDTH_JOINER)
        or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )


def parse_text(text: str, *, limit: int = LONG_TEXT_LIMIT) -> str:
    """Free text (emoji welcome), trimmed, not empty once invisible characters are gone."""
    cleaned = visible(text, keep_joiner=True).strip()
    if not any(not ch.isspace() and ch != ZERO_WIDTH_JOINER for ch in cleaned):
        raise ParseError("empty")
    if not cleaned:
        raise ParseError("empty")
    if len(cleaned) > limit:
        raise ParseError("too_long", limit=limit, length=len(cleaned))
    return cleaned


def parse_name(text: str, *, limit: int = NAME_LIMIT) -> str:
    """A one-line name (project, person, indicator): invisible characters gone, spaces collapsed.

    Compatibility ideographs and full-width letters become their ordinary forms (NFKC);
    circled and superscript digits would change meaning (①号楼), so they stay as typed.
    """
    single_line = _SPACES.sub(" ", _nfkc_letters(visible(text)))
    return parse_text(single_line, limit=limit)


def _nfkc_letters(text: str) -> str:
    """NFKC for characters that fold to a letter or ideograph; the rest as typed."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        keep = len(folded) != 1 or folded.isdigit() or unicodedata.category(ch) == "No"
        out.append(ch if keep else folded)
    return "".join(out)


UNITS = (
    "%", "‰", "个", "人", "人次", "次", "天", "日", "小时", "月", "年", "元", "万元", "亿元",
    "项", "家", "户", "所", "台", "套", "件", "份", "篇", "场", "期", "批", "名", "位",
    "公里", "千米", "米", "平方米", "万平方米", "亩", "公顷", "吨", "千克", "立方米",
    "张", "本", "册", "辆", "座", "处", "条", "班", "课时", "学时", "床", "分", "岁",
    "元/人", "元/吨", "元/平方米", "人/天", "万人次", "千瓦", "千瓦时", "兆瓦",
)  # fmt: skip
OTHER_UNIT = re.compile(r"^其他\s*[:：]?\s*(.+)$")
_UNIT_LETTERS = re.compile(r"[\u4e00-\u9fffA-Za-z%‰/]")


def parse_unit(text: str) -> str:
    """A unit from the list (UNITS), or any other after “其他：” (e.g. 其他：架次)."""
    cleaned = _SPACES.sub("", normalise(visible(text)))
    if not cleaned:
        raise ParseError("empty")
    if cleaned in UNITS:
        return cleaned
    other = OTHER_UNIT.match(cleaned)
    if other is None:
        raise ParseError("unit_unknown", units="、".join(UNITS[:12]))
    unit = other.group(1)
    if len(unit) > 10 or not _UNIT_LETTERS.search(unit) or any(ch.isdigit() for ch in unit):
        raise ParseError("unit_other_invalid")
    return unit


def parse_name_list(text: str, *, limit: int = NAME_LIMIT) -> list[str]:
    """Names separated by 、 , ， ; or new lines, each checked like a name, no repeats."""
    parts = re.split(r"[、,，;；\n]+", normalise(text))
    names = [parse_name(part, limit=limit) for part in parts if part.strip()]
    if not names:
        raise ParseError("empty")
    return list(dict.fromkeys(names))
