"""expert invitations, batch checklists, outbox edits, and 不予预算安排 in the chain

Revision ID: 0003_review_round
Revises: 0002_deadline_months
Create Date: 2026-11-28 02:30:00

- expert_assignment: the experts the performance section invited to a key project; only
  they see it and give opinions (before, every holder of the expert role did).
- batch_selection: the items ticked on a 批量通过 checklist, one row each, so that two
  quick ticks cannot undo each other (they used to live in the message's keyboard).
- outbox_message.edit_of_id: an outbox row may edit the message another row delivered
  (other reviewers' cards close when someone decides).
- goal_version.status and review_step.decision may say no_budget: a version still in the
  chain when the year's goals are issued is closed as 不予预算安排.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_review_round"
down_revision: str | None = "0002_deadline_months"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("draft", "in_review", "returned", "approved", "issued", "superseded", "withdrawn")
DECISIONS = (
    "submit",
    "approve",
    "return",
    "withdraw",
    "expert_agree",
    "expert_agree_with_changes",
    "expert_disagree",
    "issue",
)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _replace_check(table: str, column: str, values: Sequence[str]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), _in(column, values))


def upgrade() -> None:
    op.create_table(
        "expert_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["person.id"],
            name=op.f("fk_expert_assignment_invited_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_expert_assignment_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_expert_assignment_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_assignment")),
        sa.UniqueConstraint(
            "project_id", "person_id", name=op.f("uq_expert_assignment_project_id_person_id")
        ),
    )
    with op.batch_alter_table("expert_assignment", schema=None) as batch_op:
        for column in ("invited_by_id", "person_id", "project_id"):
            batch_op.create_index(batch_op.f(f"ix_expert_assignment_{column}"), [column])

    op.create_table(
        "batch_selection",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("goal_version_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_version_id"],
            ["goal_version.id"],
            name=op.f("fk_batch_selection_goal_version_id_goal_version"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_batch_selection_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "goal_version_id", name=op.f("pk_batch_selection")),
    )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edit_of_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_edit_of_id"), ["edit_of_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_edit_of_id_outbox_message"),
            "outbox_message",
            ["edit_of_id"],
            ["id"],
            ondelete="CASCADE",
        )

    _replace_check("goal_version", "status", (*STATUSES, "no_budget"))
    _replace_check("review_step", "decision", (*DECISIONS, "no_budget", "comment"))


def downgrade() -> None:
    op.execute("DELETE FROM review_step WHERE decision = 'no_budget'")
    op.execute("UPDATE goal_version SET status = 'withdrawn' WHERE status = 'no_budget'")
    _replace_check("review_step", "decision", (*DECISIONS, "comment"))
    _replace_check("goal_version", "status", STATUSES)

    op.execute("DELETE FROM outbox_message WHERE edit_of_id IS NOT NULL")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_edit_of_id_outbox_message"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_message_edit_of_id"))
        batch_op.drop_column("edit_of_id")

    op.drop_table("batch_selection")
    with op.batch_alter_table("expert_assignment", schema=None) as batch_op:
        for column in ("project_id", "person_id", "invited_by_id"):
            batch_op.drop_index(batch_op.f(f"ix_expert_assignment_{column}"))
    op.drop_table("expert_assignment")
