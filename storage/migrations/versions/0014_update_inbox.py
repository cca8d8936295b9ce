"""update inbox: every Telegram update kept before it is acknowledged, applied once

Revision ID: 0014_update_inbox
Revises: 0015_scale_indexes
Create Date: 2026-12-04 06:50:32

- update_inbox: one row per update_id; handled_at set in the transaction of the update's
  first write, finished_at when its handling ended (the payload is then dropped).
- outbox_message.lease_owner: who leased a row, so the same deliverer takes its leases
  back at once after a crash.
- audit_log: an index to count a stranger's entries per hour (the cap on their writes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0014_update_inbox'
down_revision: str | None = '0015_scale_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('update_inbox',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('received_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_update_inbox'))
    )
    with op.batch_alter_table('update_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_update_inbox_unfinished', ['finished_at', 'update_id'], unique=False)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_stranger', ['telegram_user_id', 'at'], unique=False)
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('lease_owner')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_stranger')
    with op.batch_alter_table('update_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_update_inbox_unfinished')

    op.drop_table('update_inbox')
