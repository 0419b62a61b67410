"""registry: entries, name keys, audit, checks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 19:07:33.769670
"""
from alembic import op
import sqlalchemy as sa


from safety import geo, util

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registry_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('full_name', sa.String(length=300), nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('iin', sa.String(length=12), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('authority', sa.String(length=300), nullable=False),
    sa.Column('case_reference', sa.String(length=200), nullable=True),
    sa.Column('legal_basis', sa.String(length=20), nullable=False),
    sa.Column('consent_reference', sa.String(length=200), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('updated_at', util.UTCDateTime(), nullable=False),
    sa.Column('deleted_at', util.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_registry_entries_birth_date', 'registry_entries', ['birth_date'], unique=False)
    op.create_index('ix_registry_entries_created', 'registry_entries', ['created_at', 'id'], unique=False)
    op.create_index('ix_registry_entries_dedupe_key', 'registry_entries', ['dedupe_key'], unique=False)
    op.create_index('ix_registry_entries_iin', 'registry_entries', ['iin'], unique=False)
    op.create_index('ix_registry_entries_phone', 'registry_entries', ['phone'], unique=False)
    op.create_table('registry_audit',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_registry_audit_created', 'registry_audit', ['created_at', 'id'], unique=False)
    op.create_table('registry_checks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('full_name', sa.String(length=300), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('iin', sa.String(length=12), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('match_count', sa.Integer(), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_registry_checks_created', 'registry_checks', ['created_at', 'id'], unique=False)
    op.create_index('ix_registry_checks_user_created', 'registry_checks', ['user_id', 'created_at'], unique=False)
    op.create_table('registry_name_keys',
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['registry_entries.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'key')
    )
    op.create_index('ix_registry_name_keys_key', 'registry_name_keys', ['key'], unique=False)


def downgrade():
    op.drop_index('ix_registry_name_keys_key', table_name='registry_name_keys')
    op.drop_table('registry_name_keys')
    op.drop_index('ix_registry_checks_user_created', table_name='registry_checks')
    op.drop_index('ix_registry_checks_created', table_name='registry_checks')
    op.drop_table('registry_checks')
    op.drop_index('ix_registry_audit_created', table_name='registry_audit')
    op.drop_table('registry_audit')
    op.drop_index('ix_registry_entries_phone', table_name='registry_entries')
    op.drop_index('ix_registry_entries_iin', table_name='registry_entries')
    op.drop_index('ix_registry_entries_dedupe_key', table_name='registry_entries')
    op.drop_index('ix_registry_entries_created', table_name='registry_entries')
    op.drop_index('ix_registry_entries_birth_date', table_name='registry_entries')
    op.drop_table('registry_entries')
