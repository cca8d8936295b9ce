"""The installed stages: importing each module registers its due items, /todo entries and
reviewable kinds.

workflow.calendar.registry calls `install` before every look-up (a no-op once imported).
Adding a stage is one line here; the reminder sweep, /deadlines and /todo need no edit.
The order is the order their items are collected in.
"""

from __future__ import annotations

import importlib

INSTALLED: tuple[str, ...] = (
    "workflow.goals.due",  # goal declaration by the first submission date (一上)
    "workflow.review.pending",  # goal versions waiting at a review stage
    "workflow.tracking.due",  # Q3 tracking, finance's review of it, rectification replies
    "workflow.tracking.review_kind",  # tracking reports on the review machine
    "workflow.evaluation.due",  # self-evaluation after the year ends
    "workflow.evaluation.review_kind",  # self-evaluations on the review machine
    "workflow.results.due",  # 30-day rectification plans after evaluation or spot check
    "workflow.goals.stats",  # /stats: projects by status, declaration on time
    "workflow.review.stats",  # /stats: waiting per stage, handling time per stage
    "workflow.tracking.stats",  # /stats: budget execution against the time share, lights
    "workflow.evaluation.stats",  # /stats: grades and scores
)


def install() -> None:
    """Import every installed stage module, so their registrations have happened."""
    for module in INSTALLED:
        importlib.import_module(module)
