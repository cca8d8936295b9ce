"""review actions: snapshots, edit locks, nudges

- review_snapshot: what an item said at each submission, the base of the reviewers' diffs.
- review_edit_lock: who holds the edit of a returned item.
- review_nudge: 催办, at most once per working day per item (the key).
- review_step.decision also takes nudge, add_reviewer, copy and take_over.

Revision ID: 0012_review_actions
Revises: 0011_budget_linkage
Create Date: 2026-12-04 06:59:33.692135
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0012_review_actions'
down_revision: str | None = '0011_budget_linkage'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECISIONS = (
    "submit",
    "approve",
    "return",
    "withdraw",
    "transfer",
    "expert_agree",
    "expert_agree_with_changes",
    "expert_disagree",
    "issue",
    "no_budget",
    "comment",
)
NEW_DECISIONS = ("nudge", "add_reviewer", "copy", "take_over", "cosign")


def _decision_check(values: Sequence[str]) -> None:
    with op.batch_alter_table("review_step", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_review_step_decision"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_review_step_decision"),
            f"decision IN ({', '.join(repr(value) for value in values)})",
        )


def upgrade() -> None:
    op.create_table('review_edit_lock',
    sa.Column('item_kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('since', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_review_edit_lock_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_kind', 'item_id', name=op.f('pk_review_edit_lock'))
    )
    with op.batch_alter_table('review_edit_lock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_edit_lock_person_id'), ['person_id'], unique=False)

    op.create_table('review_nudge',
    sa.Column('item_kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_review_nudge_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('item_kind', 'item_id', 'day', name=op.f('pk_review_nudge'))
    )
    with op.batch_alter_table('review_nudge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_nudge_person_id'), ['person_id'], unique=False)

    op.create_table('review_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['step_id'], ['review_step.id'], name=op.f('fk_review_snapshot_step_id_review_step'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_snapshot'))
    )
    with op.batch_alter_table('review_snapshot', schema=None) as batch_op:
        batch_op.create_index('ix_review_snapshot_item', ['item_kind', 'item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_snapshot_step_id'), ['step_id'], unique=False)
    op.create_table(
        "review_cosign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("stage_entered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["person.id"],
            name=op.f("fk_review_cosign_added_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_review_cosign_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cosign")),
        sa.UniqueConstraint(
            "item_kind",
            "item_id",
            "stage",
            "stage_entered_at",
            "person_id",
            name=op.f("uq_review_cosign_item_kind_item_id_stage_stage_entered_at_person_id"),
        ),
    )
    with op.batch_alter_table("review_cosign", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_cosign_added_by_id"), ["added_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_review_cosign_person_id"), ["person_id"], unique=False)
    _decision_check((*DECISIONS, *NEW_DECISIONS))



def downgrade() -> None:
    op.execute(
        sa.text(
            "DELETE FROM review_step"
            " WHERE decision IN ('nudge', 'add_reviewer', 'copy', 'take_over', 'cosign')"
        )
    )
    with op.batch_alter_table("review_cosign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_cosign_person_id"))
        batch_op.drop_index(batch_op.f("ix_review_cosign_added_by_id"))
    op.drop_table("review_cosign")
    _decision_check(DECISIONS)
    with op.batch_alter_table('review_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_snapshot_step_id'))
        batch_op.drop_index('ix_review_snapshot_item')

    op.drop_table('review_snapshot')
    with op.batch_alter_table('review_nudge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_nudge_person_id'))

    op.drop_table('review_nudge')
    with op.batch_alter_table('review_edit_lock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_edit_lock_person_id'))

    op.drop_table('review_edit_lock')
