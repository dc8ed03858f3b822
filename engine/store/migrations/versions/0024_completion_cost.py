"""completion cost on PostgreSQL (issue 16)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 00:00:00
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the change that needs it


def downgrade() -> None:
    pass
