"""SQL both databases understand for the figures: seconds since the epoch, nearest-rank
percentiles (window functions, as SQLite has no percentile_cont)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement[float]):
    """A timestamp as seconds since 1970 (for durations between two timestamps)."""

    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as text; julianday reads them.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def percentiles(values: Any, group: str, value: str, fractions: tuple[float, ...]) -> Any:
    """Per `group` of the subquery `values`: the count and the nearest-rank percentile of
    `value` for each fraction (the smallest value whose rank reaches fraction × count)."""
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
