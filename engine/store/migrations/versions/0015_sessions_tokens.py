"""sessions and tokens end: a per-user session version, and an expiry on every API token

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 00:00:00
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", engine.store.tables.UtcDateTime(timezone=True), nullable=True)
        )
    stamp = engine.store.tables.UtcDateTime()
    tokens = sa.table(
        "api_tokens", sa.column("id"), sa.column("created_at", stamp), sa.column("expires_at", stamp)
    )
    connection = op.get_bind()
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        connection.execute(  # tokens issued before expiry existed get the default 90 days from their issue
            tokens.update().where(tokens.c.id == token_id).values(expires_at=created_at + timedelta(days=90))
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
