"""the phone's own time text where its clock was not believed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('alerts', sa.Column('location_reported_at', sa.String(length=64),
                                      nullable=True))
    op.add_column('alerts', sa.Column('shown_location_reported_at', sa.String(length=64),
                                      nullable=True))
    op.add_column('alert_locations', sa.Column('reported_recorded_at', sa.String(length=64),
                                               nullable=True))


def downgrade():
    op.drop_column('alert_locations', 'reported_recorded_at')
    op.drop_column('alerts', 'shown_location_reported_at')
    op.drop_column('alerts', 'location_reported_at')
