"""deadline rules may count in months ("年度结束后3个月内")

Revision ID: 0002_deadline_months
Revises: 0001
Create Date: 2026-11-28 02:00:00

The self-evaluation is due "within 3 months after the year ends": 90 calendar days would
miss 03-31 in leap years, so rules get a third unit. The deadline rules themselves are
seeded by the application (workflow.calendar.rules.ensure_default_rules), not here, so that an
administrator's edits survive and rules added later reach existing databases.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_deadline_months"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_MONTHS = "unit IN ('calendar_days', 'working_days', 'months')"
WITHOUT_MONTHS = "unit IN ('calendar_days', 'working_days')"


def _replace_unit_check(condition: str) -> None:
    with op.batch_alter_table("deadline_rule", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_deadline_rule_unit"), type_="check")
        batch_op.create_check_constraint(op.f("ck_deadline_rule_unit"), condition)


def upgrade() -> None:
    _replace_unit_check(WITH_MONTHS)


def downgrade() -> None:
    op.execute("DELETE FROM deadline_rule WHERE unit = 'months'")
    _replace_unit_check(WITHOUT_MONTHS)
