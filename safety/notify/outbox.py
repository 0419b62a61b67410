"""The transactional outbox: enqueue in the caller's transaction; claim, finish, retry.

Claiming is one UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING on
PostgreSQL, so many workers share the table without taking each other's jobs. On SQLite the same
single UPDATE statement runs under SQLite's database write lock, which is just as exclusive.
A claim is a lease: a worker that dies mid-send leaves jobs whose lease runs out, and another
worker claims them again.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    bindparam,
    delete,
    event,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from safety.extensions import db
from safety.notify.models import OutboxJob, WorkerHeartbeat
from safety.util import new_id, utcnow

CHANNEL = "safety_outbox"
# Set when this process commits a job that is due now: wakes an in-process worker at once.
WAKE = threading.Event()



class PermanentFailure(Exception):
    """Do not retry this job."""


def enqueue(
    kind: str,
    channel: str,
    payload: dict[str, Any],
    *,
    alert_id: uuid.UUID | None = None,
    recipient_user_id: uuid.UUID | None = None,
    recipient: str | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> OutboxJob:
    """Add a job to the current transaction; it is sent only if that transaction commits."""
    job = OutboxJob(
        id=new_id(),  # with its key in hand the flush inserts without reading anything back
        kind=kind,
        channel=channel,
        payload=payload,
        alert_id=alert_id,
        recipient_user_id=recipient_user_id,
        recipient=recipient,
        due_at=due_at or utcnow(),
        dedupe_key=dedupe_key,
        max_attempts=current_app.config["WORKER_MAX_ATTEMPTS"],
    )
    db.session.add(job)
    if job.due_at <= utcnow():
        db.session.info["outbox_wake"] = True
    return job


def _before_commit(session) -> None:
    """A commit with jobs due now tells the workers: NOTIFY on PostgreSQL (delivered only if
    the transaction commits, once however many jobs it holds)."""
    if session.info.pop("outbox_wake", False):
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"SELECT pg_notify('{CHANNEL}', '')"))
        session.info["outbox_woke"] = True


def _after_commit(session) -> None:
    if session.info.pop("outbox_woke", False):
        WAKE.set()


def _after_rollback(session) -> None:
    session.info.pop("outbox_wake", None)
    session.info.pop("outbox_woke", None)


def register_wakeup(session) -> None:
    """Install the commit wake-up on the (process-wide) scoped session, once."""
    if event.contains(session, "before_commit", _before_commit):
        return
    event.listen(session, "before_commit", _before_commit)
    event.listen(session, "after_commit", _after_commit)
    event.listen(session, "after_rollback", _after_rollback)


class Waiter:
    """How an idle worker waits: until a job is committed (LISTEN on PostgreSQL, an event in
    this process otherwise) or `timeout` passes, whichever is first; timers due later are
    found by polling."""

    def __init__(self, url) -> None:
        self.url = url
        self.conn = None

    def _listen(self):
        import psycopg  # only on PostgreSQL

        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        # TCP keepalives: a connection cut without a word (a NAT or proxy dropping it) is
        # found dead within about a minute instead of never, when every wake-up would be lost
        # and alarms would wait for the poll
        conn = psycopg.connect(dsn, autocommit=True, keepalives=1, keepalives_idle=30,
                               keepalives_interval=10, keepalives_count=3)
        try:
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception:
            conn.close()
            raise
        self.conn = conn

    def wait(self, timeout: float) -> bool:
        """True when woken by a commit, False when the time ran out. True at once after
        (re)connecting the LISTEN: what was committed unheard must be looked for."""
        if self.url.get_backend_name() != "postgresql":
            woke = WAKE.wait(timeout)
            WAKE.clear()
            return woke
        try:
            if self.conn is None or self.conn.closed:
                self._listen()
                return True
            woke = False
            for _ in self.conn.notifies(timeout=timeout, stop_after=1):
                woke = True
            if woke:  # the others already here: one pass will see all their jobs
                for _ in self.conn.notifies(timeout=0):
                    pass
            return woke
        except Exception:  # a lost LISTEN connection: poll, reconnect later
            self.close()
            time.sleep(timeout)
            return False

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def _cancel(*where) -> int:
    """Pending jobs that are no longer wanted: canceled, never sent."""
    result = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.status == "pending", *where)
        .values(status="canceled", finished_at=utcnow())
    )
    return result.rowcount or 0


def cancel_pending(alert_id: uuid.UUID, kinds: tuple[str, ...], *,
                   recipient_user_id: uuid.UUID | None = None) -> int:
    """Pending jobs of these kinds about the alert (only those to `recipient_user_id`, if
    given): canceled, never sent."""
    where = [OutboxJob.alert_id == alert_id, OutboxJob.kind.in_(kinds)]
    if recipient_user_id is not None:
        where.append(OutboxJob.recipient_user_id == recipient_user_id)
    return _cancel(*where)


def delete_finished(alert_ids, kinds: tuple[str, ...]) -> int:
    """Forget finished jobs (sent, failed, canceled) of these kinds about these alerts (a list
    or a subquery): for retention, when what they carried must not outlive its source."""
    result = db.session.execute(
        delete(OutboxJob).where(OutboxJob.alert_id.in_(alert_ids), OutboxJob.kind.in_(kinds),
                                OutboxJob.status.in_(("sent", "failed", "canceled"))))
    return result.rowcount or 0


def cancel_by_key(dedupe_key: str) -> int:
    return _cancel(OutboxJob.dedupe_key == dedupe_key)


def scrub(job: OutboxJob) -> None:
    """A job whose payload holds a secret (a one-time code) carries its harmless twin under
    "redacted": once the job is finished (sent, failed for good, canceled) the text is
    replaced by it, so the plaintext does not stay readable in the table."""
    redacted = (job.payload or {}).get("redacted")
    if redacted is None or job.payload.get("text") == redacted:
        return
    db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job.id)
        .values(payload={**job.payload, "text": redacted})
        .execution_options(synchronize_session=False)
    )


def cancel_secret_jobs(dedupe_keys: list[str]) -> int:
    """Cancel pending jobs by key and scrub their secrets (a code replaced by a newer one)."""
    if not dedupe_keys:
        return 0
    rows = list(db.session.scalars(select(OutboxJob).where(
        OutboxJob.dedupe_key.in_(dedupe_keys), OutboxJob.status == "pending")))
    for job in rows:
        scrub(job)
    return _cancel(OutboxJob.id.in_([job.id for job in rows])) if rows else 0


def cancel_sms_to(phone: str, alert_ids) -> int:
    """SMS to `phone` about these alerts (a list or a subquery) not yet sent: never send them."""
    return _cancel(OutboxJob.channel == "sms", OutboxJob.recipient == phone,
                   OutboxJob.alert_id.in_(alert_ids))


def enqueue_once(kind: str, payload: dict, *, due_at: datetime, dedupe_key: str,
                 alert_id: uuid.UUID | None = None) -> bool:
    """A timer job unless one with this key exists (any worker may ask; one job results)."""
    if db.session.scalar(select(OutboxJob.id).where(OutboxJob.dedupe_key == dedupe_key)):
        return False
    try:
        with db.session.begin_nested():
            enqueue(kind, "timer", payload, due_at=due_at, dedupe_key=dedupe_key,
                    alert_id=alert_id)
            db.session.flush()
    except IntegrityError:
        return False  # another worker made it first
    return True


def due(now: datetime):
    """Jobs a worker may take now: pending and due, or claimed under a lease that ran out."""
    return or_(
        (OutboxJob.status == "pending") & (OutboxJob.due_at <= now),
        (OutboxJob.status == "sending") & (OutboxJob.lease_until < now),
    )


# The worker's two queues, as SQL literals (not parameters) so that both databases see that
# a claim's condition implies a partial index's (ix_outbox_jobs_pending_send / _timer).
PENDING = OutboxJob.status == literal_column("'pending'")
DELIVERY = OutboxJob.channel != literal_column("'timer'")
TIMER = OutboxJob.channel == literal_column("'timer'")


def claim(worker_id: str, limit: int, where: ColumnElement[bool] | None = None, *,
          pending_only: bool = False) -> list[OutboxJob]:
    """Take up to `limit` due jobs (and jobs whose lease ran out, unless `pending_only`) for
    this worker, only those matching `where` when given (the channels and kinds its app
    registered). Commits."""
    return claim_with(claim_statement(limit, where, pending_only=pending_only), worker_id)


def claim_statement(limit: int, where: ColumnElement[bool] | None = None, *,
                    pending_only: bool = False):
    """The claim as one statement, its moment, lease and worker bound parameters: the worker
    builds its claims once and runs them pass after pass (`claim_with`); building one cost
    about as much Python as running it. It answers the claimed jobs themselves (RETURNING),
    so they are not read again."""
    when = OutboxJob.__table__.c.due_at.type
    now = bindparam("now", type_=when)
    inner = select(OutboxJob.id).where(
        PENDING & (OutboxJob.due_at <= now) if pending_only else due(now))
    if where is not None:
        inner = inner.where(where)
    inner = inner.order_by(OutboxJob.due_at).limit(limit).with_for_update(skip_locked=True)
    return (
        update(OutboxJob)
        .where(OutboxJob.id.in_(inner.scalar_subquery()))
        .values(
            status="sending",
            claimed_by=bindparam("worker"),
            lease_until=bindparam("lease", type_=when),
            attempts=OutboxJob.attempts + 1,
            first_attempt_at=func.coalesce(OutboxJob.first_attempt_at, now),
        )
        .returning(OutboxJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


def claim_with(stmt, worker_id: str) -> list[OutboxJob]:
    """Run a claim made by `claim_statement` for this worker, now. Commits; the jobs in the
    order they fell due."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["WORKER_LEASE_S"])
    jobs = list(db.session.scalars(stmt, {"now": now, "lease": lease, "worker": worker_id}))
    db.session.commit()
    jobs.sort(key=lambda job: job.due_at)
    return jobs


def _mine(job: OutboxJob, worker_id: str):
    return (OutboxJob.id == job.id) & (OutboxJob.claimed_by == worker_id) & (
        OutboxJob.status == "sending"
    )


def mark_sent(job: OutboxJob, worker_id: str, result: dict | None = None) -> bool:
    return mark_sent_many(worker_id, [(job, result)]) == 1


def mark_sent_many(worker_id: str, done: list[tuple[OutboxJob, dict | None]]) -> int:
    """mark_sent for a whole batch in one executemany (one round trip on psycopg)."""
    if not done:
        return 0
    now = utcnow()
    table = OutboxJob.__table__
    stmt = (
        table.update()
        .where(table.c.id == bindparam("job_id"), table.c.claimed_by == worker_id,
               table.c.status == "sending")
        .values(status="sent", finished_at=now, result=bindparam("job_result"),
                last_error=None, lease_until=None)
    )
    result = db.session.execute(stmt, [{"job_id": job.id, "job_result": res}
                                       for job, res in done])
    return result.rowcount or 0


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter, capped."""
    base = current_app.config["WORKER_BACKOFF_BASE_S"]
    cap = current_app.config["WORKER_BACKOFF_MAX_S"]
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def mark_failed(
    job: OutboxJob, worker_id: str, error: str, *, permanent: bool = False,
    result: dict | None = None, after_s: float | None = None,
) -> str:
    """Record a failure: retry later (after `after_s`, or with backoff), or give up. Returns
    the new status."""
    give_up = permanent or job.attempts >= job.max_attempts
    status = "failed" if give_up else "pending"
    values: dict[str, Any] = {
        "status": status,
        "last_error": error[:2000],
        "lease_until": None,
        "result": result,
    }
    if give_up:
        values["finished_at"] = utcnow()
    else:
        wait = backoff_seconds(job.attempts) if after_s is None else after_s
        values["due_at"] = utcnow() + timedelta(seconds=wait)
    db.session.execute(
        update(OutboxJob).where(_mine(job, worker_id)).values(**values)
        .execution_options(synchronize_session=False)
    )
    return status


def defer(job: OutboxJob, worker_id: str, reason: str, after_s: float,
          result: dict | None = None) -> None:
    """Put a claimed job back, due in `after_s` seconds, without counting the claim as an
    attempt (it was not tried: something else must happen first)."""
    db.session.execute(
        update(OutboxJob).where(_mine(job, worker_id))
        .values(status="pending", due_at=utcnow() + timedelta(seconds=after_s),
                attempts=OutboxJob.attempts - 1, lease_until=None, last_error=reason[:2000],
                result=result)
        .execution_options(synchronize_session=False)
    )


def heartbeat(worker_id: str, hostname: str, jobs_done: int) -> None:
    row = db.session.get(WorkerHeartbeat, worker_id)
    if row is None:
        row = WorkerHeartbeat(worker_id=worker_id, hostname=hostname)
        db.session.add(row)
    row.seen_at = utcnow()
    row.jobs_done = jobs_done
    db.session.commit()


def freshest_heartbeat_age() -> float | None:
    seen = db.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    if seen is None:
        return None
    return max(0.0, (utcnow() - seen).total_seconds())
