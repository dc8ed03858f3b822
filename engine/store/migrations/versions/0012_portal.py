"""citizen portal: satisfaction surveys, characterizations, and the portal's request log (rate limits)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:00:00
"""

from alembic import op
import sqlalchemy as sa
import engine.store.tables


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pqrsd_surveys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('answered_at', engine.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_pqrsd_surveys_rating')),
    sa.CheckConstraint("source IN ('portal', 'funcionario')", name=op.f('ck_pqrsd_surveys_source')),
    sa.ForeignKeyConstraint(['case_id'], ['pqrsd_cases.id'], name=op.f('fk_pqrsd_surveys_case_id_pqrsd_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pqrsd_surveys')),
    sa.UniqueConstraint('case_id', name=op.f('uq_pqrsd_surveys_case_id'))
    )
    with op.batch_alter_table('pqrsd_surveys', schema=None) as batch_op:
        batch_op.create_index('ix_pqrsd_surveys_answered_at', ['answered_at'], unique=False)

    op.create_table('pqrsd_characterizations',
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('enfoque_diferencial', sa.JSON(), nullable=False),
    sa.Column('genero', sa.String(length=30), nullable=True),
    sa.Column('rango_edad', sa.String(length=30), nullable=True),
    sa.Column('territorio', sa.String(length=200), nullable=True),
    sa.Column('consented_at', engine.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['pqrsd_cases.id'], name=op.f('fk_pqrsd_characterizations_case_id_pqrsd_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_pqrsd_characterizations'))
    )

    op.create_table('portal_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', engine.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_requests')),
    sa.UniqueConstraint('nonce', name=op.f('uq_portal_requests_nonce'))
    )
    with op.batch_alter_table('portal_requests', schema=None) as batch_op:
        batch_op.create_index('ix_portal_requests_source_kind_at', ['source', 'kind', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('portal_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_requests_source_kind_at')
    op.drop_table('portal_requests')
    op.drop_table('pqrsd_characterizations')
    with op.batch_alter_table('pqrsd_surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_pqrsd_surveys_answered_at')
    op.drop_table('pqrsd_surveys')
