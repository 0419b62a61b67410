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

from flask import Flask
from sqlalchemy import not_, select

from safety import heap
from safety.db import end_read_transaction
from safety.events import send
from safety.extensions import db
from safety.notify import channels, events, outbox
from safety.notify.channels import Channel, Outcome
from safety.notify.models import OutboxJob
from safety.util import utcnow

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 5.0
COALESCE_S = 0.01


class Worker:
    """Sends through the channels its app registered (`app.extensions["safety_notify"]`, filled
    by the app factory), and claims only jobs those channels take: a job of a channel or kind
    this app does not know stays pending for a worker that does, and is named in the log."""

    def __init__(self, app: Flask, worker_id: str | None = None) -> None:
        self.app = app
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.jobs_done = 0
        self._last_beat = 0.0
        self._told: set[tuple[str, str]] = set()  # (channel, kind) left pending, logged once
        self._claims: dict[tuple, tuple | None] = {}  # see _claim_statements
        self.drained = True  # the last pass left nothing due behind it (see _loop)
        registry = channels.registry(app)
        if registry is None:
            log.warning("worker %s: its app registered no notification channels (not made by "
                        "safety.create_app?); it claims no jobs", self.worker_id)
            registry = channels.Registry()
        self.registry = registry

    # -- one pass ------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim one batch of due jobs and work it off. Returns how many jobs were handled.

        Two queues, deliveries first: every due push, SMS, webhook and station event (up to
        WORKER_BATCH), then at most WORKER_TIMER_BATCH timer jobs (escalations, offer
        timeouts, purges: each a computation with its own commit). A burst of timers (a flood
        of panics makes as many escalations two minutes later) then delays a new alarm's push
        by one short pass, not by the whole burst. Jobs whose lease ran out (a worker died
        mid-send) are looked for with the beat, every few seconds; the passes in between claim
        through each queue's own index."""
        with self.app.app_context():
            pending_only = not self.beat()
            cfg = self.app.config
            claims = self._claim_statements(pending_only)
            if claims is None:
                return 0
            deliveries, timers = claims
            jobs = outbox.claim_with(deliveries, self.worker_id)
            timer_jobs = outbox.claim_with(timers, self.worker_id)
            # both queues gave less than they could: nothing was left due at the claim
            self.drained = (len(jobs) < cfg["WORKER_BATCH"]
                            and len(timer_jobs) < cfg["WORKER_TIMER_BATCH"])
            jobs += timer_jobs
            if not jobs:
                return 0
            for channel in self.registry.channels.values():  # in registration order: push first
                mine = [job for job in jobs if job.channel == channel.name]
                for start in range(0, len(mine), channel.batch_size):
                    self._send(channel, mine[start : start + channel.batch_size])
            self.jobs_done += len(jobs)
            db.session.remove()
            return len(jobs)

    def _claim_statements(self, pending_only: bool) -> tuple | None:
        """The two queues' claims (outbox.claim_statement), built once per set of registered
        channels and batch sizes, not on every pass. None when no channel is registered."""
        cfg = self.app.config
        key = (self.registry.signature(), pending_only, cfg["WORKER_BATCH"],
               cfg["WORKER_TIMER_BATCH"])
        if key not in self._claims:
            where = self.registry.claimable()
            self._claims[key] = None if where is None else (
                outbox.claim_statement(cfg["WORKER_BATCH"], where & outbox.DELIVERY,
                                       pending_only=pending_only),
                outbox.claim_statement(cfg["WORKER_TIMER_BATCH"], where & outbox.TIMER,
                                       pending_only=pending_only))
        return self._claims[key]

    def beat(self, force: bool = False) -> bool:
        """Every few seconds: the heartbeat, the periodic jobs now due, and a word in the log
        about jobs this worker leaves to others. True when it beat."""
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_EVERY_S:
            outbox.heartbeat(self.worker_id, socket.gethostname(), self.jobs_done)
            if self._schedule_periodic():
                db.session.commit()
            self._tell_unclaimed()
            self._last_beat = now
            return True
        return False

    def _schedule_periodic(self) -> bool:
        """One job per periodic job's window, whichever worker asks first."""
        now = utcnow()
        made = False
        for periodic in self.registry.periodic:
            window = int(now.timestamp() // periodic.every_s)
            made |= outbox.enqueue_once(periodic.name, {}, due_at=now,
                                        dedupe_key=f"{periodic.name}:{window}")
        return made

    def _tell_unclaimed(self) -> None:
        stmt = select(OutboxJob.channel, OutboxJob.kind).where(outbox.due(utcnow())).distinct()
        where = self.registry.claimable()
        if where is not None:
            stmt = stmt.where(not_(where))
        for channel, kind in db.session.execute(stmt.limit(100)).all():
            if (channel, kind) not in self._told:
                self._told.add((channel, kind))
                log.warning("worker %s leaves due %r jobs on channel %r pending: its app "
                            "registered no such channel or job kind", self.worker_id, kind,
                            channel)
        db.session.commit()

    def _send(self, channel: Channel, batch: list[OutboxJob]) -> None:
        """One batch through its channel, its outcomes recorded in one commit."""
        end_read_transaction()  # nothing held while a provider answers
        try:
            outcomes = channel.send(batch)
            if len(outcomes) != len(batch):
                raise RuntimeError(f"channel {channel.name!r} answered {len(outcomes)} "
                                   f"outcomes for {len(batch)} jobs")
        except outbox.PermanentFailure as exc:
            db.session.rollback()
            outcomes = [Outcome.permanent(str(exc))] * len(batch)
        except Exception as exc:  # record and retry whatever went wrong
            db.session.rollback()
            outcomes = [Outcome.retry(f"{type(exc).__name__}: {exc}")] * len(batch)
        self._record(channel, batch, outcomes)
        db.session.commit()
        send(events.recorded, channel=channel.name, outcomes=[o.state for o in outcomes])

    def _record(self, channel: Channel, batch: list[OutboxJob],
                outcomes: list[Outcome]) -> None:
        sent: list[tuple[OutboxJob, dict | None]] = []
        retried = 0
        for job, outcome in zip(batch, outcomes, strict=True):
            if outcome.state == "sent":
                sent.append((job, outcome.result))
                continue
            if outcome.state == "defer":
                outbox.defer(job, self.worker_id, outcome.error or "deferred",
                             outcome.after_s or 1.0, result=outcome.result)
                continue
            retry = outcome.state == "retry"
            if retry and not retried:
                log.warning("job %s (%s) failed: %s", job.id, job.kind, outcome.error)
            retried += retry
            status = outbox.mark_failed(job, self.worker_id, outcome.error or outcome.state,
                                        permanent=not retry, result=outcome.result,
                                        after_s=outcome.after_s)
            if status == "failed":
                outbox.scrub(job)
        if retried > 1:
            log.warning("...and %d more %s jobs failed in the same batch", retried - 1,
                        channel.name)
        outbox.mark_sent_many(self.worker_id, sent)
        for job, _result in sent:
            outbox.scrub(job)

    # -- the loop ------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Pass after pass until `stop` is set. Before the first, the process's start-up objects
        are frozen out of the garbage collector's full passes (safety/heap.py): a full pass
        over them took 110-260 ms about every 0.7 s under load, and an alarm's push waited."""
        stop = stop or threading.Event()
        poll = self.app.config["WORKER_POLL_S"]
        with self.app.app_context():
            waiter = outbox.Waiter(db.engine.url)
        frozen = heap.freeze_start_up()
        log.info("worker %s started (%d start-up objects frozen out of the garbage "
                 "collector's passes)", self.worker_id, frozen)
        try:
            self._loop(stop, poll, waiter)
        finally:
            waiter.close()
        log.info("worker %s stopped", self.worker_id)

    def _loop(self, stop: threading.Event, poll: float, waiter: outbox.Waiter) -> None:
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:  # a database blip must not end the worker
                log.exception("worker pass failed; retrying")
                with self.app.app_context():
                    db.session.rollback()
                    db.session.remove()
                handled = 0
                stop.wait(min(5.0, poll * 4))
            if handled and not self.drained:
                continue  # a full batch: more is due now
            # Wait for a commit with due jobs (or the poll, for timers falling due). One made
            # while this pass was sending has already woken it: go at once. Asking again
            # after every pass that left nothing behind cost two empty claims a panic.
            if waiter.wait(poll) and not handled:
                # an idle worker woken: gather what other requests commit meanwhile, so that
                # under load it sends batches rather than racing the web workers for the CPU
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
