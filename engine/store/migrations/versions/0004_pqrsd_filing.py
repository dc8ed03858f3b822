"""pqrsd filing: tracking code, verbal receiver, petitioner type, consents

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pqrsd_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('codigo_consulta', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('received_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('petitioner_type', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('notify_electronically', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('identity_reserved', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('pqrsd_cases', schema=None) as batch_op:
        batch_op.drop_column('identity_reserved')
        batch_op.drop_column('notify_electronically')
        batch_op.drop_column('petitioner_type')
        batch_op.drop_column('received_by')
        batch_op.drop_column('codigo_consulta')
