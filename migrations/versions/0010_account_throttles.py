"""per-account throttles of password checks

Revision ID: 0010
Revises: 0005
Create Date: 2026-11-24 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from safety import util

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auth_throttles',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('gate', sa.String(length=20), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', util.UTCDateTime(), nullable=True),
    sa.Column('locked_until', util.UTCDateTime(), nullable=True),
    sa.Column('locks', sa.Integer(), nullable=False),
    sa.Column('updated_at', util.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index('ix_auth_throttles_updated_at', 'auth_throttles', ['updated_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_auth_throttles_updated_at', table_name='auth_throttles')
    op.drop_table('auth_throttles')
