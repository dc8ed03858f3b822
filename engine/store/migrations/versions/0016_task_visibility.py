"""open-task visibility rows, kept by triggers, backfilled for the open tasks already stored (issue 16)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import engine.store.tables
from engine.store import visibility_tables as vis

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_visibility",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=120), nullable=False),
        sa.Column("taken", sa.Boolean(), nullable=False),
        sa.Column("due_key", engine.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("neg_priority", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("instance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_visibility_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "kind", "value", name=op.f("pk_task_visibility")),
    )
    for name, columns in (
        ("ix_task_visibility_due", ["kind", "value", "taken", "due_key", "neg_priority", "task_id"]),
        ("ix_task_visibility_priority", ["kind", "value", "taken", "neg_priority", "due_key", "task_id"]),
    ):
        op.create_index(name, "task_visibility", columns, unique=False)
    dialect = op.get_bind().dialect.name
    op.execute(vis.backfill_sql(dialect))
    for statement in vis.create_triggers_ddl(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in vis.postgresql_drop_ddl() if dialect == "postgresql" else vis.sqlite_drop_ddl():
        op.execute(statement)
    op.drop_index("ix_task_visibility_priority", table_name="task_visibility")
    op.drop_index("ix_task_visibility_due", table_name="task_visibility")
    op.drop_table("task_visibility")
