"""Delivery health (the console's page 8, platform admins): the outbox backlog and the age of its
oldest job per kind and channel, jobs that keep failing and jobs that failed for good with their
error, the workers' heartbeats; and the two things an admin may do about a job: retry one that
failed for good, abandon one that keeps failing. Both are audited with the admin.

What a row shows of a recipient: a phone's last four digits, a webhook's host, a device's
platform; never a payload (an SMS text, a one-time code, her position)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from safety import audit
from safety.errors import Conflict, NotFound
from safety.extensions import db
from safety.i18n import _l
from safety.notify import outbox
from safety.notify.models import OutboxJob, WorkerHeartbeat
from safety.util import utcnow

LIST_MAX = 100
ERROR_MAX = 500  # characters of a job's last error shown


@dataclass
class BacklogRow:
    kind: str
    channel: str
    pending: int
    due: int  # pending and due now: waiting for a worker
    sending: int
    retrying: int  # pending after at least one failed attempt
    oldest_age_s: float


@dataclass
class JobRow:
    id: uuid.UUID
    kind: str
    channel: str
    status: str
    recipient: str
    alert_id: uuid.UUID | None
    attempts: int
    max_attempts: int
    created_at: datetime
    age_s: float
    due_at: datetime
    finished_at: datetime | None
    error: str
    retryable: bool
    abandonable: bool


@dataclass
class HeartbeatRow:
    worker_id: str
    hostname: str
    started_at: datetime
    seen_at: datetime
    age_s: float
    alive: bool
    jobs_done: int


@dataclass
class Health:
    backlog: list[BacklogRow]
    retrying: list[JobRow]
    failed: list[JobRow]
    failed_total: int
    workers: list[HeartbeatRow]
    worker_alive: bool


def recipient_label(job: OutboxJob) -> str:
    """Who a job is for, as much as an operator needs: never a whole phone number or URL."""
    label = job.recipient or ""
    if job.channel == "sms" or label.startswith("+"):
        digits = "".join(ch for ch in label if ch.isdigit())
        return f"…{digits[-4:]}" if digits else ""
    if job.channel == "webhook":
        return urlsplit(label).hostname or ""
    return label[:40]


def _secret(job: OutboxJob) -> bool:
    """A job that carried a secret (a one-time code): once finished its text is scrubbed, and
    sending it again would send the harmless twin, or a stale code."""
    return "redacted" in (job.payload or {})


def _retryable(job: OutboxJob) -> bool:
    return job.status == "failed" and not _secret(job)


def _abandonable(job: OutboxJob) -> bool:
    return job.status == "pending" and job.last_error is not None and job.channel != "timer"


def _row(job: OutboxJob, now: datetime) -> JobRow:
    return JobRow(
        id=job.id, kind=job.kind, channel=job.channel, status=job.status,
        recipient=recipient_label(job), alert_id=job.alert_id, attempts=job.attempts,
        max_attempts=job.max_attempts, created_at=job.created_at,
        age_s=max(0.0, (now - job.created_at).total_seconds()), due_at=job.due_at,
        finished_at=job.finished_at, error=(job.last_error or "")[:ERROR_MAX],
        retryable=_retryable(job), abandonable=_abandonable(job))


def backlog(now: datetime) -> list[BacklogRow]:
    """Unfinished jobs (pending, sending) per kind and channel, the oldest first."""
    open_ = OutboxJob.status.in_(("pending", "sending"))
    pending = OutboxJob.status == "pending"
    stmt = (select(
        OutboxJob.kind, OutboxJob.channel,
        func.count().filter(pending),
        func.count().filter(pending & (OutboxJob.due_at <= now)),
        func.count().filter(OutboxJob.status == "sending"),
        func.count().filter(pending & (OutboxJob.attempts > 0)),
        func.min(OutboxJob.created_at))
        .where(open_).group_by(OutboxJob.kind, OutboxJob.channel))
    rows = [BacklogRow(kind, channel, p, d, s, r,
                       max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
            for kind, channel, p, d, s, r, oldest in db.session.execute(stmt)]
    return sorted(rows, key=lambda row: -row.oldest_age_s)


def heartbeats(now: datetime) -> list[HeartbeatRow]:
    limit = current_app.config["WORKER_HEARTBEAT_MAX_AGE_S"]
    rows = []
    for hb in db.session.scalars(select(WorkerHeartbeat).order_by(
            WorkerHeartbeat.seen_at.desc()).limit(LIST_MAX)):
        age = max(0.0, (now - hb.seen_at).total_seconds())
        rows.append(HeartbeatRow(hb.worker_id, hb.hostname, hb.started_at, hb.seen_at, age,
                                 age <= limit, hb.jobs_done))
    return rows


def health() -> Health:
    now = utcnow()
    retrying = db.session.scalars(
        select(OutboxJob).where(OutboxJob.status == "pending",
                                OutboxJob.last_error.is_not(None))
        .order_by(OutboxJob.created_at).limit(LIST_MAX))
    failed = db.session.scalars(
        select(OutboxJob).where(OutboxJob.status == "failed")
        .order_by(OutboxJob.finished_at.desc(), OutboxJob.created_at.desc()).limit(LIST_MAX))
    failed_total = db.session.scalar(
        select(func.count()).select_from(OutboxJob).where(OutboxJob.status == "failed")) or 0
    workers = heartbeats(now)
    return Health(backlog=backlog(now), retrying=[_row(j, now) for j in retrying],
                  failed=[_row(j, now) for j in failed], failed_total=failed_total,
                  workers=workers, worker_alive=any(w.alive for w in workers))


def _job_for_update(job_id: uuid.UUID) -> OutboxJob:
    job = db.session.scalar(select(OutboxJob).where(OutboxJob.id == job_id).with_for_update())
    if job is None:
        raise NotFound(_l("No such delivery job."))
    return job


def retry(actor, job_id: uuid.UUID) -> JobRow:
    """A job that failed for good goes back to the queue, due now, with a fresh budget of
    attempts. Only a failed job (409 otherwise), and not one that carried a secret (its text is
    scrubbed: 409)."""
    job = _job_for_update(job_id)
    if job.status != "failed":
        raise Conflict(_l("Only a job that failed can be retried."))
    if _secret(job):
        raise Conflict(_l("This job carried a one-time code: it cannot be sent again. The "
                          "person can ask for a new code."))
    now = utcnow()
    audit.record(actor, "outbox_job.retry", "outbox_job", job.id, {
        "status": {"before": job.status, "after": "pending"},
        "attempts": {"before": job.attempts, "after": 0},
        "last_error": (job.last_error or "")[:ERROR_MAX], "kind": job.kind,
        "channel": job.channel})
    job.status, job.attempts, job.due_at = "pending", 0, now
    job.finished_at = job.lease_until = job.claimed_by = None
    job.max_attempts = current_app.config["WORKER_MAX_ATTEMPTS"]
    db.session.flush()
    db.session.info["outbox_wake"] = True  # a worker takes it at once
    return _row(job, now)


def abandon(actor, job_id: uuid.UUID) -> JobRow:
    """A job that keeps failing is given up: canceled, never sent (its secret scrubbed). Only a
    pending job that has failed at least once (409 otherwise: a healthy job is not the admin's
    to cancel), and never a timer (409: timers drive an alert's escalation)."""
    job = _job_for_update(job_id)
    if job.channel == "timer":
        raise Conflict(_l("Timers drive the alerts' offers and escalations: they cannot be "
                          "abandoned."))
    if job.status != "pending" or job.last_error is None:
        raise Conflict(_l("Only a job that is still retrying after a failure can be "
                          "abandoned."))
    now = utcnow()
    audit.record(actor, "outbox_job.abandon", "outbox_job", job.id, {
        "status": {"before": job.status, "after": "canceled"},
        "attempts": job.attempts, "last_error": (job.last_error or "")[:ERROR_MAX],
        "kind": job.kind, "channel": job.channel})
    job.status, job.finished_at = "canceled", now
    db.session.flush()
    outbox.scrub(job)
    db.session.flush()
    db.session.refresh(job)
    return _row(job, now)
