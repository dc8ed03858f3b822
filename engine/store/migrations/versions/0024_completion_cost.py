"""completion cost on PostgreSQL (issue 16): incremental visibility triggers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 00:00:00
"""

from alembic import op

from engine.store import visibility_tables as vis

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The rows stay as they are (the new triggers keep the same rows); only how they are kept changes.
    for statement in vis.create_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    # 0016 builds the triggers from the same module, so the revision below has these very triggers too.
    pass
