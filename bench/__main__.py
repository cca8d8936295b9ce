"""`python -m bench` (and `make bench`): run every benchmark in turn and print its report."""

from __future__ import annotations

import sys

from bench import dashboards, evaluation_summary, form_answer, org_import, outbox_fanout

BENCHMARKS = (org_import, outbox_fanout, form_answer, evaluation_summary, dashboards)


def main() -> int:
    """Run all benchmarks; the exit code is the first non-zero one (a benchmark that failed)."""
    codes = [benchmark.main([]) for benchmark in BENCHMARKS]
    return next((code for code in codes if code), 0)


if __name__ == "__main__":
    sys.exit(main())
