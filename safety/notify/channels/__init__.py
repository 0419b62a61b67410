"""Notification channels: one adapter per way of reaching someone (push, SMS, webhook, and the
in-process `timer` channel for jobs that are not sends), behind one small interface.

A channel takes the outbox jobs whose `OutboxJob.channel` is its `name` and answers one
`Outcome` per job. The worker (safety/notify/worker.py) knows only this interface: it claims
due jobs of the registered channels, hands each channel its jobs in batches of at most
`batch_size`, and records each batch's outcomes in one commit.

Channels are registered explicitly by the app factory (`register_channels` in
safety/__init__.py) into the app's `Registry` (`app.extensions["safety_notify"]`), never by
importing a module. A channel object lives as long as its app and holds whatever its provider
needs (a firebase app, an HTTP session), made once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from flask import Flask
from sqlalchemy import ColumnElement, and_, or_

from safety.extensions import db
from safety.notify import outbox
from safety.notify.models import OutboxJob

if TYPE_CHECKING:
    from collections.abc import Collection

EXTENSION = "safety_notify"  # app.extensions key of the app's Registry


@dataclass(frozen=True)
class Outcome:
    """What became of one job.

    sent: done (`result` is kept on the job). retry: try again after `after_s` seconds, or
    after the outbox's backoff with jitter when None (the job fails for good once it has used
    its attempts). permanent: never retry. retire: permanent, and the channel has retired the
    recipient in this same transaction (a dead push token: its device is retired). defer: not
    now, and not an attempt: back to pending for `after_s` seconds (a monitoring-station
    event waits for an earlier event of its alert to be delivered first).
    """

    state: Literal["sent", "retry", "permanent", "retire", "defer"]
    result: dict | None = None
    error: str | None = None
    after_s: float | None = None

    @classmethod
    def sent(cls, result: dict | None = None) -> Outcome:
        return cls("sent", result=result)

    @classmethod
    def retry(cls, error: str, after_s: float | None = None,
              result: dict | None = None) -> Outcome:
        return cls("retry", result=result, error=error, after_s=after_s)

    @classmethod
    def permanent(cls, error: str, result: dict | None = None) -> Outcome:
        return cls("permanent", result=result, error=error)

    @classmethod
    def defer(cls, reason: str, after_s: float, result: dict | None = None) -> Outcome:
        return cls("defer", result=result, error=reason, after_s=after_s)

    @classmethod
    def retire(cls, error: str, code: str | None) -> Outcome:
        return cls("retire", result={"code": code}, error=error)


class Channel(Protocol):
    """One way of reaching someone.

    `send` runs inside the worker's app context and transaction. It returns one Outcome per
    job, in the jobs' order; it may instead raise for the whole batch: `outbox.PermanentFailure`
    fails every job of it for good, any other exception rolls back what the batch wrote and
    retries every job of it. A channel that talks to the network ends its read transaction
    first (`safety.db.end_read_transaction`), so no lock is held while a provider answers.
    """

    name: str  # the OutboxJob.channel it sends
    batch_size: int  # at most this many jobs per send(); 1: each job commits on its own
    kinds: Collection[str] | None  # the job kinds it takes; None: every kind on its channel

    def send(self, jobs: list[OutboxJob]) -> list[Outcome]: ...


@dataclass(frozen=True)
class Periodic:
    """A job enqueued once per `every_s` window across all workers (the retention purge); the
    timer channel runs it by its kind, `name` (see timer.register_periodic)."""

    name: str
    every_s: float


@dataclass
class Registry:
    """What one app's workers send: its channels, in the order they were registered (the
    order a worker sends a claim in: push first), and its periodic jobs."""

    channels: dict[str, Channel] = field(default_factory=dict)
    periodic: list[Periodic] = field(default_factory=list)

    def signature(self) -> tuple:
        """What `claimable()` is made of: each channel's name and kinds, in order (a worker
        builds its claims once per signature)."""
        return tuple((c.name, None if c.kinds is None else tuple(sorted(c.kinds)))
                     for c in self.channels.values())

    def claimable(self) -> ColumnElement[bool] | None:
        """The jobs this app can send: on a registered channel, and of a kind it takes. None
        when nothing is registered (such a worker claims nothing)."""
        terms = [
            OutboxJob.channel == c.name if c.kinds is None
            else and_(OutboxJob.channel == c.name, OutboxJob.kind.in_(sorted(c.kinds)))
            for c in self.channels.values()
            if c.kinds is None or c.kinds
        ]
        return or_(*terms) if terms else None


def init_app(app: Flask) -> Registry:
    """Give the app an empty registry, and install the outbox's commit wake-up (once per
    process: every app shares the one scoped session)."""
    outbox.register_wakeup(db.session)
    registry = app.extensions[EXTENSION] = Registry()
    return registry


def registry(app: Flask) -> Registry | None:
    return app.extensions.get(EXTENSION)


def register(app: Flask, channel: Channel) -> None:
    """Add a channel to the app's registry (after `init_app`)."""
    app.extensions[EXTENSION].channels[channel.name] = channel


def channel(app: Flask, name: str) -> Channel | None:
    """The app's channel called `name`, if it registered one."""
    reg = registry(app)
    return reg.channels.get(name) if reg else None
