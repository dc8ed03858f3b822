"""pqrsd report data: turns, quality reviews, indicator goals

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:00:00
"""

from alembic import op
import sqlalchemy as sa
import engine.store.tables


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UTC = engine.store.tables.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('turnos',
    sa.Column('id', ID, nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('punto', sa.String(length=120), nullable=False),
    sa.Column('issued_at', UTC, nullable=False),
    sa.Column('called_at', UTC, nullable=True),
    sa.Column('ended_at', UTC, nullable=True),
    sa.Column('abandoned_at', UTC, nullable=True),
    sa.Column('called_by', sa.String(length=120), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_turnos'))
    )
    with op.batch_alter_table('turnos', schema=None) as batch_op:
        batch_op.create_index('ix_turnos_issued_at', ['issued_at'], unique=False)
    op.create_table('quality_reviews',
    sa.Column('id', ID, nullable=False),
    sa.Column('case_id', ID, nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.Column('coherencia', sa.Boolean(), nullable=False),
    sa.Column('claridad', sa.Boolean(), nullable=False),
    sa.Column('calidez', sa.Boolean(), nullable=False),
    sa.Column('oportunidad', sa.Boolean(), nullable=False),
    sa.Column('manejo_sistema', sa.Boolean(), nullable=False),
    sa.Column('observaciones', sa.Text(), nullable=True),
    sa.Column('reviewed_at', UTC, nullable=False),
    sa.Column('reviewer', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['pqrsd_cases.id'], name=op.f('fk_quality_reviews_case_id_pqrsd_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_reviews')),
    sa.UniqueConstraint('case_id', name=op.f('uq_quality_reviews_case_id'))
    )
    with op.batch_alter_table('quality_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_reviews_answered_on'), ['answered_on'], unique=False)
    op.create_table('indicator_goals',
    sa.Column('id', ID, nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('vigencia', sa.Integer(), nullable=False),
    sa.Column('meta', sa.Float(), nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_goals')),
    sa.UniqueConstraint('indicator', 'vigencia', name=op.f('uq_indicator_goals_indicator'))
    )


def downgrade() -> None:
    op.drop_table('indicator_goals')
    with op.batch_alter_table('quality_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_reviews_answered_on'))
    op.drop_table('quality_reviews')
    with op.batch_alter_table('turnos', schema=None) as batch_op:
        batch_op.drop_index('ix_turnos_issued_at')
    op.drop_table('turnos')
