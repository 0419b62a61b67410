"""her choice to show her number ("Call her") on her SMS contacts' tracking page

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('share_phone_with_contacts', sa.Boolean(),
                                     server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('users', 'share_phone_with_contacts')
