"""Page 2, one alert: its trail, its timeline and the desk's actions on it."""

from __future__ import annotations

import uuid

from flask import g, request

from safety.console import alert_page as service
from safety.console.routes import bp, console_view, htmx, render
from safety.dispatch import desk
from safety.errors import DomainError, Invalid
from safety.extensions import db
from safety.i18n import _l


@bp.get("/alerts/<uuid:alert_id>")
@console_view()
def alert_view(alert_id: uuid.UUID):
    return render("console/alert.html", page=service.page(g.desk, alert_id))


@bp.get("/alerts/<uuid:alert_id>/live")
@console_view()
def alert_live(alert_id: uuid.UUID):
    """The live part (status, map data, timeline), polled by htmx."""
    return render("console/_alert_live.html", page=service.page(g.desk, alert_id))


def _acted(alert_id: uuid.UUID, act, done: object):
    """Run an action (a dispatch.desk service), commit, and show the page again with what
    happened (a refusal: the page with the reason, and its status)."""
    status, message, error = 200, done, None
    try:
        act()
        db.session.commit()
    except DomainError as refusal:
        db.session.rollback()
        status, message, error = refusal.status, None, refusal
    page = service.page(g.desk, alert_id)
    template = "console/_alert_main.html" if htmx() else "console/alert.html"
    return render(template, status=status, page=page, message=message, error=error)


def _uuid(field: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.form.get(field, ""))
    except ValueError:
        raise Invalid(field, _l("Choose a responder.")) from None


@bp.post("/alerts/<uuid:alert_id>/assign")
@console_view()
def alert_assign(alert_id: uuid.UUID):
    return _acted(alert_id, lambda: desk.assign(g.console_user, alert_id, _uuid("responder_id")),
                  _l("Offered. The responder accepts it in the app."))


@bp.post("/alerts/<uuid:alert_id>/reoffer")
@console_view()
def alert_reoffer(alert_id: uuid.UUID):
    return _acted(alert_id, lambda: desk.reoffer(g.console_user, alert_id),
                  _l("Offered again to the nearest available responders."))


@bp.post("/alerts/<uuid:alert_id>/false-alarm")
@console_view()
def alert_false_alarm(alert_id: uuid.UUID):
    return _acted(alert_id, lambda: desk.false_alarm(g.console_user, alert_id,
                                                     request.form.get("reason", "")),
                  _l("Closed as a false alarm."))


@bp.post("/alerts/<uuid:alert_id>/notes")
@console_view()
def alert_note(alert_id: uuid.UUID):
    return _acted(alert_id, lambda: desk.add_note(g.console_user, alert_id,
                                                  request.form.get("text", "")),
                  _l("Note added."))
