"""case outcome: the answer sent and how the case closed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pqrsd_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respuesta', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pqrsd_cases', schema=None) as batch_op:
        batch_op.drop_column('outcome')
        batch_op.drop_column('respuesta')
