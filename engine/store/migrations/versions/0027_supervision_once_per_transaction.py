"""supervision rows rebuilt once per instance per transaction, at commit (issue 16)

The triggers of 0023 rebuilt an instance's dashboard rows inside every write to its tasks and candidates, about
five times per completion. They now mark the instance in `supervision_dirty`; PostgreSQL rebuilds it in a
deferred constraint trigger, SQLite from the engine's commit event.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from engine.store import supervision_tables as sup

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "supervision_dirty",
        sa.Column("xid", _ID, autoincrement=False, nullable=False),
        sa.Column("instance_id", _ID, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("xid", "instance_id", name=op.f("pk_supervision_dirty")),
    )
    for statement in sup.create_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in sup.drop_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("supervision_dirty")
