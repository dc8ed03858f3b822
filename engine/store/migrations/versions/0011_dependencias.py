"""dependencias: the groups users belong to and models route tasks to, as rows

Every group already named by a user gets its row, so an upgraded installation keeps working.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:00:00
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import engine.store.tables


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    dependencias = op.create_table('dependencias',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', engine.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dependencias')),
    sa.UniqueConstraint('code', name=op.f('uq_dependencias_code'))
    )
    users = sa.table('users', sa.column('groups', sa.JSON()))
    named = sorted({str(g).strip() for (groups,) in op.get_bind().execute(sa.select(users.c.groups))
                    for g in (groups or []) if str(g).strip()})
    if named:
        now = datetime.now(timezone.utc)
        op.bulk_insert(dependencias, [
            {'code': code, 'name': code.replace('_', ' ').capitalize(), 'active': True, 'created_at': now}
            for code in named
        ])


def downgrade() -> None:
    op.drop_table('dependencias')
