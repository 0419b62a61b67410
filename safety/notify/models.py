from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow


class Device(db.Model):
    """A phone's push registration: where a push to its user goes. Written by the device
    endpoints (accounts.service.upsert_device); retired by the push channel when FCM says the
    token is dead."""

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    installation_id: Mapped[str] = mapped_column(String(200))
    push_token: Mapped[str] = mapped_column(String(1024), index=True)
    platform: Mapped[str] = mapped_column(String(10))
    app_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("user_id", "installation_id", name="uq_devices_user_installation"),
    )


class OutboxJob(db.Model):
    """A side effect promised in the same transaction as the change that caused it.

    status: pending -> sending (claimed, under a lease) -> sent | failed (permanently)
            | canceled (no longer needed, e.g. a timer whose alert ended).
    """

    __tablename__ = "outbox_jobs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))  # push | sms | webhook | timer
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    alert_id: Mapped[uuid.UUID | None] = mapped_column()
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column()
    recipient: Mapped[str | None] = mapped_column(String(200))  # a label: phone, device, url
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=12)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_outbox_jobs_status_due", "status", "due_at"),
        Index("ix_outbox_jobs_alert_id", "alert_id"),
    )


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    jobs_done: Mapped[int] = mapped_column(Integer, default=0)
