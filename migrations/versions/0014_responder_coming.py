"""who is coming: the responder's latest position on the dispatch; a responder's vehicle and
badge in the organisation

Revision ID: 0014
Revises: 0015
Create Date: 2026-11-28 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import safety.util


revision = '0014'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dispatches') as batch:
        batch.add_column(sa.Column('responder_lat', sa.Float(), nullable=True))
        batch.add_column(sa.Column('responder_lon', sa.Float(), nullable=True))
        batch.add_column(sa.Column('responder_accuracy_m', sa.Float(), nullable=True))
        batch.add_column(sa.Column('responder_location_at', safety.util.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('responder_location_reported_at', sa.String(length=64),
                                   nullable=True))
        batch.add_column(sa.Column('responder_location_received_at', safety.util.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('position_stale_warned_at', safety.util.UTCDateTime(),
                                   nullable=True))
    with op.batch_alter_table('org_members') as batch:
        batch.add_column(sa.Column('vehicle', sa.String(length=60), nullable=True))
        batch.add_column(sa.Column('badge', sa.String(length=30), nullable=True))


def downgrade():
    # plain DROP COLUMN, not batch: on SQLite a batch copies the table and DROPs the old one,
    # and with foreign keys on that DROP cascades into the rows that refer to it
    op.drop_column('org_members', 'badge')
    op.drop_column('org_members', 'vehicle')
    for column in ('position_stale_warned_at', 'responder_location_received_at',
                   'responder_location_reported_at', 'responder_location_at',
                   'responder_accuracy_m', 'responder_lon', 'responder_lat'):
        op.drop_column('dispatches', column)
