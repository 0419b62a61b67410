"""The tracking link sent by SMS to contacts without the app: /t/<token>."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from safety.alerts.links import hash_token
from safety.alerts.models import Alert, AlertLocation, TrackingLink
from safety.contacts import service as contacts
from safety.contacts.models import Contact
from safety.errors import NotFound
from safety.extensions import db
from safety.i18n import _l
from safety.util import utcnow

TRAIL_POINTS = 500


def _link(token: str) -> TrackingLink | None:
    return db.session.scalar(select(TrackingLink).where(
        TrackingLink.token_hash == hash_token(token)))


def reader(token: str) -> tuple[str | None, str | None]:
    """The language and time zone of whoever the link was sent to (as their SMS was written:
    contacts.service.readers), live or not; (None, None) for a token we never gave out."""
    link = _link(token)
    contact = db.session.get(Contact, link.contact_id) if link and link.contact_id else None
    if contact is None:
        return None, None
    return contacts.reader(contact)


def alert_for(token: str) -> Alert:
    link = _link(token)
    if link is None or link.revoked_at is not None or (
            link.expires_at is not None and link.expires_at <= utcnow()):
        raise NotFound(_l("This tracking link does not exist or has expired."))
    return db.session.get(Alert, link.alert_id)


@dataclass
class Snapshot:
    alert: Alert
    points: list[AlertLocation]  # the newest TRAIL_POINTS, oldest first


def snapshot(token: str) -> Snapshot:
    """The alert behind the link and its trail (SnapshotSchema shows her name, whether the
    alert is live, and the trail: nothing else)."""
    alert = alert_for(token)
    points = list(db.session.scalars(
        select(AlertLocation).where(AlertLocation.alert_id == alert.id)
        .order_by(AlertLocation.recorded_at.desc()).limit(TRAIL_POINTS)))
    points.reverse()
    return Snapshot(alert, points)
