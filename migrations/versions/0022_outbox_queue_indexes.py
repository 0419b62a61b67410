"""outbox: the two queues a worker claims from, each with its own index — deliveries (pushes,
SMS, webhooks, station events) and timer jobs (escalations, offer timeouts, purges) — so that
claiming pushes stays one short index scan when a burst of timers is due

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-23 21:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

PENDING_SEND = "status = 'pending' AND channel <> 'timer'"
PENDING_TIMER = "status = 'pending' AND channel = 'timer'"


def upgrade():
    op.create_index('ix_outbox_jobs_pending_send', 'outbox_jobs', ['due_at'], unique=False,
                    postgresql_where=sa.text(PENDING_SEND), sqlite_where=sa.text(PENDING_SEND))
    op.create_index('ix_outbox_jobs_pending_timer', 'outbox_jobs', ['due_at'], unique=False,
                    postgresql_where=sa.text(PENDING_TIMER),
                    sqlite_where=sa.text(PENDING_TIMER))


def downgrade():
    op.drop_index('ix_outbox_jobs_pending_timer', table_name='outbox_jobs')
    op.drop_index('ix_outbox_jobs_pending_send', table_name='outbox_jobs')
