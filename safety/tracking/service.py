"""The tracking link sent by SMS to contacts without the app: /t/<token>."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from safety.alerts.links import hash_token
from safety.alerts.models import Alert, AlertLocation, TrackingLink
from safety.errors import NotFound
from safety.extensions import db
from safety.messages.models import AlertMessage
from safety.messages.service import her_latest_reply
from safety.util import utcnow

TRAIL_POINTS = 500


def alert_for(token: str) -> Alert:
    link = db.session.scalar(select(TrackingLink).where(
        TrackingLink.token_hash == hash_token(token)))
    if link is None or link.revoked_at is not None or (
            link.expires_at is not None and link.expires_at <= utcnow()):
        raise NotFound("This tracking link does not exist or has expired.")
    return db.session.get(Alert, link.alert_id)


@dataclass
class Snapshot:
    alert: Alert
    points: list[AlertLocation]  # the newest TRAIL_POINTS, oldest first
    reply: AlertMessage | None  # her latest quick reply (not free text, not her helpers')


def snapshot(token: str) -> Snapshot:
    """The alert behind the link, its trail and her latest quick reply (SnapshotSchema shows
    her name, whether the alert is live, the trail and that reply: nothing else)."""
    alert = alert_for(token)
    points = list(db.session.scalars(
        select(AlertLocation).where(AlertLocation.alert_id == alert.id)
        .order_by(AlertLocation.recorded_at.desc()).limit(TRAIL_POINTS)))
    points.reverse()
    return Snapshot(alert, points, her_latest_reply(alert))
