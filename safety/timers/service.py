"""The safety timer: she sets a deadline; if she does not check in with her PIN by then, an
alert with trigger "timer" starts by itself (an outbox timer: it survives restarts)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from safety.accounts.models import User
from safety.accounts.service import PinRefusal, try_pin
from safety.alerts import commands as alerts
from safety.errors import Conflict, Invalid, NotFound
from safety.extensions import db
from safety.i18n import _l
from safety.notify import outbox
from safety.notify.models import OutboxJob
from safety.timers.models import SafetyTimer
from safety.util import utcnow


def _due(data: dict) -> datetime:
    """The deadline asked for (DueSchema has checked its range)."""
    if data.get("duration_s") is not None:
        return utcnow() + timedelta(seconds=data["duration_s"])
    return data["due_at"]


def _schedule(timer: SafetyTimer) -> None:
    outbox.enqueue("timer_due", "timer", {"timer_id": str(timer.id), "version": timer.version},
                   due_at=timer.due_at, dedupe_key=f"timer:{timer.id}:{timer.version}")


def _unschedule(timer: SafetyTimer) -> None:
    outbox.cancel_by_key(f"timer:{timer.id}:{timer.version}")


def start(user: User, data: dict) -> SafetyTimer:
    running = db.session.scalar(select(SafetyTimer.id).where(
        SafetyTimer.user_id == user.id, SafetyTimer.status == "running"))
    if running is not None:
        raise Conflict(_l("You already have a running timer: extend it or check in."))
    loc = data["location"]
    timer = SafetyTimer(user_id=user.id, due_at=_due(data), note=data.get("note"),
                        lat=loc["lat"], lon=loc["lon"], accuracy_m=loc.get("accuracy_m"))
    db.session.add(timer)
    db.session.flush()
    _schedule(timer)
    return timer


def get(user: User, timer_id: uuid.UUID) -> SafetyTimer:
    timer = db.session.get(SafetyTimer, timer_id)
    if timer is None or timer.user_id != user.id:
        raise NotFound(_l("No such timer."))
    return timer


def list_for(user: User):
    return select(SafetyTimer).where(SafetyTimer.user_id == user.id)


def _running(user: User, timer_id: uuid.UUID) -> SafetyTimer:
    timer = get(user, timer_id)
    db.session.execute(select(SafetyTimer.id).where(SafetyTimer.id == timer.id)
                       .with_for_update())
    db.session.refresh(timer)
    if timer.status != "running":
        raise ended(timer)
    return timer


ENDED = {
    "checked_in": _l("This timer has already ended: you checked in."),
    "alarmed": _l("This timer has already ended: it raised an alert."),
}


def ended(timer: SafetyTimer) -> Conflict:
    """The answer to a change of a timer that is no longer running."""
    return Conflict(ENDED.get(timer.status, _l("This timer has already ended.")))


def extend(user: User, timer_id: uuid.UUID, data: dict) -> SafetyTimer:
    timer = _running(user, timer_id)
    due = _due(data)
    if due <= timer.due_at:
        raise Invalid("due_at", _l("Extending moves the deadline later."))
    _unschedule(timer)
    timer.due_at = due
    timer.version += 1
    if data.get("location"):
        timer.lat, timer.lon = data["location"]["lat"], data["location"]["lon"]
        timer.accuracy_m = data["location"].get("accuracy_m")
    _schedule(timer)
    db.session.flush()
    return timer


def check_in(user: User, timer_id: uuid.UUID, pin: str) -> tuple[SafetyTimer,
                                                                  PinRefusal | None]:
    """A wrong PIN is counted (the caller commits, then answers 403); the duress PIN answers
    exactly like the PIN and raises a silent duress alert."""
    timer = _running(user, timer_id)
    if user.pin_hash is None:
        raise Invalid("pin", _l("Set a PIN (PUT /api/v1/me/pin) to be able to check in."))
    kind = try_pin(user, pin, timer, "pin")  # argon2 runs with the row let go: read afresh
    if isinstance(kind, PinRefusal):
        db.session.flush()
        return timer, kind
    if timer.status != "running":
        raise ended(timer)
    _unschedule(timer)
    timer.status = "checked_in"
    timer.ended_at = utcnow()
    if kind == "duress":
        alert = alerts.raise_silent_duress(user, timer.id, _location(timer), note=timer.note)
        timer.alert_id = alert.id
    db.session.flush()
    return timer, None


def _location(timer: SafetyTimer) -> dict:
    return {"lat": timer.lat, "lon": timer.lon, "accuracy_m": timer.accuracy_m}


def _due_now(job: OutboxJob) -> dict:
    timer = db.session.get(SafetyTimer, uuid.UUID(job.payload["timer_id"]))
    if timer is None or timer.status != "running" or timer.version != job.payload["version"]:
        return {"skipped": "checked in or extended"}
    owner = db.session.get(User, timer.user_id)
    # The timer's id is the alert's client_id: a retried job finds the same alert.
    alert, _created = alerts.raise_alert(owner, {
        "client_id": timer.id, "trigger": "timer", "location": _location(timer),
        "note": timer.note})
    timer.status = "alarmed"
    timer.ended_at = utcnow()
    timer.alert_id = alert.id
    return {"alert_id": str(alert.id)}
