from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
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


PENDING_SEND = "status = 'pending' AND channel <> 'timer'"
PENDING_TIMER = "status = 'pending' AND channel = 'timer'"


class OutboxJob(db.Model):
    """A side effect promised in the same transaction as the change that caused it.

    status: pending -> sending (claimed, under a lease) -> sent | failed (permanently)
            | canceled (no longer needed, e.g. a timer whose alert ended).
    """

    __tablename__ = "outbox_jobs"
    # Every default is Python's: nothing to read back. Without RETURNING, the jobs a flush
    # holds go out as one executemany (psycopg pipelines it), not one multi-row INSERT whose
    # text and ~100 parameters psycopg parses afresh each time (docs/scaling.md).
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))  # push | sms | webhook | dc09 | timer
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
        # the worker's two queues (worker.run_once: deliveries first, then timer jobs)
        Index("ix_outbox_jobs_pending_send", "due_at",
              postgresql_where=text(PENDING_SEND), sqlite_where=text(PENDING_SEND)),
        Index("ix_outbox_jobs_pending_timer", "due_at",
              postgresql_where=text(PENDING_TIMER), sqlite_where=text(PENDING_TIMER)),
        Index("ix_outbox_jobs_alert_id", "alert_id"),
        # an organisation's monitoring-station events, newest first (GET .../station-events)
        Index("ix_outbox_jobs_channel_recipient", "channel", "recipient", "created_at"),
    )


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    jobs_done: Mapped[int] = mapped_column(Integer, default=0)


class MonitoringReceiver(db.Model):
    """A partner organisation's alarm receiving centre (its monitoring console), reached over
    SIA DC-09: where the `dc09` channel sends her alerts as Contact ID events, in order of
    `priority` (1 primary, 2 secondary, ...). Managed by platform admins (safety/monitoring);
    the channel keeps its sequence numbers, its clock's offset and its health here. The AES
    key is stored sealed (safety/notify/sealed.py) and never answered by the API."""

    __tablename__ = "monitoring_receivers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(100))
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(3))  # tcp | udp
    receiver_number: Mapped[str] = mapped_column(String(6), default="0")  # R, hex
    line_prefix: Mapped[str] = mapped_column(String(6), default="0")  # L, hex
    account: Mapped[str] = mapped_column(String(16))  # hex
    key_sealed: Mapped[str | None] = mapped_column(Text)
    key_bits: Mapped[int | None] = mapped_column(Integer)  # 128, 192, 256; None: plain
    extended_data: Mapped[str] = mapped_column(String(10), default="single")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    clock_offset_s: Mapped[float] = mapped_column(Float, default=0.0)
    last_ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("org_id", "priority", name="uq_monitoring_receivers_org_priority"),
    )
