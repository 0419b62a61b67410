"""dispatch: organisations, members, responders, dispatches, offers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:44:07.876705
"""
from alembic import op
import sqlalchemy as sa

from geoalchemy2 import Geometry
from safety import geo, util

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_geospatial_table('organizations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('coverage', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('webhook_url', sa.String(length=500), nullable=True),
    sa.Column('webhook_secret', sa.String(length=200), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('updated_at', util.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('org_members',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'user_id', 'role')
    )
    geo.create_spatial_index(op, 'organizations', 'coverage', geography=False)
    op.create_index('ix_org_members_user_id', 'org_members', ['user_id'], unique=False)
    op.create_geospatial_table('responder_states',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('location_at', util.UTCDateTime(), nullable=True),
    sa.Column('updated_at', util.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    geo.create_spatial_index(op, 'responder_states', 'location', geography=True)
    op.create_table('dispatches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('alert_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('radius_m', sa.Float(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=True),
    sa.Column('responder_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', util.UTCDateTime(), nullable=True),
    sa.Column('en_route_at', util.UTCDateTime(), nullable=True),
    sa.Column('on_scene_at', util.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', util.UTCDateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responder_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id')
    )
    op.create_index('ix_dispatches_org_created', 'dispatches', ['org_id', 'created_at'], unique=False)
    op.create_index('ix_dispatches_responder_status', 'dispatches', ['responder_id', 'status'], unique=False)
    op.create_table('dispatch_offers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dispatch_id', sa.Uuid(), nullable=False),
    sa.Column('responder_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('expires_at', util.UTCDateTime(), nullable=False),
    sa.Column('responded_at', util.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dispatch_id'], ['dispatches.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responder_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dispatch_id', 'responder_id', name='uq_offers_dispatch_responder')
    )
    op.create_index('ix_offers_responder_status', 'dispatch_offers', ['responder_id', 'status'], unique=False)


def downgrade():
    op.drop_index('ix_offers_responder_status', table_name='dispatch_offers')
    op.drop_table('dispatch_offers')
    op.drop_index('ix_dispatches_responder_status', table_name='dispatches')
    op.drop_index('ix_dispatches_org_created', table_name='dispatches')
    op.drop_table('dispatches')
    geo.drop_spatial_index(op, 'responder_states', 'location')
    op.drop_geospatial_table('responder_states')
    op.drop_index('ix_org_members_user_id', table_name='org_members')
    op.drop_table('org_members')
    geo.drop_spatial_index(op, 'organizations', 'coverage')
    op.drop_geospatial_table('organizations')
