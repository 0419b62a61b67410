"""Page 8, delivery health (platform admins): the outbox backlog, failing and failed jobs with
their error, retry and abandon (safety.notify.health, audited), the workers' heartbeats."""

from __future__ import annotations

import uuid

from flask import g

from safety.console.routes import bp, console_view, htmx, nav_item, render
from safety.errors import DomainError
from safety.extensions import db
from safety.i18n import _l
from safety.notify import health as service

nav_item("delivery_page", _l("Delivery"), roles=("admin",), order=80)


@bp.get("/delivery")
@console_view("admin")
def delivery_page():
    return render("console/delivery.html", health=service.health())


def _acted(act, done: object):
    """Run an action, commit, and show the page again with what happened (a refusal: its
    reason, with its status)."""
    status, message, error = 200, done, None
    try:
        act()
        db.session.commit()
    except DomainError as refusal:
        db.session.rollback()
        status, message, error = refusal.status, None, refusal
    template = "console/_delivery_main.html" if htmx() else "console/delivery.html"
    return render(template, status=status, health=service.health(), message=message,
                  error=error)


@bp.post("/delivery/jobs/<uuid:job_id>/retry")
@console_view("admin")
def delivery_retry(job_id: uuid.UUID):
    return _acted(lambda: service.retry(g.console_user, job_id),
                  _l("Queued again: a worker sends it now."))


@bp.post("/delivery/jobs/<uuid:job_id>/abandon")
@console_view("admin")
def delivery_abandon(job_id: uuid.UUID):
    return _acted(lambda: service.abandon(g.console_user, job_id),
                  _l("Abandoned: it will not be sent."))
