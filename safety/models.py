"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from safety.accounts.models import AuthSession, Device, User, UserRole  # noqa: F401
from safety.notify.models import OutboxJob, WorkerHeartbeat  # noqa: F401
