"""chat views: calendar years the administrator confirmed complete

Revision ID: 0013_chat_views
Revises: 0014_update_inbox
Create Date: 2026-12-04 07:28:12

- calendar_year: a year whose loaded holiday schedule is official (confirmed complete);
  loading part of a year no longer makes it official by itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0013_chat_views'
down_revision: str | None = '0014_update_inbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['person.id'], name=op.f('fk_calendar_year_confirmed_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year'))
    )
    with op.batch_alter_table('calendar_year', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_year_confirmed_by_id'), ['confirmed_by_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_year', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_year_confirmed_by_id'))

    op.drop_table('calendar_year')
