"""budget linkage: the budget section's decision for a project's next budget (结果运用)

Revision ID: 0011_budget_linkage
Revises: 0010_finance_evaluation
Create Date: 2026-12-04 11:30:00

- budget_linkage: one per project: the grade in force and the recommendation when decided,
  the decision (kept / adjusted with an amount / cut / cancelled) and its reason.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0011_budget_linkage'
down_revision: str | None = '0010_finance_evaluation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('budget_linkage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('recommendation', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('grade', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('amount', storage.types.Money(precision=18, scale=6), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('kept', 'adjusted', 'cut', 'cancelled')", name=op.f('ck_budget_linkage_decision')),
    sa.CheckConstraint("recommendation IN ('priority', 'adjust', 'cut')", name=op.f('ck_budget_linkage_recommendation')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['person.id'], name=op.f('fk_budget_linkage_decided_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_budget_linkage_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_linkage')),
    sa.UniqueConstraint('project_id', name=op.f('uq_budget_linkage_project_id'))
    )
    with op.batch_alter_table('budget_linkage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_linkage_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_linkage_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('budget_linkage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_linkage_project_id'))
        batch_op.drop_index(batch_op.f('ix_budget_linkage_decided_by_id'))

    op.drop_table('budget_linkage')
