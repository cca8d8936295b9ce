"""tracking tasks: one periodic task per project and period; ad-hoc due date and reason

Revision ID: 0005_tracking_tasks
Revises: 0004_review_items
Create Date: 2026-12-01 09:00:00

- tracking_report.due_date: the due date finance gave an ad-hoc tracking (a periodic one is
  due by the deadline rule, so it stays empty there).
- tracking_report.reason: why finance tracks the project ad hoc.
- uq_tracking_report_periodic: one periodic (not ad-hoc) tracking task per project and
  period, so that opening the tracking twice creates nothing twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_tracking_tasks"
down_revision: str | None = "0004_review_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_tracking_report_periodic"


def upgrade() -> None:
    with op.batch_alter_table("tracking_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.create_index(
            INDEX,
            ["project_id", "period_end"],
            unique=True,
            sqlite_where=sa.text("ad_hoc = 0"),
            postgresql_where=sa.text("ad_hoc = false"),
        )


def downgrade() -> None:
    with op.batch_alter_table("tracking_report", schema=None) as batch_op:
        batch_op.drop_index(
            INDEX,
            sqlite_where=sa.text("ad_hoc = 0"),
            postgresql_where=sa.text("ad_hoc = false"),
        )
        batch_op.drop_column("reason")
        batch_op.drop_column("due_date")
