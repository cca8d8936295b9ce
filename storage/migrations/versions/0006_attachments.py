"""attachments: files sent with an answer, kept with the item they belong to

Revision ID: 0006_attachments
Revises: 0005_tracking_tasks
Create Date: 2026-12-04 09:00:00

- attachment: a file (PDF, Word, photo) with its bytes, type, size and checksum; owned by a
  form draft while the form is open, then by the record the form made (item_type, item_id).
- rectification_request.proposed_fund_action: the fund action (暂缓/停止/追回) the performance
  section proposed with its rectification suggestion, for the budget section to decide.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import storage.types
from alembic import op

revision: str = "0006_attachments"
down_revision: str | None = "0005_tracking_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("mime_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "telegram_file_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attachment_item", "attachment", ["item_type", "item_id"], unique=False)
    with op.batch_alter_table("rectification_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "proposed_fund_action",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=True,
            )
        )
    op.create_index("ix_attachment_uploaded_by_id", "attachment", ["uploaded_by_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rectification_request", schema=None) as batch_op:
        batch_op.drop_column("proposed_fund_action")
    op.drop_index("ix_attachment_uploaded_by_id", table_name="attachment")
    op.drop_index("ix_attachment_item", table_name="attachment")
    op.drop_table("attachment")
