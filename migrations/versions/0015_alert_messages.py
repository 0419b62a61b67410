"""silent replies: messages in an alert's timeline

Revision ID: 0015
Revises: 0016
Create Date: 2026-11-28 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from safety import util

revision = '0015'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('alert_id', sa.Uuid(), nullable=False),
    sa.Column('sender_id', sa.Uuid(), nullable=False),
    sa.Column('sender_role', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=True),
    sa.Column('client_id', sa.Uuid(), nullable=True),
    sa.Column('held', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(code IS NULL) <> (text IS NULL)', name='ck_alert_messages_one_kind'),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id', 'sender_id', 'client_id', name='uq_alert_messages_client')
    )
    op.create_index('ix_alert_messages_alert_created', 'alert_messages',
                    ['alert_id', 'created_at'], unique=False)
    op.create_index('ix_alert_messages_sender_created', 'alert_messages',
                    ['alert_id', 'sender_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_alert_messages_sender_created', table_name='alert_messages')
    op.drop_index('ix_alert_messages_alert_created', table_name='alert_messages')
    op.drop_table('alert_messages')
