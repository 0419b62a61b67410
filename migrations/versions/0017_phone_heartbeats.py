"""her phone going dark: heartbeats (battery, last seen) and their warnings on alerts and
safety timers; a timer's last known location time

Revision ID: 0017
Revises: 0012
Create Date: 2026-11-28 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from safety.util import UTCDateTime

revision = '0017'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('alerts', 'safety_timers')
MOMENTS = ('phone_seen_at', 'phone_low_warned_at', 'phone_dark_warned_at', 'phone_warned_at',
           'phone_check_due')


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('phone_battery_pct', sa.SmallInteger(), nullable=True))
        op.add_column(table, sa.Column('phone_charging', sa.Boolean(), nullable=True))
        for name in MOMENTS:
            op.add_column(table, sa.Column(name, UTCDateTime(), nullable=True))
        op.add_column(table, sa.Column('phone_checks', sa.Integer(), server_default=sa.text('0'),
                                       nullable=False))
    op.add_column('safety_timers', sa.Column('location_at', UTCDateTime(), nullable=True))
    op.add_column('safety_timers', sa.Column('location_reported_at', sa.String(length=64),
                                             nullable=True))


def downgrade():
    op.drop_column('safety_timers', 'location_reported_at')
    op.drop_column('safety_timers', 'location_at')
    for table in TABLES:
        op.drop_column(table, 'phone_checks')
        for name in reversed(MOMENTS):
            op.drop_column(table, name)
        op.drop_column(table, 'phone_charging')
        op.drop_column(table, 'phone_battery_pct')
