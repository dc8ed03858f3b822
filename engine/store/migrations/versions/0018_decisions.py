"""decisions and called processes across deployments (issue 13)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 00:00:00
"""

from alembic import op
import sqlalchemy as sa
import engine.store.tables


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per version of a decision key; deployments before this one carried their decisions inside
    # the process spec and keep running them from there.
    op.create_table(
        "decision_definitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("file", sa.String(length=300), nullable=False),
        sa.Column("version_tag", sa.String(length=200), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("deployed_at", engine.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_decision_definitions_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_definitions")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_decision_definitions_key")),
    )
    with op.batch_alter_table("decision_definitions", schema=None) as batch_op:
        batch_op.create_index("ix_decision_definitions_key_tag", ["key", "version_tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decision_definitions", schema=None) as batch_op:
        batch_op.drop_index("ix_decision_definitions_key_tag")
    op.drop_table("decision_definitions")
