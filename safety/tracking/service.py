"""The tracking link sent by SMS to contacts without the app: /t/<token>."""

from __future__ import annotations

from sqlalchemy import select

from safety.alerts.links import hash_token
from safety.alerts.models import Alert, AlertLocation, TrackingLink
from safety.errors import NotFound
from safety.extensions import db
from safety.util import utcnow

TRAIL_POINTS = 500


def alert_for(token: str) -> Alert:
    link = db.session.scalar(select(TrackingLink).where(
        TrackingLink.token_hash == hash_token(token)))
    if link is None or link.revoked_at is not None or (
            link.expires_at is not None and link.expires_at <= utcnow()):
        raise NotFound("This tracking link does not exist or has expired.")
    return db.session.get(Alert, link.alert_id)


def snapshot(token: str) -> dict:
    """Her name, whether the alert is live, and the trail: nothing else."""
    alert = alert_for(token)
    points = list(db.session.scalars(
        select(AlertLocation).where(AlertLocation.alert_id == alert.id)
        .order_by(AlertLocation.recorded_at.desc()).limit(TRAIL_POINTS)))
    points.reverse()
    return {
        "name": alert.owner.full_name,
        "status": "live" if alert.live else "ended",
        "started_at": alert.created_at.isoformat(),
        "updated_at": alert.updated_at.isoformat(),
        "points": [{"lat": p.lat, "lon": p.lon, "accuracy_m": p.accuracy_m,
                    "recorded_at": p.recorded_at.isoformat()} for p in points],
    }
