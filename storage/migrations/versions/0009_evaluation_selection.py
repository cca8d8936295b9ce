"""evaluation selection: finance's spot-check samples and the projects it selects

Revision ID: 0009_evaluation_selection
Revises: 0006_attachments
Create Date: 2026-12-04 09:30:00

- evaluation_sample: a drawn sample's rule (share or count, stratification), its seed and
  the population drawn from (size and hash), so anyone can re-draw it.
- evaluation_selection: a project selected for 重点评价 or 抽查, drawn or added by hand (with
  a reason), one per project and kind of check.
- evaluation_score.rule and .not_applicable_reason: the scoring rule that produced a row's
  score (so a later change of weights re-scores and both stay readable), and why a row was
  declared not applicable.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0009_evaluation_selection'
down_revision: str | None = '0006_attachments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluation_score", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("not_applicable_reason", sa.Text(), nullable=True))
    op.create_table('evaluation_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('share', sa.Numeric(precision=5, scale=4), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('stratify', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('population_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stratify IN ('none', 'department', 'amount')", name=op.f('ck_evaluation_sample_stratify')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['person.id'], name=op.f('fk_evaluation_sample_drawn_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_sample'))
    )
    with op.batch_alter_table('evaluation_sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_sample_drawn_by_id'), ['drawn_by_id'], unique=False)

    op.create_table('evaluation_selection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('self_evaluation_id', sa.Integer(), nullable=True),
    sa.Column('check_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('selected_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("check_kind IN ('none', 'key_evaluation', 'spot_check')", name=op.f('ck_evaluation_selection_check_kind')),
    sa.CheckConstraint("source IN ('drawn', 'added', 'key')", name=op.f('ck_evaluation_selection_source')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_evaluation_selection_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sample_id'], ['evaluation_sample.id'], name=op.f('fk_evaluation_selection_sample_id_evaluation_sample'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['selected_by_id'], ['person.id'], name=op.f('fk_evaluation_selection_selected_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['self_evaluation_id'], ['self_evaluation.id'], name=op.f('fk_evaluation_selection_self_evaluation_id_self_evaluation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_selection')),
    sa.UniqueConstraint('project_id', 'check_kind', name=op.f('uq_evaluation_selection_project_id_check_kind'))
    )
    with op.batch_alter_table('evaluation_selection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_selection_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_selection_sample_id'), ['sample_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_selection_selected_by_id'), ['selected_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_selection_self_evaluation_id'), ['self_evaluation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_selection_year'), ['year'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("evaluation_score", schema=None) as batch_op:
        batch_op.drop_column("not_applicable_reason")
        batch_op.drop_column("rule")
    with op.batch_alter_table('evaluation_selection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_selection_year'))
        batch_op.drop_index(batch_op.f('ix_evaluation_selection_self_evaluation_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_selection_selected_by_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_selection_sample_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_selection_project_id'))

    op.drop_table('evaluation_selection')
    with op.batch_alter_table('evaluation_sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_sample_drawn_by_id'))

    op.drop_table('evaluation_sample')
