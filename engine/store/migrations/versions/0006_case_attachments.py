"""case attachments: files on a PQRSD case, at filing, on the case or on one of its tasks

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import engine.store.tables


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('uploaded_at', engine.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['pqrsd_cases.id'], name=op.f('fk_case_attachments_case_id_pqrsd_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_case_attachments_task_id_tasks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachments')),
    sa.UniqueConstraint('case_id', 'sha256', name=op.f('uq_case_attachments_case_id'))
    )
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_attachments_task_id'), ['task_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_attachments_task_id'))
    op.drop_table('case_attachments')
