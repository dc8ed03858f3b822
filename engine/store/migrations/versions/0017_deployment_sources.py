"""deployment sources stored once, versions by content (issues 13 and 15)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 00:00:00
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the change that needs it


def downgrade() -> None:
    pass
