"""Panic alerts, the worker's side: escalation rounds while nobody answers, and the retention
purge of old trails."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from safety.accounts import throttles
from safety.accounts.service import admin_ids
from safety.alerts.models import LIVE, Alert, AlertAck, AlertLocation, without_owner
from safety.contacts import service as contacts
from safety.extensions import db
from safety.i18n import Minutes, _l
from safety.notify import outbox
from safety.notify import service as notify
from safety.notify.models import OutboxJob
from safety.util import utcnow

ESCALATION_ROUNDS = 3


def _escalate(job: OutboxJob) -> dict:
    alert = db.session.get(Alert, job.alert_id)
    if alert is None or not alert.live:
        return {"skipped": "alert ended"}
    acked = db.session.scalar(select(func.count()).where(AlertAck.alert_id == alert.id))
    if acked or alert.status != "active":
        return {"skipped": "someone is on it"}
    rnd = int(job.payload.get("round", 1))
    owner = alert.owner
    minutes = (utcnow() - alert.created_at).total_seconds() / 60
    data = {"alert_id": alert.id, "lat": alert.lat, "lon": alert.lon,
            "duress": "1" if alert.duress else "0"}
    sent = notify.push_to_users(
        without_owner(alert, contacts.guardian_ids(owner.id) + admin_ids()),
        "alert_escalation",
        _l("Still no answer: %(name)s needs help", name=owner.full_name),
        _l("Her alert has been open for %(minutes)s and nobody has responded.",
           minutes=Minutes(minutes)), data,
        alert_id=alert.id,
    )
    if rnd < ESCALATION_ROUNDS:
        outbox.enqueue(
            "alert_escalate", "timer", {"round": rnd + 1}, alert_id=alert.id,
            due_at=utcnow() + timedelta(seconds=current_app.config["ESCALATE_AFTER_S"]),
            dedupe_key=f"escalate:{alert.id}:{rnd + 1}",
        )
    return {"round": rnd, "pushes": sent}


def _purge_job(job: OutboxJob) -> dict:
    return {"deleted_points": purge_locations(current_app.config["LOCATION_RETENTION_DAYS"]),
            "deleted_throttles": throttles.purge()}


def purge_locations(older_than_days: int) -> int:
    """Delete trails of alerts that ended more than `older_than_days` ago; keep the alerts."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    ended = select(Alert.id).where(
        Alert.status.not_in(LIVE), Alert.ended_at.is_not(None), Alert.ended_at < cutoff
    )
    result = db.session.execute(
        AlertLocation.__table__.delete().where(AlertLocation.alert_id.in_(ended))
    )
    return result.rowcount or 0
