"""monitoring receivers (SIA DC-09) of partner organisations; alerts' short numbers; an index
for an organisation's station events

Revision ID: 0018
Revises: 0013
Create Date: 2026-11-28 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from safety import util

revision = '0018'
down_revision = '0013'
branch_labels = None
depends_on = None

LIVE_SQL = "status IN ('active', 'dispatched', 'responding')"


def upgrade():
    op.create_table('monitoring_receivers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.Column('host', sa.String(length=253), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('transport', sa.String(length=3), nullable=False),
    sa.Column('receiver_number', sa.String(length=6), nullable=False),
    sa.Column('line_prefix', sa.String(length=6), nullable=False),
    sa.Column('account', sa.String(length=16), nullable=False),
    sa.Column('key_sealed', sa.Text(), nullable=True),
    sa.Column('key_bits', sa.Integer(), nullable=True),
    sa.Column('extended_data', sa.String(length=10), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('clock_offset_s', sa.Float(), nullable=False),
    sa.Column('last_ack_at', util.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', util.UTCDateTime(), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('updated_at', util.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'priority', name='uq_monitoring_receivers_org_priority')
    )
    op.add_column('alerts', sa.Column('number', sa.Integer(), nullable=True))
    op.create_index('uq_alerts_live_number', 'alerts', ['number'], unique=True,
                    postgresql_where=sa.text(LIVE_SQL), sqlite_where=sa.text(LIVE_SQL))
    op.create_index('ix_outbox_jobs_channel_recipient', 'outbox_jobs',
                    ['channel', 'recipient', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_outbox_jobs_channel_recipient', table_name='outbox_jobs')
    op.drop_index('uq_alerts_live_number', table_name='alerts',
                  postgresql_where=sa.text(LIVE_SQL), sqlite_where=sa.text(LIVE_SQL))
    op.drop_column('alerts', 'number')  # not batch: its copy and DROP would cascade on SQLite
    op.drop_table('monitoring_receivers')
