"""The safety timer: she sets a deadline; if she does not check in with her PIN by then, an
alert with trigger "timer" starts by itself (an outbox timer: it survives restarts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from safety.accounts.models import User
from safety.accounts.service import PinRefusal, try_pin
from safety.alerts import commands as alerts
from safety.alerts.views import Fix
from safety.contacts import service as contacts
from safety.errors import Conflict, Invalid, NotFound
from safety.extensions import db
from safety.fields import ReportedTime
from safety.i18n import _l
from safety.notify import outbox
from safety.notify.models import OutboxJob
from safety.phone_state import PhoneReport, report
from safety.timers.models import SafetyTimer
from safety.util import phone_time, utcnow


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
    timer.location_at, timer.location_reported_at = phone_time(loc.get("recorded_at"), utcnow())
    db.session.add(timer)
    db.session.flush()
    _schedule(timer)
    return timer


def get(user: User, timer_id: uuid.UUID) -> SafetyTimer:
    timer = db.session.get(SafetyTimer, timer_id)
    if timer is None or timer.user_id != user.id:
        raise NotFound(_l("No such timer."))
    return timer


@dataclass
class GuardianTimer:
    """Her running timer as her guardian sees it (TimerSchema dumps it): no note; whose it is,
    her last known location and her phone's last heartbeat."""

    id: uuid.UUID
    status: str
    due_at: datetime
    created_at: datetime
    ended_at: datetime | None
    alert_id: uuid.UUID | None
    person: User
    location: Fix
    phone: PhoneReport | None


def get_visible(user: User, timer_id: uuid.UUID) -> SafetyTimer | GuardianTimer:
    """Her own timer; or, for her guardian, her running timer once her guardians were warned
    that her phone is going dark (safety/heartbeats): until then a guardian does not learn
    that she runs a timer, nor where she is. 404 otherwise."""
    timer = db.session.get(SafetyTimer, timer_id)
    if timer is not None and timer.user_id == user.id:
        return timer
    if timer is None or timer.status != "running" or timer.phone_warned_at is None \
            or not contacts.is_guardian(user, timer.user_id):
        raise NotFound("No such timer.")
    return GuardianTimer(
        id=timer.id, status=timer.status, due_at=timer.due_at, created_at=timer.created_at,
        ended_at=timer.ended_at, alert_id=None, person=db.session.get(User, timer.user_id),
        location=Fix(timer.lat, timer.lon, timer.accuracy_m,
                     timer.location_at or timer.created_at, timer.location_reported_at),
        phone=report(timer))


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
        timer.location_at, timer.location_reported_at = phone_time(
            data["location"].get("recorded_at"), utcnow())
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


def running(user: User) -> SafetyTimer | None:
    """Her running timer (one at most)."""
    return db.session.scalar(select(SafetyTimer).where(
        SafetyTimer.user_id == user.id, SafetyTimer.status == "running"))


def extend_with_pin(user: User, timer_id: uuid.UUID, data: dict,
                    pin: str) -> tuple[SafetyTimer, PinRefusal | None]:
    """Extend after her PIN: for the SMS command, where the sender's number alone proves
    nothing (it can be spoofed, and a later deadline is a later alarm). The same gate and count
    of wrong PINs as check-in. The duress PIN extends exactly like the PIN, and raises a silent
    duress alert at the timer's location (not named on the timer: her phone shows a plain
    extension)."""
    timer = _running(user, timer_id)
    if user.pin_hash is None:
        raise Invalid("pin", "Set a PIN (PUT /api/v1/me/pin) to be able to extend by SMS.")
    kind = try_pin(user, pin, timer, "pin")  # argon2 runs with the row let go: read afresh
    if isinstance(kind, PinRefusal):
        db.session.flush()
        return timer, kind
    version = timer.version
    timer = extend(user, timer.id, data)
    if kind == "duress":
        alerts.raise_silent_duress(user, uuid.uuid5(timer.id, f"extend:{version}"),
                                   _location(timer), note=timer.note)
    db.session.flush()
    return timer, None


def _location(timer: SafetyTimer) -> dict:
    """Her last known location, with the time it was taken (the alert says how old it is)."""
    at = timer.location_at or timer.created_at
    return {"lat": timer.lat, "lon": timer.lon, "accuracy_m": timer.accuracy_m,
            "recorded_at": ReportedTime(timer.location_reported_at or at.isoformat(), at)}


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
