"""inbound SMS: handled message ids; an alert may have no location (an SOS by SMS from someone
never located)

Revision ID: 0016
Revises: 0017
Create Date: 2026-11-28 09:00:00.000000
"""
import re

from alembic import op
import sqlalchemy as sa

from safety import util


revision = '0016'
down_revision = '0017'
branch_labels = None
depends_on = None

# alerts columns that an alert raised without any location leaves empty
LOCATION_COLUMNS = (("lat", "FLOAT", sa.Float()), ("lon", "FLOAT", sa.Float()),
                    ("location_at", "DATETIME", util.UTCDateTime()))


def _sqlite_not_null(table: str, columns, not_null: bool) -> None:
    """Add or drop NOT NULL on SQLite by editing the table's stored definition, the procedure
    SQLite documents for changes that leave the stored rows as they are (ALTER TABLE, "Making
    Other Kinds Of Table Schema Changes"). Batch mode would copy the table and DROP the old
    one, and with foreign keys on, that DROP deletes every trail point, acknowledgement and
    dispatch of every alert (ON DELETE CASCADE); PRAGMA foreign_keys cannot change inside the
    migration's transaction."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    for name, kind, _type in columns:
        old, new = (f"{name} {kind}", f"{name} {kind} NOT NULL") if not_null else \
            (f"{name} {kind} NOT NULL", f"{name} {kind}")
        pattern = re.compile(r"(^|\n)(\s*)" + re.escape(old) + r"(\s*,)")
        sql, n = pattern.subn(lambda m, new=new: m.group(1) + m.group(2) + new + m.group(3),
                              sql)
        if n != 1:
            raise RuntimeError(f"{table}.{name}: expected one '{old}' in the table's "
                               f"definition; found {n}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if bind.exec_driver_sql("PRAGMA quick_check").scalar() != "ok":
        raise RuntimeError(f"{table}: the quick check failed after the change")


def _location_nullable(nullable: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_not_null("alerts", LOCATION_COLUMNS, not_null=not nullable)
        return
    for name, _kind, type_ in LOCATION_COLUMNS:
        op.alter_column("alerts", name, existing_type=type_, nullable=nullable)


def upgrade():
    op.create_table('inbound_sms',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('command', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('received_at', util.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider', 'message_id', name='uq_inbound_sms_provider_message')
    )
    op.create_index('ix_inbound_sms_received', 'inbound_sms', ['received_at'], unique=False)
    op.create_index('ix_inbound_sms_user_received', 'inbound_sms', ['user_id', 'received_at'],
                    unique=False)
    _location_nullable(True)


def downgrade():
    missing = op.get_bind().exec_driver_sql(
        "SELECT count(*) FROM alerts WHERE lat IS NULL OR lon IS NULL OR location_at IS NULL"
    ).scalar()
    if missing:
        raise RuntimeError(f"{missing} alerts have no location (SOS by SMS): the schema before "
                           "0016 cannot hold them; delete or locate them first")
    _location_nullable(False)
    op.drop_index('ix_inbound_sms_user_received', table_name='inbound_sms')
    op.drop_index('ix_inbound_sms_received', table_name='inbound_sms')
    op.drop_table('inbound_sms')
