"""Tracking reports on the one review machine: the department head 审定, then finance.

The performance section (绩效管理科) reviews every report (DOMAIN §2.6); a return sends it
back to the department with the reason, and the resubmission re-enters the route.
"""

from __future__ import annotations

from storage.models import ReportStatus, ReviewStage, TrackingReport
from workflow.core.access import Action
from workflow.review.kinds import ReviewKind, Statuses, register

TRACKING = "tracking_report"
ROUTE = (ReviewStage.head, ReviewStage.performance)

KIND = register(
    ReviewKind(
        name=TRACKING,
        code="t",
        table=TrackingReport,
        route=lambda item: ROUTE,
        statuses=Statuses(
            waiting=ReportStatus.submitted.value,
            returned=ReportStatus.returned.value,
            approved=ReportStatus.accepted.value,
            submittable=(ReportStatus.draft.value, ReportStatus.returned.value),
        ),
        fix_action=Action.FILL_TRACKING,
        stage_actions={
            ReviewStage.head: Action.REVIEW_HEAD,
            ReviewStage.performance: Action.REVIEW_PERFORMANCE,
        },
        batch_stages=(ReviewStage.performance.value,),
    )
)
