"""SQL both databases understand for the figures: seconds between timestamps, nearest-rank
percentiles (window functions, as SQLite has no percentile_cont)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, case, func, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

WORK_MEM = "64MB"


class seconds_between(FunctionElement[float]):
    """seconds_between(later, earlier): the seconds from one timestamp to another."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _between_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
    )


@compiles(seconds_between, "sqlite")
def _between_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 86400.0)"
    )


def percentiles(
    values: Any, group: str, value: str, fractions: tuple[float, ...], *, dialect: str
) -> Any:
    """Per `group` of the subquery `values`: the count and the nearest-rank percentile of
    `value` for each fraction (the smallest value whose rank reaches fraction × count).

    PostgreSQL has it built in (percentile_disc, one sort per group); SQLite gets it from
    window functions (ranks and counts), the same definition.
    """
    if dialect == "postgresql":
        return select(
            values.c[group],
            func.count(),
            *(
                func.percentile_disc(fraction).within_group(values.c[value])
                for fraction in fractions
            ),
        ).group_by(values.c[group])
    ranked = select(
        values.c[group].label("grp"),
        values.c[value].label("val"),
        func.row_number()
        .over(partition_by=values.c[group], order_by=values.c[value])
        .label("rank"),
        func.count().over(partition_by=values.c[group]).label("n"),
    ).subquery("ranked")
    return select(
        ranked.c.grp,
        func.max(ranked.c.n),
        *(
            func.min(case((ranked.c.rank >= ranked.c.n * fraction, ranked.c.val)))
            for fraction in fractions
        ),
    ).group_by(ranked.c.grp)


async def roomy_sorts(session: Any) -> None:
    """Let this transaction's sorts and hashes stay in memory on PostgreSQL.

    The figures sort a year's review timelines (hundreds of thousands of steps at province
    size); with the default work_mem (4 MB) those sorts spill to disk and take seconds.
    SET LOCAL ends with the transaction, so nothing else is affected. SQLite: nothing to do.
    """
    if session.bind.dialect.name == "postgresql":
        await session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
