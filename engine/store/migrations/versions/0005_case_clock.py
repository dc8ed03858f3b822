"""case clock: dependencia, semáforo thresholds, search indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:40:00
"""

from alembic import op
import sqlalchemy as sa
import engine.store.tables


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pqrsd_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dependencia', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('amarillo_at', engine.store.tables.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('alerta_at', engine.store.tables.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_pqrsd_cases_dependencia', ['dependencia'], unique=False)
        batch_op.create_index('ix_pqrsd_cases_petitioner_name', ['petitioner_name'], unique=False)
        batch_op.create_index('ix_pqrsd_cases_document_number', ['document_number'], unique=False)
        batch_op.create_index('ix_pqrsd_cases_received_at', ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pqrsd_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_pqrsd_cases_received_at')
        batch_op.drop_index('ix_pqrsd_cases_document_number')
        batch_op.drop_index('ix_pqrsd_cases_petitioner_name')
        batch_op.drop_index('ix_pqrsd_cases_dependencia')
        batch_op.drop_column('alerta_at')
        batch_op.drop_column('amarillo_at')
        batch_op.drop_column('dependencia')
