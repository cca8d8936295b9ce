"""scale indexes: the org chart cache's stamp and the reminder sweep's choice of projects

Revision ID: 0015_scale_indexes
Revises: 0012_review_actions
Create Date: 2026-12-04 07:30:00

- organisation(created_at), organisation(updated_at): max() of each is one index look-up.
- project(status, year): issued projects of the years whose tracking or evaluation is due.
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0015_scale_indexes'
down_revision: str | None = '0012_review_actions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_organisation_updated_at', ['updated_at'], unique=False)

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index('ix_project_status_year', ['status', 'year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_status_year')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_updated_at')
        batch_op.drop_index('ix_organisation_created_at')
