"""PIN change lock and decoy PINs, her frozen view of a canceled alert, revocable tracking links

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-23 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from safety import util

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('decoy_pin_hash', sa.String(length=200), nullable=True))
    op.add_column('users', sa.Column('decoy_duress_pin_hash', sa.String(length=200),
                                     nullable=True))
    op.add_column('users', sa.Column('pin_change_failures', sa.Integer(), server_default='0',
                                     nullable=False))
    op.add_column('users', sa.Column('pin_change_locked_until', util.UTCDateTime(),
                                     nullable=True))
    op.add_column('alerts', sa.Column('shown_lat', sa.Float(), nullable=True))
    op.add_column('alerts', sa.Column('shown_lon', sa.Float(), nullable=True))
    op.add_column('alerts', sa.Column('shown_accuracy_m', sa.Float(), nullable=True))
    op.add_column('alerts', sa.Column('shown_location_at', util.UTCDateTime(), nullable=True))
    # Alerts already canceled on her screen keep showing where they were (a real cancel froze
    # lat/lon; a duress cancel's point is the best we have).
    op.execute("UPDATE alerts SET shown_lat = lat, shown_lon = lon, "
               "shown_accuracy_m = accuracy_m, shown_location_at = location_at "
               "WHERE shown_canceled_at IS NOT NULL")
    op.add_column('tracking_links', sa.Column('revoked_at', util.UTCDateTime(), nullable=True))
    op.create_index('ix_tracking_links_contact_id', 'tracking_links', ['contact_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_tracking_links_contact_id', table_name='tracking_links')
    op.drop_column('tracking_links', 'revoked_at')
    op.drop_column('alerts', 'shown_location_at')
    op.drop_column('alerts', 'shown_accuracy_m')
    op.drop_column('alerts', 'shown_lon')
    op.drop_column('alerts', 'shown_lat')
    op.drop_column('users', 'pin_change_locked_until')
    op.drop_column('users', 'pin_change_failures')
    op.drop_column('users', 'decoy_duress_pin_hash')
    op.drop_column('users', 'decoy_pin_hash')
