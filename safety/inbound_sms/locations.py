"""Where she was last known to be, from what the server already has: the newest point of any
of her alerts' trails, and the location of her newest safety timer (given at its start, or by
an extend). An SMS carries no location, so an SOS by SMS starts there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from safety.alerts.models import Alert, AlertLocation
from safety.extensions import db
from safety.timers.models import SafetyTimer
from safety.util import utcnow


@dataclass(frozen=True)
class KnownLocation:
    lat: float
    lon: float
    accuracy_m: float | None
    at: datetime  # when the server had it (the fix's time for a trail point)
    source: str  # "alert" or "timer"

    def as_location(self) -> dict:
        """As `alerts.commands.raise_alert` takes it: `known_at` is the server's own time."""
        return {"lat": self.lat, "lon": self.lon, "accuracy_m": self.accuracy_m,
                "known_at": self.at}


def _newest_trail_point(user_id, since: datetime) -> KnownLocation | None:
    row = db.session.execute(
        select(AlertLocation.lat, AlertLocation.lon, AlertLocation.accuracy_m,
               AlertLocation.recorded_at)
        .join(Alert, Alert.id == AlertLocation.alert_id)
        .where(Alert.user_id == user_id, AlertLocation.recorded_at >= since)
        .order_by(AlertLocation.recorded_at.desc()).limit(1)
    ).first()
    return KnownLocation(row.lat, row.lon, row.accuracy_m, row.recorded_at, "alert") \
        if row else None


def _newest_timer(user_id, since: datetime) -> KnownLocation | None:
    at = func.coalesce(SafetyTimer.location_at, SafetyTimer.created_at)
    row = db.session.execute(
        select(SafetyTimer.lat, SafetyTimer.lon, SafetyTimer.accuracy_m, at.label("at"))
        .where(SafetyTimer.user_id == user_id, at >= since)
        .order_by(at.desc()).limit(1)
    ).first()
    return KnownLocation(row.lat, row.lon, row.accuracy_m, row.at, "timer") if row else None


def last_known(user_id, max_age_s: int) -> KnownLocation | None:
    """Her newest known location no older than `max_age_s`, or None."""
    since = utcnow() - timedelta(seconds=max_age_s)
    found = [k for k in (_newest_trail_point(user_id, since), _newest_timer(user_id, since))
             if k is not None]
    return max(found, key=lambda k: k.at) if found else None
