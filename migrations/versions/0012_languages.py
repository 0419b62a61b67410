"""languages: each user's time zone (texts they receive show times in it)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('time_zone', sa.String(length=40),
                                     server_default='Asia/Almaty', nullable=False))


def downgrade():
    op.drop_column('users', 'time_zone')  # not batch: its copy and DROP would cascade
