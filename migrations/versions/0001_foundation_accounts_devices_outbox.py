"""foundation: accounts, devices, outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 18:36:48.021404
"""
from alembic import op
import sqlalchemy as sa


from safety import geo, util

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    geo.ensure_postgis(op)
    op.create_table('outbox_jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('alert_id', sa.Uuid(), nullable=True),
    sa.Column('recipient_user_id', sa.Uuid(), nullable=True),
    sa.Column('recipient', sa.String(length=200), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', util.UTCDateTime(), nullable=False),
    sa.Column('lease_until', util.UTCDateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('first_attempt_at', util.UTCDateTime(), nullable=True),
    sa.Column('finished_at', util.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    op.create_index('ix_outbox_jobs_alert_id', 'outbox_jobs', ['alert_id'], unique=False)
    op.create_index('ix_outbox_jobs_status_due', 'outbox_jobs', ['status', 'due_at'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('duress_pin_hash', sa.String(length=200), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('phone')
    )
    op.create_table('worker_heartbeats',
    sa.Column('worker_id', sa.String(length=80), nullable=False),
    sa.Column('hostname', sa.String(length=200), nullable=False),
    sa.Column('started_at', util.UTCDateTime(), nullable=False),
    sa.Column('seen_at', util.UTCDateTime(), nullable=False),
    sa.Column('jobs_done', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('worker_id')
    )
    op.create_table('auth_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('expires_at', util.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', util.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_auth_sessions_user_id', 'auth_sessions', ['user_id'], unique=False)
    op.create_table('devices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('installation_id', sa.String(length=200), nullable=False),
    sa.Column('push_token', sa.String(length=1024), nullable=False),
    sa.Column('platform', sa.String(length=10), nullable=False),
    sa.Column('app_version', sa.String(length=40), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('updated_at', util.UTCDateTime(), nullable=False),
    sa.Column('retired_at', util.UTCDateTime(), nullable=True),
    sa.Column('retired_reason', sa.String(length=200), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'installation_id', name='uq_devices_user_installation')
    )
    op.create_index('ix_devices_push_token', 'devices', ['push_token'], unique=False)
    op.create_table('user_roles',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role')
    )


def downgrade():
    op.drop_table('user_roles')
    op.drop_index('ix_devices_push_token', table_name='devices')
    op.drop_table('devices')
    op.drop_index('ix_auth_sessions_user_id', table_name='auth_sessions')
    op.drop_table('auth_sessions')
    op.drop_table('worker_heartbeats')
    op.drop_table('users')
    op.drop_index('ix_outbox_jobs_status_due', table_name='outbox_jobs')
    op.drop_index('ix_outbox_jobs_alert_id', table_name='outbox_jobs')
    op.drop_table('outbox_jobs')
