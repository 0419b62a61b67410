"""Panic alerts, what changes them: raise (idempotent), add locations, cancel with PIN or
duress PIN, acknowledge, end.

Everything an alert causes (pushes, SMS, escalation timers, dispatch offers) is enqueued in the
same transaction as the alert itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from safety.accounts.models import User
from safety.accounts.service import PinRefusal, try_pin
from safety.alerts import events
from safety.alerts.access import staff
from safety.alerts.links import create_tracking_link
from safety.alerts.models import (
    LIVE,
    Alert,
    AlertAck,
    AlertLocation,
    TrackingLink,
    without_owner,
)
from safety.contacts import service as contacts
from safety.db import recording_added
from safety.errors import Conflict, Invalid, NotFound
from safety.events import send
from safety.extensions import db
from safety.i18n import LocalTime, Text, _l
from safety.notify import outbox
from safety.notify import service as notify
from safety.notify.channels.sms import sms_safe_name
from safety.notify.models import OutboxJob
from safety.util import new_id, phone_time, utcnow

# -- raising -----------------------------------------------------------------------------------


def _existing(user_id: uuid.UUID, client_id: uuid.UUID) -> Alert | None:
    """Her alert with this client_id (a retry), else her live one (a second panic): one
    query for both."""
    rows = list(db.session.scalars(select(Alert).where(
        Alert.user_id == user_id, or_(Alert.client_id == client_id, Alert.status.in_(LIVE)))))
    return next((a for a in rows if a.client_id == client_id), rows[0] if rows else None)


@cache
def _numbered_insert(dialect: str, numbers: int):
    """The alert's INSERT with its number chosen inside it, built once per database kind (and
    count of numbers: tests change NUMBERS)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (insert(Alert).values(number=free_number(dialect, numbers,
                                                    bindparam("resting_since")))
            .on_conflict_do_nothing().returning(Alert))


def _insert(values: dict, number: bool = True) -> Alert | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the alert: None when a unique constraint
    said no (a retry of this client_id, another live alert of hers, or its short number taken
    meanwhile by another panic), the same one round trip either way. Its short number is
    chosen inside the statement (`free_number`); `number=False`: none."""
    dialect = db.session.get_bind().dialect.name
    if not number:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        return db.session.scalar(insert(Alert).values(**values, number=None)
                                 .on_conflict_do_nothing().returning(Alert))
    return db.session.scalar(_numbered_insert(dialect, NUMBERS),
                             {**values, "resting_since": utcnow() - NUMBER_REST})


@dataclass
class Raised:
    """What `raise_panic` did: the alert, whether it is new, and (for a new one) every object
    its transaction added (her guardians' push jobs, the dispatch, ...), so that the answer is
    shaped from them without reading them back (`views.present_new`)."""

    alert: Alert
    created: bool
    added: list


def raise_panic(user: User, data: dict) -> Raised:
    """`raise_alert`, keeping what it added (less what a SAVEPOINT rolled back since: gone
    from the session, it will not be committed)."""
    with recording_added() as added:
        alert, created = raise_alert(user, data)
    session = db.session()
    return Raised(alert, created, [o for o in added if o in session] if created else [])


def raise_alert(user: User, data: dict) -> tuple[Alert, bool]:
    """Returns (alert, created). A retry (same client_id) or a second panic while one is live
    returns the existing alert with the new location added; a panic never fails for being
    repeated.

    `location` may be None (an SOS by SMS when nothing is known of where she is): the alert is
    raised all the same, without a location. A location the server itself recorded earlier
    (her last known one) carries `known_at`, the server's time of it, which is used as it is."""
    loc = data.get("location")
    now = utcnow()
    location_at, reported = _fix_time(loc, now) if loc else (None, None)
    values = dict(
        id=new_id(), user_id=user.id, client_id=data["client_id"], trigger=data["trigger"],
        battery_pct=data.get("battery_pct"), note=data.get("note"),
        lat=loc["lat"] if loc else None, lon=loc["lon"] if loc else None,
        accuracy_m=loc.get("accuracy_m") if loc else None,
        location_at=location_at, location_reported_at=reported, created_at=now,
        updated_at=now,
    )
    # The insert is the check: the unique constraints refuse a retry of this client_id and a
    # second live alert of hers, and only then is her existing alert read (a new alert, the
    # common case, costs no read before its INSERT).
    for _race in range(3):
        alert = _insert(values)
        if alert is not None:
            break
        existing = _existing(user.id, data["client_id"])
        if existing is not None:
            _repeat(existing, loc, data["client_id"])
            return existing, False
        # Another panic took the number picked, meanwhile: the next INSERT picks again.
    else:
        alert = _insert(values, number=False)  # three races lost: no number
        if alert is None:
            existing = _existing(user.id, data["client_id"])
            if existing is None:
                raise RuntimeError("an alert insert was refused by no known constraint")
            _repeat(existing, loc, data["client_id"])
            return existing, False
    if loc:
        _store_points(alert, [loc], now)
    with db.session.no_autoflush:  # what it causes is inserted at the end, a few statements
        _fan_out(alert)
    db.session.flush()
    return alert, True


def _fix_time(loc: dict, received_at: datetime) -> tuple[datetime, str | None]:
    """When a location was taken: the server's own `known_at`, or the phone's time if it is
    believed (util.phone_time)."""
    if loc.get("known_at") is not None:
        return loc["known_at"], None
    return phone_time(loc.get("recorded_at"), received_at)


NUMBERS = 999  # an alert's short number, 1 to 999 (the Contact ID zone a station sees)
NUMBER_REST = timedelta(hours=6)  # a number is not given again this soon after its alert ended


def free_number(dialect: str, numbers: int, resting_since):
    """A short number (1 to `numbers`) staff can say and a monitoring station sees as the
    zone, chosen by the database inside the alert's INSERT: one that no live alert holds, and
    among those, while there are such, one that no alert ended in the last NUMBER_REST either;
    at random (so that panics at the same moment rarely want the same one; when they do, the
    unique index decides and the loser's INSERT picks again). With all of them held by live
    alerts, NULL: a panic never fails for want of a number. (It was a read of every number
    held, up to 999 rows, and a choice in Python: now no row leaves the database.)"""
    if dialect == "postgresql":
        candidates = select(func.generate_series(1, numbers).column_valued("n")).subquery()
    else:
        seed = select(literal(1).label("n")).cte("numbers", recursive=True)
        candidates = seed.union_all(select(seed.c.n + 1).where(seed.c.n < numbers))
    n = candidates.c.n
    live = select(Alert.number).where(Alert.number.is_not(None), Alert.status.in_(LIVE))
    resting = select(Alert.number).where(
        Alert.number.is_not(None), Alert.status.in_(("canceled", "resolved")),
        Alert.ended_at > resting_since)
    return (select(n).where(n.not_in(live)).order_by(n.in_(resting), func.random())
            .limit(1).scalar_subquery())


def _repeat(alert: Alert, loc: dict | None, client_id: uuid.UUID) -> None:
    if alert.live:
        if loc:
            _store_points(alert, [loc], utcnow())
        if alert.shown_canceled_at is not None and alert.duress and \
                client_id != alert.client_id:
            # She pressed panic again after a duress cancel: show her the live alert again.
            # (A network retry of the first press is not a new press: it stays hidden.)
            alert.shown_canceled_at = None
            alert.silent = False
        db.session.flush()


def raise_silent_duress(user: User, client_id: uuid.UUID, location: dict,
                        note: str | None = None) -> Alert:
    """An alert her phone never shows (a duress PIN at a timer check-in): guardians and
    responders get it, marked duress."""
    alert, created = raise_alert(user, {"client_id": client_id, "trigger": "timer",
                                        "location": location, "note": note})
    if alert.live and not alert.duress:
        alert.duress = True
        alert.silent = created or alert.silent
        if alert.shown_canceled_at is None:
            _hide_from_owner(alert, utcnow())
        _tell_duress(alert)
        db.session.flush()
    return alert


def _fan_out(alert: Alert) -> None:
    """Everything a new alert causes, in this transaction: her guardians' pushes, SMS to her
    other contacts, the escalation timer; then `events.raised`, whose receivers add theirs
    (dispatch's offers)."""
    owner = alert.owner
    data = {"alert_id": alert.id, "trigger": alert.trigger, "lat": alert.lat, "lon": alert.lon,
            "duress": "0"}
    notify.push_to_users(
        contacts.guardians(owner.id), "alert", _l("%(name)s needs help", name=owner.full_name),
        _l("She pressed the panic button at %(time)s. Tap to see where she is.",
           time=LocalTime(alert.created_at)), data, alert_id=alert.id,
    )
    if notify.sms_enabled():
        _sms_contacts(alert, owner)
    escalate_at = utcnow() + timedelta(seconds=current_app.config["ESCALATE_AFTER_S"])
    outbox.enqueue("alert_escalate", "timer", {"round": 1}, alert_id=alert.id,
                   due_at=escalate_at, dedupe_key=f"escalate:{alert.id}:1")
    send(events.raised, alert=alert)


# SMS to her contacts about her alert that count towards the SMS limits (docs/security.md, "SMS
# as a weapon"): the panic's, and the warnings that her phone is going dark (safety/heartbeats).
CONTACT_SMS_KINDS = ("alert_sms", "phone_low_sms", "phone_dark_sms")


def _sms_contacts(alert: Alert, owner: User) -> None:
    sms_contacts(alert, "alert_sms", lambda name, link: _l(
        "%(name)s pressed her panic button at %(time)s and may be in danger. "
        "Her live location: %(link)s . If you cannot reach her, call 102.",
        name=name, time=LocalTime(alert.created_at), link=link))


def sms_contacts(alert: Alert, kind: str, text: Callable[[str, str], Text]) -> int:
    """An SMS `text(her name, a new tracking link)` to each contact without the app, in that
    contact's own language and time zone (`contacts.readers`), within the
    limits: SMS_PER_ALERT_MAX for this alert, SMS_PER_CONTACT_PER_DAY to each of her contacts
    (counted in the outbox over CONTACT_SMS_KINDS, per her and that number: nobody else's
    alerts use up her contacts' SMS). One over a limit is recorded as skipped; the caller goes
    on. Her name, which she typed, is made safe for an SMS first (no links, numbers or line
    breaks; cut short). Returns how many were enqueued."""
    owner = alert.owner
    sms_contacts = contacts.sms_contacts(owner.id)
    if not sms_contacts:
        return 0  # nobody to count for: no counting on the panic's path
    cfg = current_app.config
    name = sms_safe_name(owner.full_name, cfg["SMS_NAME_MAX_CHARS"])
    phone = OutboxJob.payload["phone"].as_string()
    today = dict(db.session.execute(
        select(phone, func.count()).join(Alert, Alert.id == OutboxJob.alert_id)
        .where(Alert.user_id == owner.id, OutboxJob.kind.in_(CONTACT_SMS_KINDS),
               OutboxJob.status != "skipped",
               OutboxJob.created_at > utcnow() - timedelta(days=1))
        .group_by(phone)
    ).all())
    for_alert = db.session.scalar(
        select(func.count()).where(OutboxJob.alert_id == alert.id,
                                   OutboxJob.kind.in_(CONTACT_SMS_KINDS),
                                   OutboxJob.status != "skipped"))
    sent = 0
    readers = contacts.readers(sms_contacts)  # each in their own language and zone
    for contact in sms_contacts:
        if for_alert >= cfg["SMS_PER_ALERT_MAX"]:
            notify.skip_sms(contact.phone, "SMS_PER_ALERT_MAX", kind, alert_id=alert.id)
            continue
        if today.get(contact.phone, 0) >= cfg["SMS_PER_CONTACT_PER_DAY"]:
            notify.skip_sms(contact.phone, "SMS_PER_CONTACT_PER_DAY", kind, alert_id=alert.id)
            continue
        link = create_tracking_link(alert, contact.id)
        locale, tz = readers[contact.id]
        notify.send_sms(contact.phone, text(name, link), kind, alert_id=alert.id,
                        locale=locale, tz=tz)
        for_alert += 1
        today[contact.phone] = today.get(contact.phone, 0) + 1
        sent += 1
    return sent


# -- locations ---------------------------------------------------------------------------------


def _point_times(points: list[dict], received_at: datetime) -> list[tuple[datetime, str | None]]:
    """(recorded_at, the phone's text when not believed) per point. Points whose phone time is
    not believed get the receive time, a microsecond apart in the order sent, so that none of
    them is taken for a repeat of another."""
    times = [_fix_time(p, received_at) for p in points]
    adjusted = sum(1 for _, reported in times if reported is not None)
    k = 0
    for i, (at, reported) in enumerate(times):
        if reported is not None:
            times[i] = (at - timedelta(microseconds=adjusted - 1 - k), reported)
            k += 1
    return times


def _store_points(alert: Alert, points: list[dict], received_at: datetime) -> int:
    """Insert points, ignoring ones already stored (same recorded_at): retries are harmless.
    Returns how many were new. The alert's location follows the newest recorded point.
    A phone clock that is not believed (util.phone_time) gives the receive time instead."""
    rows = []
    for p, (at, reported) in zip(points, _point_times(points, received_at), strict=True):
        rows.append({
            "alert_id": alert.id, "lat": p["lat"], "lon": p["lon"],
            "accuracy_m": p.get("accuracy_m"), "altitude_m": p.get("altitude_m"),
            "heading_deg": p.get("heading_deg"), "speed_mps": p.get("speed_mps"),
            "recorded_at": at, "reported_recorded_at": reported, "received_at": received_at,
        })
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = AlertLocation.__table__
    stmt = (insert(table).on_conflict_do_nothing(index_elements=["alert_id", "recorded_at"])
            .returning(table.c.id))  # rowcount of an executemany is -1 on psycopg
    # Bind the column types (UTCDateTime) by executing through the ORM session's connection.
    stored = len(db.session.execute(stmt, rows).all()) if rows else 0
    newest = max(rows, key=lambda r: r["recorded_at"]) if rows else None
    if newest and (alert.location_at is None or newest["recorded_at"] >= alert.location_at):
        alert.lat, alert.lon = newest["lat"], newest["lon"]
        alert.accuracy_m = newest["accuracy_m"]
        alert.location_at = newest["recorded_at"]
        alert.location_reported_at = newest["reported_recorded_at"]
    alert.updated_at = received_at
    return stored


def trail_closed() -> Conflict:
    """The one answer to her points once her alert has ended on her screen."""
    return Conflict(_l("This alert has ended; its trail is closed."))


@dataclass
class LocationBatch:
    received: int
    stored: int  # new points (repeats are ignored)


def add_locations(user: User, alert_id: uuid.UUID, points: list[dict]) -> LocationBatch | None:
    """Her phone's points. None when the alert is canceled on her screen but live behind it (a
    duress cancel): the points are kept for guardians and responders, and the caller commits,
    then answers `trail_closed()`, exactly as after a real cancel."""
    alert = _owned(user, alert_id)
    if not alert.live:
        raise trail_closed()
    stored = _store_points(alert, points, utcnow())
    db.session.flush()
    if alert.shown_canceled_at is not None:
        return None
    return LocationBatch(received=len(points), stored=stored)


def add_point(alert: Alert, point: dict, received_at: datetime) -> int:
    """One point of her phone (a heartbeat's location) on a live alert's trail, by the rules of
    `add_locations` (a phone time not believed gives the receive time; a repeat is ignored),
    after a duress cancel too. Returns 1 when it was new."""
    stored = _store_points(alert, [point], received_at)
    db.session.flush()
    return stored


# -- cancel, acknowledge, end ------------------------------------------------------------------


def _owned(user: User, alert_id: uuid.UUID) -> Alert:
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.user_id != user.id:
        raise NotFound(NO_ALERT)
    return alert


NO_ALERT = _l("No such alert.")
ENDED = {
    "canceled": _l("This alert has already ended: it was canceled."),
    "resolved": _l("This alert has already ended: it was resolved."),
}


def already_ended(alert: Alert) -> Conflict:
    return Conflict(ENDED.get(alert.status, _l("This alert has already ended.")))


@dataclass
class CancelOutcome:
    alert: Alert
    refusal: PinRefusal | None = None


def cancel(user: User, alert_id: uuid.UUID, pin: str) -> CancelOutcome:
    alert = _owned(user, alert_id)
    # Serialise cancels of one alert (a wrong-PIN count must not be lost to a race).
    db.session.execute(select(Alert.id).where(Alert.id == alert.id).with_for_update())
    db.session.refresh(alert)
    if alert.shown_canceled_at is None:
        if not alert.live:
            raise already_ended(alert)
        if user.pin_hash is None:
            raise Invalid("pin", _l("Set a PIN (PUT /api/v1/me/pin) to be able to cancel "
                                    "alerts."))
    kind = try_pin(user, pin, alert, "cancel")  # argon2 runs with the row let go: read afresh
    if isinstance(kind, PinRefusal):
        db.session.flush()
        return CancelOutcome(alert, kind)
    if alert.shown_canceled_at is not None:
        # Already canceled (for real or under duress): the same answer again.
        return CancelOutcome(alert)
    if not alert.live:
        raise already_ended(alert)
    now = utcnow()
    _hide_from_owner(alert, now)
    if kind == "duress":
        alert.duress = True
        alert.updated_at = now
        _tell_duress(alert)
    else:
        end(alert, "canceled")
    db.session.flush()
    return CancelOutcome(alert)


def _hide_from_owner(alert: Alert, at: datetime) -> None:
    """From now on her own view shows the alert canceled at `at`, frozen as it was then."""
    alert.shown_canceled_at = at
    alert.shown_lat, alert.shown_lon = alert.lat, alert.lon
    alert.shown_accuracy_m = alert.accuracy_m
    alert.shown_location_at = alert.location_at
    alert.shown_location_reported_at = alert.location_reported_at


def _tell_duress(alert: Alert) -> None:
    owner = alert.owner
    data = {"alert_id": alert.id, "lat": alert.lat, "lon": alert.lon, "duress": "1"}
    title = _l("DURESS: %(name)s was forced to cancel", name=owner.full_name)
    body = _l("Her alert was canceled with her duress PIN. She is still in danger.")
    notify.push_to_users(
        without_owner(alert, contacts.guardian_ids(owner.id) + staff().responder_ids(alert)),
        "alert_duress", title, body, data, alert_id=alert.id,
    )
    send(events.duress, alert=alert)


def end(alert: Alert, status: str, at: datetime | None = None) -> None:
    """Close a live alert (canceled or resolved): stop its timers, tell the guardians,
    and let tracking links expire after the grace period."""
    now = at or utcnow()
    previous = alert.status
    alert.status = status
    alert.ended_at = now
    alert.updated_at = now
    if status == "canceled" and alert.shown_canceled_at is None:
        _hide_from_owner(alert, now)
    outbox.cancel_pending(alert.id, ("alert_escalate",))
    grace = timedelta(seconds=current_app.config["TRACKING_GRACE_S"])
    for link in db.session.scalars(select(TrackingLink).where(TrackingLink.alert_id == alert.id)):
        link.expires_at = now + grace
    send(events.status_changed, alert=alert, previous=previous)
    send(events.ended, alert=alert)
    owner = alert.owner
    title = (_l("%(name)s canceled her alert: she is safe", name=owner.full_name)
             if status == "canceled" else
             _l("%(name)s is safe: the alert is resolved", name=owner.full_name))
    notify.push_to_users(
        contacts.guardian_ids(owner.id), f"alert_{status}", title,
        _l("No action is needed any more."), {"alert_id": alert.id, "status": status},
        alert_id=alert.id,
    )


def acknowledge(user: User, alert_id: uuid.UUID, message: str | None) -> AlertAck:
    alert = db.session.get(Alert, alert_id)
    if alert is None or not contacts.is_guardian(user, alert.user_id):
        raise NotFound(NO_ALERT)
    ack = db.session.get(AlertAck, (alert.id, user.id))
    if ack is None:
        ack = AlertAck(alert_id=alert.id, guardian_id=user.id)
        db.session.add(ack)
    ack.message = message
    ack.created_at = utcnow()
    if alert.live and alert.shown_canceled_at is None:
        notify.push_to_users(
            [alert.user_id], "alert_ack", _l("%(name)s saw your alert", name=user.full_name),
            message or _l("Help is on the way."), {"alert_id": alert.id}, alert_id=alert.id,
        )
    db.session.flush()
    return ack


# -- what dispatch asks of an alert ------------------------------------------------------------


def mark_dispatched(alert: Alert, at: datetime) -> None:
    """A responder accepted: dispatched, and no longer flagged unassigned."""
    alert.unassigned = False
    _set_status(alert, "dispatched", at)
    send(events.dispatched, alert=alert)


def mark_responding(alert: Alert, at: datetime) -> None:
    """The responder is on the way or on scene."""
    _set_status(alert, "responding", at)


def back_to_active(alert: Alert, at: datetime) -> None:
    """The responder cannot come: live again, waiting for the next one."""
    _set_status(alert, "active", at)


def flag_unassigned(alert: Alert) -> bool:
    """Nobody could be dispatched. True when that is news (it was not flagged already); then
    `events.unassigned` tells the rest."""
    if alert.unassigned:
        return False
    alert.unassigned = True
    send(events.unassigned, alert=alert)
    return True


def _set_status(alert: Alert, status: str, at: datetime) -> None:
    previous = alert.status
    alert.status = status
    alert.updated_at = at
    if status != previous:
        send(events.status_changed, alert=alert, previous=previous)
