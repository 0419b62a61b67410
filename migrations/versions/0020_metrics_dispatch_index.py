"""metrics: an index on dispatches.created_at (the acceptance shares /metrics reads over the
last METRICS_WINDOW_S)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-02 10:00:00.000000
"""
from alembic import op

revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_dispatches_created', 'dispatches', ['created_at'], unique=False)


def downgrade():
    op.drop_index('ix_dispatches_created', table_name='dispatches')
