"""who sees which PQRSD case, as rows the bandeja seeks on, kept by triggers (issues 11, 16)

The bandeja of a funcionario probed every case's tasks in due order until it had counted 1.000 visible ones;
it now reads its own rows of `case_visibility` (one index range per principal: themselves, each dependencia,
and for a supervisor the cases of tasks nobody was named for).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import engine.store.tables
from engine.store import case_visibility_tables as cases

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = engine.store.tables.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_visibility",
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=120), nullable=False),
        sa.Column("due_key", _AT, nullable=False),
        sa.Column("estado", sa.String(length=30), nullable=False),
        sa.Column("tipo", sa.String(length=80), nullable=False),
        sa.Column("canal", sa.String(length=40), nullable=False),
        sa.Column("dependencia", sa.String(length=120), nullable=True),
        sa.Column("received_at", _AT, nullable=False),
        sa.Column("amarillo_at", _AT, nullable=True),
        sa.Column("alerta_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["pqrsd_cases.id"],
            name=op.f("fk_case_visibility_case_id_pqrsd_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "kind", "value", name=op.f("pk_case_visibility")),
    )
    for name, columns in (
        ("ix_case_visibility_due", ["kind", "value", "due_key", "case_id"]),
        ("ix_case_visibility_estado", ["kind", "value", "estado", "due_key", "case_id"]),
    ):
        op.create_index(name, "case_visibility", columns, unique=False)
    dialect = op.get_bind().dialect.name
    op.execute(cases.backfill_sql(dialect))
    for statement in cases.create_triggers_ddl(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in cases.drop_triggers_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_case_visibility_estado", table_name="case_visibility")
    op.drop_index("ix_case_visibility_due", table_name="case_visibility")
    op.drop_table("case_visibility")
