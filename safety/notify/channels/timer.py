"""The `timer` channel: outbox jobs that are not sends (an escalation round, an offer that timed
out, a safety timer's deadline, the retention purge) run a function of the feature that
enqueued them, chosen by the job's kind.

The app factory registers each kind with its function (`register_job`) and each periodic job
(`register_periodic`); a kind nobody registered is never claimed, so a job waits for a worker
that knows it rather than failing.

A job function runs in the worker's transaction and may change rows and enqueue further jobs:
all of it commits with the job's outcome, or none of it when it raises (`PermanentFailure`: not
retried; anything else: retried with backoff). It returns a result dict for the job's record.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from safety.notify.channels import EXTENSION, Outcome, Periodic
from safety.notify.models import OutboxJob

JobFunction = Callable[[OutboxJob], dict | None]


class TimerChannel:
    name = "timer"
    batch_size = 1  # each job's own changes commit (or roll back) on their own

    def __init__(self) -> None:
        self.functions: dict[str, JobFunction] = {}

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self.functions)

    def send(self, jobs: list[OutboxJob]) -> list[Outcome]:
        return [Outcome.sent(self.functions[job.kind](job)) for job in jobs]


def register_job(app: Flask, kind: str, function: JobFunction) -> None:
    """Jobs of `kind` on the timer channel run `function` (the app's timer channel must be
    registered first)."""
    timer = app.extensions[EXTENSION].channels[TimerChannel.name]
    if kind in timer.functions:
        raise ValueError(f"job kind {kind!r} is registered twice")
    timer.functions[kind] = function


def register_periodic(app: Flask, name: str, every_s: float, function: JobFunction) -> None:
    """Run `function` once per `every_s` seconds across all workers: a worker's heartbeat
    enqueues a `name` job for the current window unless one exists (one per window, however
    many workers ask), and the timer channel runs it like any job."""
    register_job(app, name, function)
    app.extensions[EXTENSION].periodic.append(Periodic(name, every_s))
