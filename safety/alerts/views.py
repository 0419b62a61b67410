"""Panic alerts, the read side: who may see an alert and as what role, and the alert as that
role may see it (the owner's view of a duress cancel is exactly the view of a real cancel)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from safety.accounts.models import User
from safety.accounts.service import full_names
from safety.alerts.access import staff
from safety.alerts.models import Alert, AlertAck, AlertLocation
from safety.contacts import service as contacts
from safety.errors import NotFound
from safety.extensions import db
from safety.notify.models import OutboxJob


def viewer_role(user: User, alert: Alert) -> str | None:
    """How `user` may see `alert`: owner, guardian, responder, org_admin, admin; or None."""
    if alert.user_id == user.id:
        return None if alert.silent else "owner"
    if user.has_role("admin"):
        return "admin"
    role = staff().viewer_role(user, alert)
    if role:
        return role
    if contacts.is_guardian(user, alert.user_id):
        return "guardian"
    return None


def get_visible(user: User, alert_id: uuid.UUID) -> tuple[Alert, str]:
    alert = db.session.get(Alert, alert_id)
    role = viewer_role(user, alert) if alert is not None else None
    if role is None:
        raise NotFound("No such alert.")
    return alert, role


def list_for(user: User, role: str | None):
    if role == "guardian":
        return select(Alert).where(Alert.user_id.in_(contacts.guarded_owners(user)))
    if role == "responder":
        return select(Alert).where(Alert.id.in_(staff().alert_ids_held_by(user)))
    return select(Alert).where(Alert.user_id == user.id, Alert.silent.is_(False))


def present(alert: Alert, role: str) -> dict:
    """The alert as `role` may see it. The owner's view of a duress cancel is exactly the view
    of a real cancel: status canceled, and nothing that happened after it."""
    owner_hidden = role == "owner" and alert.shown_canceled_at is not None
    cutoff = alert.shown_canceled_at if owner_hidden else None
    jobs = select(OutboxJob).where(
        OutboxJob.alert_id == alert.id, OutboxJob.channel.in_(("push", "sms"))
    )
    if cutoff is not None:
        jobs = jobs.where(OutboxJob.created_at <= cutoff)
    jobs_list = list(db.session.scalars(jobs.order_by(OutboxJob.created_at)))
    acks = select(AlertAck).where(AlertAck.alert_id == alert.id)
    if cutoff is not None:
        acks = acks.where(AlertAck.created_at <= cutoff)
    view = {
        "id": alert.id,
        "status": "canceled" if owner_hidden else alert.status,
        "trigger": alert.trigger,
        "created_at": alert.created_at,
        "updated_at": cutoff or alert.updated_at,
        "ended_at": cutoff or alert.ended_at,
        "battery_pct": alert.battery_pct,
        "note": alert.note,
        "location": _shown_location(alert) if owner_hidden else _location(
            alert.lat, alert.lon, alert.accuracy_m, alert.location_at,
            alert.location_reported_at),
        "notifications": _notifications(alert, role, jobs_list),
        "acknowledgements": [
            {"guardian_id": a.guardian_id, "guardian_name": a.guardian.full_name,
             "message": a.message, "at": a.created_at}
            for a in db.session.scalars(acks.order_by(AlertAck.created_at))
        ],
        "dispatch": None,
    }
    if role != "owner":
        view["duress"] = alert.duress
        view["unassigned"] = alert.unassigned
        view["person"] = {"id": alert.owner.id, "full_name": alert.owner.full_name,
                          "phone": alert.owner.phone}
    if not owner_hidden:
        view["dispatch"] = staff().dispatch_view(alert, role)
    return view


STAFF = ("responder", "org_admin")


def _notifications(alert: Alert, role: str, jobs_list: list[OutboxJob]) -> list[dict]:
    """Who was told and the delivery state. Her SMS contacts' numbers are hers: she sees them;
    a platform admin sees the last four digits (enough for support to find a failing number);
    guardians see the name she gave the contact; responders and org admins see a label only
    (not even her guardians' names)."""
    jobs_list = [j for j in jobs_list if j.kind in ("alert", "alert_sms")]
    who = {} if role in STAFF else full_names(
        [j.recipient_user_id for j in jobs_list if j.recipient_user_id])
    saved = {} if role in STAFF else {
        c.phone: c.name for c in contacts.list_contacts(alert.owner)}
    out = []
    for j in jobs_list:
        row = {"channel": j.channel, "kind": j.kind, "status": j.status,
               "attempts": j.attempts, "sent_at": j.finished_at if j.status == "sent" else None}
        if j.channel == "sms":
            phone = j.recipient or ""
            row["recipient_kind"] = "sms_contact"
            row["recipient_name"] = saved.get(phone)
            row["recipient"] = (phone if role == "owner" else
                                "***" + phone[-4:] if role == "admin" else "SMS contact")
        else:
            row["recipient_kind"] = "guardian"
            row["recipient_name"] = who.get(j.recipient_user_id)
            row["recipient"] = j.recipient  # a device label ("android device")
        out.append(row)
    return out


def _shown_location(alert: Alert) -> dict:
    """Where she was when it was canceled on her screen (`_hide_from_owner` keeps it; migration
    0007 filled it in for alerts canceled before; the fallback only guards a path that forgot)."""
    if alert.shown_location_at is None:
        return _location(alert.lat, alert.lon, alert.accuracy_m, alert.location_at,
                         alert.location_reported_at)
    return _location(alert.shown_lat, alert.shown_lon, alert.shown_accuracy_m,
                     alert.shown_location_at, alert.shown_location_reported_at)


def _location(lat, lon, accuracy_m, recorded_at, reported_at) -> dict:
    """A location as answered: `clock_adjusted` when the phone's own time was not believed,
    which is then kept as `reported_recorded_at`."""
    return {"lat": lat, "lon": lon, "accuracy_m": accuracy_m, "recorded_at": recorded_at,
            "clock_adjusted": reported_at is not None, "reported_recorded_at": reported_at}


def summary(alert: Alert, role: str) -> dict:
    hidden = role == "owner" and alert.shown_canceled_at is not None
    return {
        "id": alert.id, "trigger": alert.trigger, "created_at": alert.created_at,
        "status": "canceled" if hidden else alert.status,
        "ended_at": alert.shown_canceled_at if hidden else alert.ended_at,
    }


def trail(alert: Alert, role: str, since: datetime | None, limit: int) -> dict:
    """Oldest first. Her own view after a (duress) cancel ends at the cancel."""
    stmt = select(AlertLocation).where(AlertLocation.alert_id == alert.id)
    if role == "owner" and alert.shown_canceled_at is not None:
        stmt = stmt.where(AlertLocation.received_at <= alert.shown_canceled_at)
    if since is not None:
        stmt = stmt.where(AlertLocation.recorded_at > since)
    rows = list(db.session.scalars(
        stmt.order_by(AlertLocation.recorded_at, AlertLocation.id).limit(limit + 1)
    ))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_since": rows[-1].recorded_at if more else None}
