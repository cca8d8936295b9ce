"""`python -m bench` (`make bench`): the quick set; `python -m bench --scale`
(`make bench-scale`): the province set (100,000 projects, 2,000 organisations), slower."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from bench import (
    anchors,
    concurrent_answers,
    dashboards,
    disclosure,
    evaluation_summary,
    form_answer,
    org_import,
    outbox_fanout,
    startup,
    sweep,
)

Benchmark = tuple[Callable[[Sequence[str]], int], Sequence[str]]

QUICK: tuple[Benchmark, ...] = (
    (anchors.main, []),
    (org_import.main, []),
    (outbox_fanout.main, []),
    (form_answer.main, []),
    (concurrent_answers.main, ["--people", "20"]),
    (evaluation_summary.main, ["--projects", "10000"]),
    (sweep.main, ["--sizes", "1000,10000"]),
    (disclosure.main, ["--sizes", "1000"]),
    (startup.main, []),
)
SCALE: tuple[Benchmark, ...] = (
    (anchors.main, []),
    (form_answer.main, []),
    (concurrent_answers.main, ["--people", "100"]),
    (sweep.main, ["--sizes", "1000,10000,100000"]),
    (disclosure.main, ["--sizes", "1000,10000"]),
    (evaluation_summary.main, []),
    (dashboards.main, []),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the set; the exit code is the first non-zero one (a benchmark missed its target)."""
    chosen = SCALE if "--scale" in (argv if argv is not None else sys.argv[1:]) else QUICK
    codes = [run(list(args)) for run, args in chosen]
    return next((code for code in codes if code), 0)


if __name__ == "__main__":
    sys.exit(main())
