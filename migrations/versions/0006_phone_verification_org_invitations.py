"""phone verification (one-time SMS codes), organisation invitations

Existing accounts keep working: they log in and use the app, with phone_verified_at left
empty. Until such an account verifies its number (POST /me/phone-codes purpose verify, then
POST /me/phone/verify) it sees no guardian or organisation invitations, and guardianships it
accepted before stop counting: no push, no reading her alerts (her contact gets SMS instead,
as one without the app). They count again, unchanged, once the number is verified. Existing
organisation members keep their roles: an administrator chose those accounts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from safety import util

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('phone_verified_at', util.UTCDateTime(), nullable=True))
    op.create_table('phone_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('expires_at', util.UTCDateTime(), nullable=False),
    sa.Column('used_at', util.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_phone_codes_phone_created', 'phone_codes', ['phone', 'created_at'], unique=False)
    op.create_index('ix_phone_codes_user_created', 'phone_codes', ['user_id', 'created_at'], unique=False)
    op.create_index('ix_phone_codes_created', 'phone_codes', ['created_at'], unique=False)
    op.create_table('org_invitations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('invited_by_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('responded_at', util.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'phone', 'role', name='uq_org_invitations_org_phone_role')
    )
    op.create_index('ix_org_invitations_phone', 'org_invitations', ['phone'], unique=False)


def downgrade():
    op.drop_index('ix_org_invitations_phone', table_name='org_invitations')
    op.drop_table('org_invitations')
    op.drop_index('ix_phone_codes_created', table_name='phone_codes')
    op.drop_index('ix_phone_codes_user_created', table_name='phone_codes')
    op.drop_index('ix_phone_codes_phone_created', table_name='phone_codes')
    op.drop_table('phone_codes')
    op.drop_column('users', 'phone_verified_at')
