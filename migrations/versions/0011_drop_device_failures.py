"""drop devices.failures: a count nothing ever raised (a dead token retires the device at once)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_column('devices', 'failures')


def downgrade():
    op.add_column('devices', sa.Column('failures', sa.Integer(), server_default='0',
                                       nullable=False))
