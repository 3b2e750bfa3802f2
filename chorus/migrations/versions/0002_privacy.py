"""Personal-data flags and redactions (issue #13): ``privacy_flags`` and ``redactions``.

Revision ID: 0002_privacy
Revises: 0001_baseline
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_privacy'
down_revision = '0001_baseline'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('first', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.Column('start', sa.Double(), nullable=False),
    sa.Column('end', sa.Double(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('decided_by', sa.String(length=40), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_privacy_flags_episode_id'), 'privacy_flags', ['episode_id'])
    op.create_table('redactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=True),
    sa.Column('spans', sa.JSON(), nullable=False),
    sa.Column('redacted_by', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('scrubbed', sa.Integer(), nullable=False),
    sa.Column('digests', sa.JSON(), nullable=True),
    sa.Column('verified', sa.Boolean(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('check', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], ),
    sa.ForeignKeyConstraint(['flag_id'], ['privacy_flags.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_redactions_episode_id'), 'redactions', ['episode_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_redactions_episode_id'), table_name='redactions')
    op.drop_table('redactions')
    op.drop_index(op.f('ix_privacy_flags_episode_id'), table_name='privacy_flags')
    op.drop_table('privacy_flags')
