"""finance evaluation: finance's own scoring of a selected project, and its report

Revision ID: 0010_finance_evaluation
Revises: 0009_evaluation_selection
Create Date: 2026-12-04 10:30:00

- finance_evaluation: finance's total and grade for a project it selected (重点评价 or 抽查),
  the department's total at that moment, the problem types tagged, the conclusions, and
  when its report was issued (with the rectification request it started).
- finance_score: each row as finance scored it, with the department's score beside it.
- rectification_reply.plan: a rectification plan's rows (problem, measures, responsible
  person, completion date) when the request came from an evaluation report.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0010_finance_evaluation'
down_revision: str | None = '0009_evaluation_selection'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('finance_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('selection_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('self_evaluation_id', sa.Integer(), nullable=False),
    sa.Column('total_score', storage.types.Money(precision=18, scale=6), nullable=True),
    sa.Column('grade', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('department_total', storage.types.Money(precision=18, scale=6), nullable=True),
    sa.Column('problem_tags', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
    sa.Column('other_problem', sa.Text(), nullable=True),
    sa.Column('conclusions', sa.Text(), nullable=True),
    sa.Column('report_issued_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rectification_request_id', sa.Integer(), nullable=True),
    sa.Column('evaluated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("grade IN ('优', '良', '中', '差')", name=op.f('ck_finance_evaluation_grade')),
    sa.ForeignKeyConstraint(['evaluated_by_id'], ['person.id'], name=op.f('fk_finance_evaluation_evaluated_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_finance_evaluation_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rectification_request_id'], ['rectification_request.id'], name=op.f('fk_finance_evaluation_rectification_request_id_rectification_request'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['selection_id'], ['evaluation_selection.id'], name=op.f('fk_finance_evaluation_selection_id_evaluation_selection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['self_evaluation_id'], ['self_evaluation.id'], name=op.f('fk_finance_evaluation_self_evaluation_id_self_evaluation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_evaluation')),
    sa.UniqueConstraint('selection_id', name=op.f('uq_finance_evaluation_selection_id'))
    )
    with op.batch_alter_table('finance_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_evaluation_evaluated_by_id'), ['evaluated_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_evaluation_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_evaluation_rectification_request_id'), ['rectification_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_evaluation_selection_id'), ['selection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_evaluation_self_evaluation_id'), ['self_evaluation_id'], unique=False)

    op.create_table('finance_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finance_evaluation_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=True),
    sa.Column('actual_value', storage.types.Money(precision=18, scale=6), nullable=True),
    sa.Column('applicable', sa.Boolean(), nullable=False),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('weight', storage.types.Money(precision=18, scale=6), nullable=True),
    sa.Column('score', storage.types.Money(precision=18, scale=6), nullable=True),
    sa.Column('department_score', storage.types.Money(precision=18, scale=6), nullable=True),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.CheckConstraint("band IN ('achieved', 'partly', 'not_achieved')", name=op.f('ck_finance_score_band')),
    sa.ForeignKeyConstraint(['finance_evaluation_id'], ['finance_evaluation.id'], name=op.f('fk_finance_score_finance_evaluation_id_finance_evaluation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_finance_score_indicator_id_indicator'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_score'))
    )
    with op.batch_alter_table('finance_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_score_finance_evaluation_id'), ['finance_evaluation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_score_indicator_id'), ['indicator_id'], unique=False)

    with op.batch_alter_table('rectification_reply', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('rectification_reply', schema=None) as batch_op:
        batch_op.drop_column('plan')

    with op.batch_alter_table('finance_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_score_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_finance_score_finance_evaluation_id'))

    op.drop_table('finance_score')
    with op.batch_alter_table('finance_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_evaluation_self_evaluation_id'))
        batch_op.drop_index(batch_op.f('ix_finance_evaluation_selection_id'))
        batch_op.drop_index(batch_op.f('ix_finance_evaluation_rectification_request_id'))
        batch_op.drop_index(batch_op.f('ix_finance_evaluation_project_id'))
        batch_op.drop_index(batch_op.f('ix_finance_evaluation_evaluated_by_id'))

    op.drop_table('finance_evaluation')
