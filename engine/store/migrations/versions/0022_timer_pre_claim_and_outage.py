"""timer pre-claim and outage (issue 15)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 00:00:00
"""

from alembic import op
import engine.store.tables
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A firing's attempt is committed before the firing runs: who claimed the timer and when.
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", engine.store.tables.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("claimed_at")
