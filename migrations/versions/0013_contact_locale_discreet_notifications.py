"""languages: each contact's language (SMS to contacts without the app) and each user's choice
of discreet notifications (neutral words on the lock screen)

Revision ID: 0013
Revises: 0014
Create Date: 2026-11-28 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('contacts', sa.Column('locale', sa.String(length=10), server_default='kk',
                                        nullable=False))
    # A contact she added before reads in her language, as a new one does by default.
    op.execute("UPDATE contacts SET locale = (SELECT users.locale FROM users "
               "WHERE users.id = contacts.owner_id)")
    op.add_column('users', sa.Column('discreet_notifications', sa.Boolean(),
                                     server_default=sa.false(), nullable=False))


def downgrade():
    # plain DROP COLUMN, not batch: a batch copies and DROPs the table, which cascades on SQLite
    op.drop_column('users', 'discreet_notifications')
    op.drop_column('contacts', 'locale')
