"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_SCALE = 6
MONEY_PRECISION = 18
_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)


def bind_converter(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of `column` before sending it: for statements written
    out for the driver (bulk writes), where SQLAlchemy does not convert them itself."""
    return column.type.bind_processor(dialect) or (lambda value: value)


def quantize_money(value: Decimal) -> Decimal:
    """Round a Decimal to the stored scale (half up, as accountants do)."""
    return value.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


class Money(TypeDecorator[Decimal]):
    """Decimal in 万元, exact on both databases.

    PostgreSQL keeps NUMERIC(18,6). SQLite has no exact decimal type and would turn a NUMERIC
    column into a float, so there the value is stored as canonical text (VARCHAR affinity);
    sums over money are therefore computed in Python, never in SQL.
    """

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        try:
            amount = quantize_money(Decimal(value))
        except (InvalidOperation, TypeError) as exc:
            raise ValueError(f"not a money amount: {value!r}") from exc
        if not amount.is_finite():
            raise ValueError("money must be finite")
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return quantize_money(Decimal(str(value)))


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes; SQLite drops the zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError("expected a datetime")
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware values only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Moved only by the offline sandbox's clock control (bot/sandbox_clock.py), which refuses to
# run against real Telegram; zero everywhere else.
_clock_offset = dt.timedelta(0)


def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC (plus the sandbox clock's offset, zero outside the sandbox)."""
    return dt.datetime.now(dt.UTC) + _clock_offset


def clock_offset() -> dt.timedelta:
    """How far the sandbox clock moved "now" forward (zero outside the sandbox)."""
    return _clock_offset


def set_clock_offset(offset: dt.timedelta) -> None:
    """Move "now" by `offset` for this process; only the sandbox clock calls this."""
    global _clock_offset
    _clock_offset = offset


def check_in(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    """A CHECK constraint limiting a status-like string column to known values."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)
