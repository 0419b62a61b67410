"""Panic alerts, the read side: who may see an alert and as what role, and the alert as that
role may see it (the owner's view of a duress cancel is exactly the view of a real cancel).
The answers are dataclasses (`AlertView`, `Seen`, `Trail`) that the schemas in
safety/alerts/schemas.py dump: what a role may see is chosen here (her view's cutoff, no names
for staff), how it is shown per role there (status, recipient labels, no duress for her)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from safety.accounts.models import User
from safety.accounts.service import full_names
from safety.alerts.access import staff
from safety.alerts.models import Alert, AlertAck, AlertLocation
from safety.contacts import service as contacts
from safety.errors import NotFound
from safety.extensions import db
from safety.i18n import _l
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
        raise NotFound(_l("No such alert."))
    return alert, role


def list_for(user: User, role: str | None):
    if role == "guardian":
        return select(Alert).where(Alert.user_id.in_(contacts.guarded_owners(user)))
    if role == "responder":
        return select(Alert).where(Alert.id.in_(staff().alert_ids_held_by(user)))
    return select(Alert).where(Alert.user_id == user.id, Alert.silent.is_(False))


@dataclass
class Seen:
    """An alert as `role` sees it in a list (AlertSummarySchema dumps it). `cutoff` is set in
    her own view of an alert canceled on her screen (`frozen_at`): the view ends there."""

    alert: Alert
    role: str
    cutoff: datetime | None


@dataclass
class Notice:
    """One push or SMS telling of the alert, as `role` may see it (NotificationSchema labels
    the recipient per role). `name` is the guardian's name or the name she saved for the SMS
    contact; None for responders and org admins (`STAFF`), who see a label only."""

    job: OutboxJob
    role: str
    name: str | None


@dataclass
class Fix:
    """A location as an alert answers it (PointOutSchema dumps it, as it dumps a trail point):
    `reported_recorded_at` is the phone's own time when it was not believed."""

    lat: float
    lon: float
    accuracy_m: float | None
    recorded_at: datetime
    reported_recorded_at: str | None

    @property
    def clock_adjusted(self) -> bool:
        return self.reported_recorded_at is not None


@dataclass
class AlertView(Seen):
    """The alert as `role` may see it (AlertSchema dumps it): what happened up to `cutoff` in
    her frozen view, everything for everyone else. `dispatch` is the dispatch as the alert
    shows it (`AlertAccess.dispatch_view`); None when there is none or in her frozen view."""

    location: Fix | None  # None: raised without any known location (an SOS by SMS)
    notifications: list[Notice]
    acknowledgements: list[AlertAck]
    dispatch: object | None


def frozen_at(alert: Alert, role: str) -> datetime | None:
    """When her own view of `alert` stopped: the (real or duress) cancel on her screen. The
    owner's view of a duress cancel is exactly the view of a real cancel: status canceled, and
    nothing that happened after it. None for everyone else, and before a cancel."""
    return alert.shown_canceled_at if role == "owner" else None


def present(alert: Alert, role: str) -> AlertView:
    """The alert as `role` may see it."""
    cutoff = frozen_at(alert, role)
    jobs = select(OutboxJob).where(
        OutboxJob.alert_id == alert.id, OutboxJob.channel.in_(("push", "sms"))
    )
    if cutoff is not None:
        jobs = jobs.where(OutboxJob.created_at <= cutoff)
    jobs_list = list(db.session.scalars(jobs.order_by(OutboxJob.created_at)))
    acks = select(AlertAck).where(AlertAck.alert_id == alert.id)
    if cutoff is not None:
        acks = acks.where(AlertAck.created_at <= cutoff)
    return AlertView(
        alert=alert, role=role, cutoff=cutoff,
        location=_shown_location(alert) if cutoff is not None else _location(alert),
        notifications=_notifications(alert, role, jobs_list),
        acknowledgements=list(db.session.scalars(acks.order_by(AlertAck.created_at))),
        dispatch=None if cutoff is not None else staff().dispatch_view(alert, role),
    )


def present_new(alert: Alert, added: list) -> AlertView:
    """`present(alert, "owner")` of an alert raised by this request, before its commit, from
    the objects its transaction added (`commands.raise_panic`): who was told are its push and
    SMS jobs, the dispatch is the one it started, and nobody has acknowledged an alert that
    nobody else can see yet. One query (the guardians' names) instead of four."""
    jobs = sorted((o for o in added if isinstance(o, OutboxJob) and o.alert_id == alert.id
                   and o.channel in ("push", "sms")), key=lambda job: job.created_at)
    return AlertView(
        alert=alert, role="owner", cutoff=None, location=_location(alert),
        notifications=_notifications(alert, "owner", jobs), acknowledgements=[],
        dispatch=staff().new_dispatch_view(alert, "owner", added),
    )


STAFF = ("responder", "org_admin")


def _notifications(alert: Alert, role: str, jobs_list: list[OutboxJob]) -> list[Notice]:
    """Who was told. Guardians see the name she gave the contact; responders and org admins
    see a label only (not even her guardians' names)."""
    jobs_list = [j for j in jobs_list if j.kind in ("alert", "alert_sms")]
    who = {} if role in STAFF else full_names(
        [j.recipient_user_id for j in jobs_list if j.recipient_user_id])
    saved = {} if role in STAFF or not any(j.channel == "sms" for j in jobs_list) else {
        c.phone: c.name for c in contacts.list_contacts(alert.owner)}
    return [Notice(j, role, saved.get(j.recipient or "") if j.channel == "sms"
                   else who.get(j.recipient_user_id))
            for j in jobs_list]


def _location(alert: Alert) -> Fix | None:
    """Where she is (her newest point); None for an alert raised without any location (an SOS
    by SMS) until a point arrives."""
    if alert.lat is None or alert.location_at is None:
        return None
    return Fix(alert.lat, alert.lon, alert.accuracy_m, alert.location_at,
               alert.location_reported_at)


def _shown_location(alert: Alert) -> Fix | None:
    """Where she was when it was canceled on her screen (`_hide_from_owner` keeps it; migration
    0007 filled it in for alerts canceled before). None when no location was known at the
    cancel (an SOS by SMS): points that came after a duress cancel must not show."""
    if alert.shown_location_at is None:
        return None
    return Fix(alert.shown_lat, alert.shown_lon, alert.shown_accuracy_m,
               alert.shown_location_at, alert.shown_location_reported_at)


def summary(alert: Alert, role: str) -> Seen:
    return Seen(alert, role, frozen_at(alert, role))


@dataclass
class Trail:
    """A page of the trail, oldest first (TrailSchema dumps it)."""

    items: list[AlertLocation]
    next_since: datetime | None


def trail(alert: Alert, role: str, since: datetime | None, limit: int) -> Trail:
    """Oldest first. Her own view after a (duress) cancel ends at the cancel."""
    stmt = select(AlertLocation).where(AlertLocation.alert_id == alert.id)
    cutoff = frozen_at(alert, role)
    if cutoff is not None:
        stmt = stmt.where(AlertLocation.received_at <= cutoff)
    if since is not None:
        stmt = stmt.where(AlertLocation.recorded_at > since)
    rows = list(db.session.scalars(
        stmt.order_by(AlertLocation.recorded_at, AlertLocation.id).limit(limit + 1)
    ))
    more = len(rows) > limit
    rows = rows[:limit]
    return Trail(rows, rows[-1].recorded_at if more else None)
