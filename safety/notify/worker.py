"""The outbox worker: claim due jobs, send them, record each outcome.

Run `flask --app wsgi safety worker` beside gunicorn (as many as you like, on any machine that
reaches the database); `make run` runs one on a thread inside the dev server.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime

from flask import Flask
from sqlalchemy import select

from safety.extensions import db
from safety.notify import outbox
from safety.notify.models import OutboxJob
from safety.notify.push import PushMessage, provider_for
from safety.notify.sms import sms_provider
from safety.util import utcnow

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 5.0
COALESCE_S = 0.05


class Worker:
    def __init__(self, app: Flask, worker_id: str | None = None) -> None:
        self.app = app
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.jobs_done = 0
        self._last_beat = 0.0

    # -- one pass ------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim one batch of due jobs and work it off. Returns how many jobs were handled."""
        with self.app.app_context():
            self.beat()
            jobs = outbox.claim(self.worker_id, self.app.config["WORKER_BATCH"])
            if not jobs:
                return 0
            push_jobs = [j for j in jobs if j.channel == "push"]
            if push_jobs:
                self._send_push(push_jobs)
            for job in jobs:
                if job.channel != "push":
                    self._run_one(job)
            self.jobs_done += len(jobs)
            db.session.remove()
            return len(jobs)

    def beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_EVERY_S:
            outbox.heartbeat(self.worker_id, socket.gethostname(), self.jobs_done)
            from safety.alerts.jobs import schedule_purge  # noqa: PLC0415

            if schedule_purge():
                db.session.commit()
            self._last_beat = now

    def _send_push(self, jobs: list[OutboxJob]) -> None:
        from safety.accounts.models import Device  # noqa: PLC0415

        device_ids = {uuid.UUID(j.payload["device_id"]) for j in jobs}
        devices = {
            d.id: d for d in db.session.scalars(select(Device).where(Device.id.in_(device_ids)))
        }
        sendable: list[tuple[OutboxJob, object]] = []
        for job in jobs:
            device = devices.get(uuid.UUID(job.payload["device_id"]))
            if device is None or device.retired_at is not None:
                outbox.mark_failed(job, self.worker_id, "device retired or removed",
                                   permanent=True)
                continue
            sendable.append((job, device))
        db.session.commit()
        if not sendable:
            return
        provider = provider_for(self.app)
        messages = [
            PushMessage(token=d.push_token, title=j.payload["title"], body=j.payload["body"],
                        data=j.payload.get("data", {}))
            for j, d in sendable
        ]
        outcomes = provider.send(messages)
        sent = []
        for (job, device), outcome in zip(sendable, outcomes, strict=True):
            if outcome.ok:
                sent.append((job, {"provider": provider.name,
                                   "message_id": outcome.message_id}))
            elif outcome.permanent:
                outbox.mark_failed(job, self.worker_id, outcome.error or "rejected",
                                   permanent=True, result={"code": outcome.code})
                device.retired_at = utcnow()
                device.retired_reason = outcome.code or outcome.error
                log.info("retired device %s: %s", device.id, outcome.error)
            else:
                outbox.mark_failed(job, self.worker_id, outcome.error or "failed",
                                   result={"code": outcome.code})
        outbox.mark_sent_many(self.worker_id, sent)
        db.session.commit()

    def _run_one(self, job: OutboxJob) -> None:
        try:
            if job.channel == "sms":
                result = self._send_sms(job)
            else:
                fn = outbox.HANDLERS.get(job.kind)
                if fn is None:
                    raise outbox.PermanentFailure(f"no handler for job kind {job.kind!r}")
                result = fn(job)
            outbox.mark_sent(job, self.worker_id, result)
            outbox.scrub(job)
            db.session.commit()
        except outbox.PermanentFailure as exc:
            db.session.rollback()
            outbox.mark_failed(job, self.worker_id, str(exc), permanent=True)
            outbox.scrub(job)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - record and retry whatever went wrong
            db.session.rollback()
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            if outbox.mark_failed(job, self.worker_id, f"{type(exc).__name__}: {exc}") == "failed":
                outbox.scrub(job)
            db.session.commit()

    def _send_sms(self, job: OutboxJob) -> dict:
        provider = sms_provider(self.app)
        if provider is None:
            raise outbox.PermanentFailure("no SMS provider is configured")
        not_after = job.payload.get("not_after")  # a one-time code: useless once expired
        if not_after and utcnow() >= datetime.fromisoformat(not_after):
            raise outbox.PermanentFailure("expired before it could be sent")
        outcome = provider.send(job.payload["phone"], job.payload["text"])
        if outcome.ok:
            return {"provider": provider.name, "provider_id": outcome.provider_id}
        if outcome.permanent:
            raise outbox.PermanentFailure(outcome.error or "rejected")
        raise RuntimeError(outcome.error or "SMS failed")

    # -- the loop ------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        poll = self.app.config["WORKER_POLL_S"]
        with self.app.app_context():
            waiter = outbox.Waiter(db.engine.url)
        log.info("worker %s started", self.worker_id)
        try:
            self._loop(stop, poll, waiter)
        finally:
            waiter.close()
        log.info("worker %s stopped", self.worker_id)

    def _loop(self, stop: threading.Event, poll: float, waiter: outbox.Waiter) -> None:
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:  # noqa: BLE001 - a database blip must not end the worker
                log.exception("worker pass failed; retrying")
                with self.app.app_context():
                    db.session.rollback()
                    db.session.remove()
                handled = 0
                stop.wait(min(5.0, poll * 4))
            if not handled and waiter.wait(poll):  # a commit with due jobs wakes it at once
                # ...then gathers what other requests commit meanwhile, so that under load it
                # sends batches rather than racing the web workers for the CPU job by job
                stop.wait(COALESCE_S)


def start_background_worker(app: Flask) -> threading.Thread:
    """One worker on a daemon thread (the dev server: `make run`)."""
    stop = threading.Event()
    worker = Worker(app)
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="outbox-worker",
                              daemon=True)
    thread.start()
    app.extensions["safety_worker"] = (worker, stop, thread)
    return thread
