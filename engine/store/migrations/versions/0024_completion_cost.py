"""completion cost on PostgreSQL (issue 16): incremental visibility triggers, group members as rows

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from engine.store import dependencia_tables as members
from engine.store import visibility_tables as vis

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # The visibility rows stay as they are (the new triggers keep the same rows); only how they are kept changes.
    for statement in vis.create_triggers_ddl(dialect):
        op.execute(statement)
    op.create_table(
        "user_groups",
        sa.Column("group_code", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_groups_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_code", "user_id", name=op.f("pk_user_groups")),
    )
    op.execute(members.backfill_sql(dialect))
    for statement in members.create_triggers_ddl(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in members.drop_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("user_groups")
    # 0016 builds the visibility triggers from the same module: the revision below has these very triggers.
