"""escalation ladders: the steps of each ready task's ladder, their moments and outcomes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:00:00
"""

from alembic import op
import sqlalchemy as sa
import engine.store.tables


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ladder_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('when_text', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('argument', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('fire_at', engine.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('base_due_at', engine.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', engine.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', engine.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('retry_at', engine.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_ladder_steps_incident_id_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_ladder_steps_instance_id_process_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_ladder_steps_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ladder_steps')),
    sa.UniqueConstraint('task_id', 'position', name=op.f('uq_ladder_steps_task_id'))
    )
    with op.batch_alter_table('ladder_steps', schema=None) as batch_op:
        batch_op.create_index('ix_ladder_steps_instance_status', ['instance_id', 'status'], unique=False)
        batch_op.create_index('ix_ladder_steps_status_fire', ['status', 'fire_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ladder_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_ladder_steps_status_fire')
        batch_op.drop_index('ix_ladder_steps_instance_status')
    op.drop_table('ladder_steps')
