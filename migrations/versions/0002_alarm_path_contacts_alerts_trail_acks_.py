"""alarm path: contacts, alerts, trail, acks, tracking links

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:43:54.923402
"""
from alembic import op
import sqlalchemy as sa


from safety import geo, util

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alerts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('trigger', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('duress', sa.Boolean(), nullable=False),
    sa.Column('unassigned', sa.Boolean(), nullable=False),
    sa.Column('battery_pct', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('location_at', util.UTCDateTime(), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('updated_at', util.UTCDateTime(), nullable=False),
    sa.Column('ended_at', util.UTCDateTime(), nullable=True),
    sa.Column('shown_canceled_at', util.UTCDateTime(), nullable=True),
    sa.Column('cancel_failures', sa.Integer(), nullable=False),
    sa.Column('cancel_locked_until', util.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'client_id', name='uq_alerts_user_client')
    )
    op.create_index('ix_alerts_status_ended', 'alerts', ['status', 'ended_at'], unique=False)
    op.create_index('ix_alerts_user_created', 'alerts', ['user_id', 'created_at'], unique=False)
    op.create_index('uq_alerts_one_live', 'alerts', ['user_id'], unique=True, postgresql_where=sa.text("status IN ('active', 'dispatched', 'responding')"), sqlite_where=sa.text("status IN ('active', 'dispatched', 'responding')"))
    op.create_table('contacts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('relation', sa.String(length=60), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('guardian_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('responded_at', util.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['guardian_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'phone', name='uq_contacts_owner_phone')
    )
    op.create_index('ix_contacts_guardian_id', 'contacts', ['guardian_id'], unique=False)
    op.create_index('ix_contacts_phone', 'contacts', ['phone'], unique=False)
    op.create_table('alert_acks',
    sa.Column('alert_id', sa.Uuid(), nullable=False),
    sa.Column('guardian_id', sa.Uuid(), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['guardian_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('alert_id', 'guardian_id')
    )
    op.create_table('alert_locations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.Uuid(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('altitude_m', sa.Float(), nullable=True),
    sa.Column('heading_deg', sa.Float(), nullable=True),
    sa.Column('speed_mps', sa.Float(), nullable=True),
    sa.Column('recorded_at', util.UTCDateTime(), nullable=False),
    sa.Column('received_at', util.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id', 'recorded_at', name='uq_alert_locations_alert_recorded')
    )
    op.create_table('tracking_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('alert_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('expires_at', util.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_tracking_links_alert_id', 'tracking_links', ['alert_id'], unique=False)


def downgrade():
    op.drop_index('ix_tracking_links_alert_id', table_name='tracking_links')
    op.drop_table('tracking_links')
    op.drop_table('alert_locations')
    op.drop_table('alert_acks')
    op.drop_index('ix_contacts_phone', table_name='contacts')
    op.drop_index('ix_contacts_guardian_id', table_name='contacts')
    op.drop_table('contacts')
    op.drop_index('uq_alerts_one_live', table_name='alerts', postgresql_where=sa.text("status IN ('active', 'dispatched', 'responding')"), sqlite_where=sa.text("status IN ('active', 'dispatched', 'responding')"))
    op.drop_index('ix_alerts_user_created', table_name='alerts')
    op.drop_index('ix_alerts_status_ended', table_name='alerts')
    op.drop_table('alerts')
