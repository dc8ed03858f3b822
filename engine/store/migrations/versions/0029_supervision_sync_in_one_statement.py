"""supervision rows synced in one statement per instance, counters appended net (issue 16)

The refresh of 0027 compared an instance's rows one by one and a row trigger on `supervision_items` appended
ten ±1 counter rows per row written (forty per completion, which cancel out). PostgreSQL now syncs the rows in
one statement that also appends the counters' net change (nothing for a completion); SQLite is unchanged.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 00:00:00
"""

from alembic import op

from engine.store import supervision_tables as sup

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in sup.create_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    # 0027 builds the triggers from the same module: the revision below keeps these (same rows, same counts).
    pass
