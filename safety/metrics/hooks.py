"""What feeds the instruments from the events, connected for one app.

A count caused inside a transaction (an alert raised, a dispatch accepted) is kept on the
session and counted when the transaction commits: a panic that rolls back and is retried is
counted once. Each hook does a few dictionary lookups and one in-memory (or mmap) add; the
panic's own work is not touched.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import event, select

from safety.alerts import events as alert_events
from safety.alerts.schemas import TRIGGERS
from safety.dispatch.models import Dispatch
from safety.extensions import db
from safety.metrics.instruments import Metrics
from safety.notify import events as outbox_events

PENDING = "safety_metrics_pending"
KNOWN_TRIGGERS = frozenset(TRIGGERS)


def connect(app: Flask, metrics: Metrics) -> None:
    """The event receivers (the request hooks are the request layer's: routes.py)."""
    register_commit_hooks()

    def on_raised(sender, alert, **_kw) -> None:
        trigger = alert.trigger
        on_commit(lambda: metrics.raised(trigger, KNOWN_TRIGGERS))

    def on_dispatched(sender, alert, **_kw) -> None:
        with db.session.no_autoflush:
            row = db.session.execute(select(Dispatch.created_at, Dispatch.accepted_at)
                                     .where(Dispatch.alert_id == alert.id)).first()
        if row is not None and row.accepted_at is not None:
            seconds = (row.accepted_at - row.created_at).total_seconds()
            on_commit(lambda: metrics.accepted(seconds))

    def on_recorded(sender, channel: str, outcomes: list[str], **_kw) -> None:
        metrics.recorded(channel, outcomes)

    # kept on the app: blinker holds receivers weakly
    app.extensions["safety_metrics_receivers"] = (on_raised, on_dispatched, on_recorded)
    alert_events.raised.connect(on_raised, sender=app)
    alert_events.dispatched.connect(on_dispatched, sender=app)
    outbox_events.recorded.connect(on_recorded, sender=app)


# -- counted when the transaction commits --------------------------------------------------------


def on_commit(count: Callable[[], None]) -> None:
    """Run `count()` when the current transaction commits; forget it if it rolls back (a
    savepoint rolled back inside it does not matter: the work it undid was not the count's)."""
    session = db.session()
    if not (session.in_transaction() or session.new or session.dirty or session.deleted):
        # nothing to wait for
        count()
        return
    session.info.setdefault(PENDING, []).append(count)


def _after_commit(session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer one may still roll back
        return
    for count in session.info.pop(PENDING, ()):
        try:
            count()
        except Exception:  # a metric must never break what committed
            current_app.logger.exception("metrics: counting failed")


def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is None:  # the outermost ended without a commit (or after it)
        session.info.pop(PENDING, None)


def register_commit_hooks() -> None:
    """On the (process-wide) scoped session, once."""
    if event.contains(db.session, "after_commit", _after_commit):
        return
    event.listen(db.session, "after_commit", _after_commit)
    event.listen(db.session, "after_transaction_end", _after_transaction_end)
