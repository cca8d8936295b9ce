"""reminder progress: how far each subject's reminders went, so a sweep skips it in SQL

Revision ID: 0016_reminder_progress
Revises: 0013_chat_views
Create Date: 2026-12-04 10:15:00

- reminder_progress: per (rule, subject) the latest slot queued and the last day on which
  nothing new can be due; the repeat sweep of a day selects none of them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016_reminder_progress'
down_revision: str | None = '0013_chat_views'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminder_progress',
    sa.Column('rule_key', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.String(length=32), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('quiet_until', sa.Date(), nullable=False),
    sa.Column('basis', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('rule_key', 'subject', name=op.f('pk_reminder_progress'))
    )


def downgrade() -> None:
    op.drop_table('reminder_progress')
