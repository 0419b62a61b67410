"""Her phone going dark.

While a safety timer runs or an alert is live, her phone sends a heartbeat (battery, charging,
location) every HEARTBEAT_EVERY_S. Her guardians are warned, once per episode, when

- the battery falls below BATTERY_LOW_PCT and the phone is not charging (the warning re-arms
  once a heartbeat says BATTERY_LOW_PCT + BATTERY_HYSTERESIS_PCT or more), or
- nothing is heard from the phone for HEARTBEAT_SILENCE_S (re-arms at the next heartbeat).

A warning is a push to her guardians with her last known location and its age and, during a
live alert, an SMS with a tracking link to her contacts without the app (within the SMS
limits). Nothing of it reaches her phone: he may hold it.

What her phone reports to is her live alert if there is one (its location goes on the trail),
else her running timer (its location becomes the timer's, where the alarm starts). With neither,
a heartbeat is refused (409) and nothing is stored: she is not followed when she has not asked.
After a duress cancel (or a duress check-in) the alert is live behind her screen: a heartbeat
is kept and may warn her guardians, and her phone gets the same 409 as after a real cancel.

Silence is noticed by a timer job, not by polling: the first heartbeat schedules a check
HEARTBEAT_SILENCE_S later; a check that finds the phone heard from since schedules the next one
for when the silence would be complete; one that finds it silent warns and schedules nothing
until the next heartbeat. One pending check per alert or timer, whatever the heartbeat rate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, func, select

from safety.accounts.models import User
from safety.alerts import commands as alerts
from safety.alerts.models import LIVE, Alert, AlertLocation
from safety.contacts import service as contacts
from safety.errors import Conflict
from safety.extensions import db
from safety.i18n import LocalTime, Minutes, _l
from safety.notify import outbox
from safety.notify import service as notify
from safety.notify.models import OutboxJob
from safety.timers.models import SafetyTimer
from safety.util import phone_time, utcnow

Watched = Alert | SafetyTimer
CHECK = "phone_silence"  # the silence check's job kind


@dataclass
class Ack:
    every_s: int


def nothing_running() -> Conflict:
    """The one answer to a heartbeat when nothing runs on her screen (and after a cancel, real
    or duress alike)."""
    return Conflict(_l("Nothing is running to report to: heartbeats are taken only while a "
                       "safety timer runs or an alert is live."))


def _silence() -> timedelta:
    return timedelta(seconds=current_app.config["HEARTBEAT_SILENCE_S"])


def _live_alert(user_id: uuid.UUID) -> Alert | None:
    alert_id = db.session.scalar(select(Alert.id).where(
        Alert.user_id == user_id, Alert.status.in_(LIVE)).with_for_update())
    return db.session.get(Alert, alert_id, populate_existing=True) if alert_id else None


def _running_timer(user_id: uuid.UUID) -> SafetyTimer | None:
    timer_id = db.session.scalar(select(SafetyTimer.id).where(
        SafetyTimer.user_id == user_id, SafetyTimer.status == "running").with_for_update())
    return db.session.get(SafetyTimer, timer_id, populate_existing=True) if timer_id else None


# -- the heartbeat -----------------------------------------------------------------------------


def beat(user: User, data: dict) -> bool:
    """Record a heartbeat. Raises `nothing_running()` (nothing stored) when she has no live
    alert and no running timer. Returns False when it was kept for an alert canceled on her
    screen (a duress cancel) and she has no running timer: the caller commits, then answers
    `nothing_running()`, exactly as after a real cancel."""
    now = utcnow()
    alert, timer = _live_alert(user.id), _running_timer(user.id)
    if alert is None and timer is None:
        raise nothing_running()
    point = data.get("location")
    if point is not None:
        if alert is not None:
            alerts.add_point(alert, point, now)
        if timer is not None:
            _move_timer(timer, point, now)
    row: Watched = alert if alert is not None else timer
    row.phone_battery_pct = data["battery_pct"]
    row.phone_charging = data["charging"]
    row.phone_seen_at = now
    _battery(row, now)
    row.phone_dark_warned_at = None  # heard from again: a silence warning re-arms
    if row.phone_check_due is None:
        _schedule_check(row, now + _silence())
    db.session.flush()
    return timer is not None or alert.shown_canceled_at is None


def _move_timer(timer: SafetyTimer, point: dict, now: datetime) -> None:
    """The timer's location is her last known one: where the alarm starts."""
    at, reported = phone_time(point.get("recorded_at"), now)
    if at < (timer.location_at or timer.created_at):
        return  # a late heartbeat: the timer already knows a newer place
    timer.lat, timer.lon, timer.accuracy_m = point["lat"], point["lon"], point.get("accuracy_m")
    timer.location_at, timer.location_reported_at = at, reported


def _battery(row: Watched, now: datetime) -> None:
    cfg = current_app.config
    low, pct = cfg["BATTERY_LOW_PCT"], row.phone_battery_pct
    if row.phone_low_warned_at is not None:
        if pct >= low + cfg["BATTERY_HYSTERESIS_PCT"]:
            row.phone_low_warned_at = None  # recovered: the next dip warns again
        return
    if pct < low and not row.phone_charging:
        _warn(row, "phone_low", now)
        row.phone_low_warned_at = now


# -- silence -----------------------------------------------------------------------------------


def _schedule_check(row: Watched, due: datetime) -> None:
    row.phone_checks = (row.phone_checks or 0) + 1
    row.phone_check_due = due
    subject = "alert" if isinstance(row, Alert) else "timer"
    outbox.enqueue(CHECK, "timer", {"subject": subject, "id": str(row.id),
                                    "check": row.phone_checks},
                   alert_id=row.id if subject == "alert" else None, due_at=due,
                   dedupe_key=f"{CHECK}:{subject}:{row.id}:{row.phone_checks}")


def _watched(row: Watched) -> bool:
    """Whether her phone still reports to `row`: a live alert; a running timer while she has no
    live alert (a live alert takes the heartbeats, and the warnings)."""
    if isinstance(row, Alert):
        return row.live
    if row.status != "running":
        return False
    return db.session.scalar(select(Alert.id).where(
        Alert.user_id == row.user_id, Alert.status.in_(LIVE))) is None


def _last_heard(row: Watched) -> datetime:
    """The last sign of life: a heartbeat, or (on an alert) a point of its trail."""
    if isinstance(row, SafetyTimer):
        return row.phone_seen_at
    newest_point = db.session.scalar(select(func.max(AlertLocation.received_at)).where(
        AlertLocation.alert_id == row.id))
    return max(t for t in (row.phone_seen_at, newest_point) if t is not None)


def silence_check(job: OutboxJob) -> dict:
    """The `phone_silence` timer job: warn when her phone has been silent for
    HEARTBEAT_SILENCE_S, else look again when it would have been."""
    model = Alert if job.payload["subject"] == "alert" else SafetyTimer
    row_id = db.session.scalar(select(model.id).where(
        model.id == uuid.UUID(job.payload["id"])).with_for_update())
    row = db.session.get(model, row_id, populate_existing=True) if row_id else None
    if row is None or row.phone_checks != job.payload["check"] or row.phone_check_due is None:
        return {"skipped": "superseded"}
    row.phone_check_due = None
    if not _watched(row):
        return {"skipped": "not watched any more"}
    now = utcnow()
    quiet = now - _last_heard(row)
    if quiet < _silence():
        _schedule_check(row, now - quiet + _silence())
        return {"quiet_s": int(quiet.total_seconds())}
    if row.phone_dark_warned_at is not None:
        return {"skipped": "already warned"}
    _warn(row, "phone_dark", now, quiet=quiet)
    row.phone_dark_warned_at = now
    return {"warned": "phone_dark", "quiet_s": int(quiet.total_seconds())}


# -- from a timer to the alert it raised -------------------------------------------------------


@cache
def _timers_of_a_new_alert():
    """Her timer that raised the alert (its id is the alert's client_id) and those still
    running: built once (every panic runs it)."""
    return select(SafetyTimer).where(
        SafetyTimer.user_id == bindparam("user_id"),
        (SafetyTimer.id == bindparam("client_id")) | (SafetyTimer.status == "running"))


def on_alert_raised(_app, *, alert: Alert) -> None:
    """Receives `alerts.events.raised`: her phone was reporting to a timer (the one that raised
    this alert, or one still running): the alert takes its phone state over, warnings already
    out included (the episode goes on, no second warning), and watches for silence."""
    # Hers, in one query: the timer that raised it (its id is the alert's client_id), else
    # one still running.
    timers = list(db.session.scalars(_timers_of_a_new_alert(),
                                     {"user_id": alert.user_id, "client_id": alert.client_id}))
    timer = next((t for t in timers if t.id == alert.client_id),
                 next((t for t in timers if t.status == "running"), None))
    if timer is None or timer.phone_seen_at is None:
        return
    for name in ("phone_battery_pct", "phone_charging", "phone_seen_at", "phone_low_warned_at",
                 "phone_dark_warned_at", "phone_warned_at"):
        setattr(alert, name, getattr(timer, name))
    if alert.phone_dark_warned_at is None:
        _schedule_check(alert, max(utcnow(), timer.phone_seen_at + _silence()))


# -- the warning -------------------------------------------------------------------------------


def _last_location(row: Watched) -> tuple[float, float, datetime]:
    if isinstance(row, Alert):
        return row.lat, row.lon, row.location_at
    return row.lat, row.lon, row.location_at or row.created_at


def _warn(row: Watched, kind: str, now: datetime, quiet: timedelta | None = None) -> None:
    """Her guardians (never her) get her last known location and its age; during a live alert
    her contacts without the app get it by SMS with a tracking link."""
    owner = db.session.get(User, row.user_id)
    lat, lon, at = _last_location(row)
    where = {"time": LocalTime(at), "age": Minutes((now - at).total_seconds() / 60)}
    alert = row if isinstance(row, Alert) else None
    data = {"lat": lat, "lon": lon, "location_at": at.isoformat(),
            "battery_pct": row.phone_battery_pct,
            "charging": {True: "1", False: "0"}.get(row.phone_charging, "")}
    if alert is not None:
        data |= {"alert_id": alert.id, "duress": "1" if alert.duress else "0"}
    else:
        data["timer_id"] = row.id
    if kind == "phone_low":
        title = _l("%(name)s's phone battery is low", name=owner.full_name)
        body = _l("%(pct)s%% left. Her last known location is from %(time)s (%(age)s ago). "
                  "Tap to see it.", pct=row.phone_battery_pct, **where)
    else:
        title = _l("%(name)s's phone has stopped reporting", name=owner.full_name)
        body = _l("Nothing from her phone for %(quiet)s. Her last known location is from "
                  "%(time)s (%(age)s ago). Tap to see it.",
                  quiet=Minutes(quiet.total_seconds() / 60), **where)
    guardians = [uid for uid in contacts.guardian_ids(owner.id) if uid != owner.id]
    notify.push_to_users(guardians, kind, title, body, data,
                         alert_id=alert.id if alert else None)
    if alert is not None and notify.sms_enabled():
        alerts.sms_contacts(alert, f"{kind}_sms", lambda name, link: _sms_text(
            kind, name, link, row.phone_battery_pct, **where))
    row.phone_warned_at = row.phone_warned_at or now


def _sms_text(kind: str, name: str, link: str, pct: int | None, **where):
    if kind == "phone_low":
        return _l("%(name)s's phone is running out of battery (%(pct)s%%). Her last known "
                  "location, from %(time)s (%(age)s ago): %(link)s", name=name, pct=pct,
                  link=link, **where)
    return _l("%(name)s's phone has stopped reporting. Her last known location, from %(time)s "
              "(%(age)s ago): %(link)s", name=name, link=link, **where)
