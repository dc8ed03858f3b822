"""supervision counts at scale: the dashboard's rows and hourly counters, kept by triggers (issues 11, 16)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import engine.store.tables
from engine.store import supervision_tables as sup

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = engine.store.tables.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "supervision_items",
        sa.Column("section", sa.String(length=5), nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("dependencia", sa.String(length=120), nullable=False),
        sa.Column("first", sa.Boolean(), nullable=False),
        sa.Column("instance_id", _ID, nullable=False),
        sa.Column("funcionario", sa.String(length=120), nullable=False),
        sa.Column("tipo", sa.String(length=80), nullable=False),
        sa.Column("canal", sa.String(length=40), nullable=False),
        sa.Column("proceso", sa.String(length=200), nullable=False),
        sa.Column("no_term", sa.String(length=12), nullable=False),
        sa.Column("e1", _AT, nullable=False),
        sa.Column("e2", _AT, nullable=False),
        sa.Column("e3", _AT, nullable=False),
        sa.PrimaryKeyConstraint(
            "section", "item_id", "scope", "dependencia", name=op.f("pk_supervision_items")
        ),
    )
    for name, columns in (
        ("ix_supervision_items_e1", ["section", "scope", "first", "e1", "item_id"]),
        ("ix_supervision_items_e2", ["section", "scope", "first", "e2", "item_id"]),
        ("ix_supervision_items_e3", ["section", "scope", "first", "e3", "item_id"]),
        ("ix_supervision_items_dependencia", ["section", "scope", "dependencia", "e3", "item_id"]),
        ("ix_supervision_items_funcionario", ["section", "scope", "funcionario", "e3", "item_id"]),
        ("ix_supervision_items_instance", ["instance_id"]),
    ):
        op.create_index(name, "supervision_items", columns, unique=False)
    op.create_table(
        "supervision_counts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("section", sa.String(length=5), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("dimension", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("moment", sa.String(length=12), nullable=False),
        sa.Column("bucket", _AT, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_counts")),
    )
    op.create_index("ix_supervision_counts_scope", "supervision_counts", ["scope", "bucket"], unique=False)
    op.create_table(
        "supervision_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("amarillo_share", sa.Float(), nullable=False),
        sa.Column("compacted", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_state")),
    )
    op.create_index("ix_pqrsd_cases_due_id", "pqrsd_cases", ["due_at", "id"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in sup.backfill_sql(
        dialect
    ):  # rows for the default share; a page rebuilds them if it differs
        op.execute(statement)
    # The triggers are created by 0027, with the `supervision_dirty` table they write to (nothing in 0024–0026
    # writes a task, candidate or case); a database migrated before 0027 existed has the old ones until then.


def downgrade() -> None:
    for statement in sup.drop_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_pqrsd_cases_due_id", table_name="pqrsd_cases")
    op.drop_table("supervision_state")
    op.drop_index("ix_supervision_counts_scope", table_name="supervision_counts")
    op.drop_table("supervision_counts")
    for name in ("instance", "funcionario", "dependencia", "e3", "e2", "e1"):
        op.drop_index(f"ix_supervision_items_{name}", table_name="supervision_items")
    op.drop_table("supervision_items")
