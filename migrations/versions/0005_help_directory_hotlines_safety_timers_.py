"""help directory, hotlines, safety timers, silent alerts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 19:15:18.635864
"""
from alembic import op
import sqlalchemy as sa

from geoalchemy2 import Geometry
from safety import geo, util

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('help_hotlines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('hours', sa.String(length=200), nullable=True),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_table('help_places',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('phones', sa.JSON(), nullable=False),
    sa.Column('hours', sa.String(length=200), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column("lat", sa.Float(), nullable=False),
    sa.Column("lon", sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('updated_at', util.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_help_places_dedupe_key', 'help_places', ['dedupe_key'], unique=False)
    geo.create_spatial_index(op, 'help_places', 'location', geography=True)
    op.create_table('safety_timers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('due_at', util.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('alert_id', sa.Uuid(), nullable=True),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.Column('pin_locked_until', util.UTCDateTime(), nullable=True),
    sa.Column('created_at', util.UTCDateTime(), nullable=False),
    sa.Column('ended_at', util.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_safety_timers_user_created', 'safety_timers', ['user_id', 'created_at'], unique=False)
    op.add_column('alerts', sa.Column('silent', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    seed_national_hotlines()


NATIONAL_HOTLINES = [
    # (number, name, description, sort)
    ("111", "Contact centre for family, women and children",
     "Free, 24/7: domestic violence, family conflicts, children's rights. Kazakh and Russian.", 10),
    ("102", "Police", "Emergency police response.", 20),
    ("112", "Emergency services", "Single emergency number: police, ambulance, fire.", 30),
    ("103", "Ambulance", "Emergency medical help.", 40),
    ("150", "Helpline for children and young people",
     "Free, 24/7, anonymous: for children, teenagers and their parents.", 50),
]


def seed_national_hotlines():
    table = sa.table(
        'help_hotlines', sa.column('id', sa.Uuid()), sa.column('name', sa.String()),
        sa.column('number', sa.String()), sa.column('region', sa.String()),
        sa.column('description', sa.Text()), sa.column('hours', sa.String()),
        sa.column('sort', sa.Integer()), sa.column('created_at', util.UTCDateTime()))
    import uuid
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    op.bulk_insert(table, [
        {"id": uuid.uuid5(uuid.NAMESPACE_URL, f"safety:hotline:kz:{number}"), "name": name,
         "number": number, "region": None, "description": description, "hours": "24/7",
         "sort": sort, "created_at": now}
        for number, name, description, sort in NATIONAL_HOTLINES])


def downgrade():
    op.drop_column('alerts', 'silent')
    op.drop_index('ix_safety_timers_user_created', table_name='safety_timers')
    op.drop_table('safety_timers')
    geo.drop_spatial_index(op, 'help_places', 'location')
    op.drop_index('ix_help_places_dedupe_key', table_name='help_places')
    op.drop_geospatial_table('help_places')
    op.drop_table('help_hotlines')
