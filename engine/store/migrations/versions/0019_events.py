"""signals, event subprocesses and compensation (issue 13)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 00:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Signal subscriptions, like message_waits. Instances saved before have none: no signal reached them.
    op.create_table(
        "signal_waits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("instance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("spiff_id", sa.String(length=36), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("signal_name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_signal_waits_instance_id_process_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_waits")),
    )
    with op.batch_alter_table("signal_waits", schema=None) as batch_op:
        batch_op.create_index("ix_signal_waits_name", ["signal_name", "instance_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signal_waits", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_waits_name")
    op.drop_table("signal_waits")
