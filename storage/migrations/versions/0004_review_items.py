"""one review machine for every kind of item

Revision ID: 0004_review_items
Revises: 0003_review_round
Create Date: 2026-12-04 01:30:00

- review_step and batch_selection name their item by (item_kind, item_id) instead of
  goal_version_id, so tracking reports, self-evaluations and later kinds use the same
  timeline and checklist. Existing rows become ('goal_version', goal_version_id).
- tracking_report and self_evaluation get the review stage they wait at and since when.

batch_selection holds only a reviewer's pending ticks: it is rebuilt with its rows copied
(changing a primary key in SQLite's batch mode is not worth the risk).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004_review_items"
down_revision: str | None = "0003_review_round"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GOAL = "goal_version"
DECISIONS = (
    "submit",
    "approve",
    "return",
    "withdraw",
    "expert_agree",
    "expert_agree_with_changes",
    "expert_disagree",
    "issue",
    "no_budget",
    "comment",
)
STAGES = ("lead", "head", "supervisor", "business", "performance", "budget", "expert", "issuance")
STAGE_TABLES = ("tracking_report", "self_evaluation")


def _decision_check(values: Sequence[str]) -> None:
    with op.batch_alter_table("review_step", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_review_step_decision"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_review_step_decision"),
            f"decision IN ({', '.join(repr(value) for value in values)})",
        )


def _stage_check() -> str:
    return f"stage IN ({', '.join(repr(stage) for stage in STAGES)})"


def _batch_rows(columns: str) -> list[tuple]:
    return list(op.get_bind().execute(sa.text(f"SELECT {columns} FROM batch_selection")))


def _copy_back(rows: list[dict]) -> None:
    """Insert rows read raw (untyped: SQLite hands back its stored text as is)."""
    if rows:
        names = rows[0].keys()
        op.bulk_insert(sa.table("batch_selection", *(sa.column(n) for n in names)), rows)


def _new_batch_selection(
    key: list[sa.Column], key_names: list[str], *constraints: sa.Constraint
) -> None:
    op.create_table(
        "batch_selection",
        sa.Column("person_id", sa.Integer(), nullable=False),
        *key,
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_batch_selection_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", *key_names, name=op.f("pk_batch_selection")),
        *constraints,
    )


def upgrade() -> None:
    with op.batch_alter_table("review_step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE review_step SET item_kind = '{GOAL}', item_id = goal_version_id")
    with op.batch_alter_table("review_step", schema=None) as batch_op:
        batch_op.alter_column("item_kind", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("item_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_review_step_goal_version_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_review_step_goal_version_id_goal_version"), type_="foreignkey"
        )
        batch_op.drop_column("goal_version_id")
        batch_op.create_index("ix_review_step_item", ["item_kind", "item_id"])
    _decision_check((*DECISIONS, "transfer"))

    ticks = _batch_rows("person_id, goal_version_id, version, created_at")
    op.drop_table("batch_selection")
    _new_batch_selection(
        [
            sa.Column("item_kind", sa.String(length=32), nullable=False),
            sa.Column("item_id", sa.Integer(), nullable=False),
        ],
        ["item_kind", "item_id"],
    )
    _copy_back(
        [
            {"person_id": p, "item_kind": GOAL, "item_id": i, "version": v, "created_at": c}
            for p, i, v, c in ticks
        ],
    )

    for name in STAGE_TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("stage", sa.String(length=16), nullable=True))
            batch_op.add_column(
                sa.Column(
                    "stage_entered_at", storage.types.UTCDateTime(timezone=True), nullable=True
                )
            )
            batch_op.create_check_constraint(op.f(f"ck_{name}_stage"), _stage_check())


def downgrade() -> None:
    for name in STAGE_TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{name}_stage"), type_="check")
            batch_op.drop_column("stage_entered_at")
            batch_op.drop_column("stage")

    ticks = _batch_rows("person_id, item_kind, item_id, version, created_at")
    op.drop_table("batch_selection")
    _new_batch_selection(
        [sa.Column("goal_version_id", sa.Integer(), nullable=False)],
        ["goal_version_id"],
        sa.ForeignKeyConstraint(
            ["goal_version_id"],
            ["goal_version.id"],
            name=op.f("fk_batch_selection_goal_version_id_goal_version"),
            ondelete="CASCADE",
        ),
    )
    _copy_back(
        [
            {"person_id": p, "goal_version_id": i, "version": v, "created_at": c}
            for p, kind, i, v, c in ticks
            if kind == GOAL
        ],
    )

    # Steps of other kinds have no goal version to belong to: they go with the columns;
    # a transfer is not a decision 0003 knows (the steps around it tell the story).
    op.execute(f"DELETE FROM review_step WHERE item_kind <> '{GOAL}' OR decision = 'transfer'")
    _decision_check(DECISIONS)
    with op.batch_alter_table("review_step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("goal_version_id", sa.Integer(), nullable=True))
    op.execute("UPDATE review_step SET goal_version_id = item_id")
    with op.batch_alter_table("review_step", schema=None) as batch_op:
        batch_op.alter_column("goal_version_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index("ix_review_step_item")
        batch_op.drop_column("item_id")
        batch_op.drop_column("item_kind")
        batch_op.create_foreign_key(
            batch_op.f("fk_review_step_goal_version_id_goal_version"),
            "goal_version",
            ["goal_version_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_review_step_goal_version_id"), ["goal_version_id"])
