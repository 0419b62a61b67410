"""What a text from her phone does. The provider's HTTP answer is the same whatever happens
here (nothing in it says whether the number has an account); she gets the answer by SMS.

- Only a **verified** number (users.phone_verified_at) counts: a message from any other number
  does nothing, is not stored and gets no reply, so neither a stranger nor someone with her old
  SIM learns whether the number has an account.
- A sender's number can be spoofed. So everything but SOS needs her PIN, through the same PIN
  gates (and wrong-PIN counts) as the API; a duress PIN answers exactly like her PIN and raises
  the silent duress alert, as at the API. A spoofed SOS raises an alert: a false alarm her
  guardians can call her about, as a pressed button would be.
- Every message is handled once: the provider's message id is stored with what it did, and a
  redelivery finds it and does nothing again (no second alert, no second reply). Neither the
  text (it may hold her PIN) nor her number is stored.
- SMS_INBOUND_PER_PHONE_MAX messages per SMS_INBOUND_PER_PHONE_WINDOW_S from one account are
  acted on; past that a message is stored as throttled and gets no reply, except an SOS, which
  still raises (or joins) her alert: a panic never fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from safety.accounts.models import User
from safety.accounts.service import PinRefusal, user_by_phone
from safety.alerts import commands as alerts
from safety.alerts.models import LIVE, Alert, without_owner
from safety.contacts import service as contacts
from safety.errors import Conflict, Invalid
from safety.extensions import db
from safety.fields import normalize_phone
from safety.i18n import LocalTime, Minutes, _l, _n, n_
from safety.inbound_sms import parsing
from safety.inbound_sms.locations import last_known
from safety.inbound_sms.models import InboundSms
from safety.inbound_sms.providers import Inbound
from safety.notify import service as notify
from safety.timers import service as timers
from safety.timers.schemas import ExtendSchema
from safety.util import utcnow

# The alert an SOS raises has a client_id made from the provider's message id: a retry of the
# same message after a failure finds the same alert.
SOS_NAMESPACE = uuid.UUID("6f0a9d6e-2f43-4c55-9d59-3b1f7f0e5a10")


class AlreadyHandled(Exception):
    """Another delivery of the same message was handled first: roll back, answer the same."""


@dataclass
class Reply:
    outcome: str  # what is stored: the same for her PIN and her duress PIN
    text: object | None  # a lazy `_l` text, rendered in her locale; None: no reply


class Age:
    """How long ago, in minutes below two hours and in hours above (rendered per reader)."""

    def __init__(self, since: datetime, now: datetime) -> None:
        self.minutes = max(0.0, (now - since).total_seconds() / 60)

    def __str__(self) -> str:
        if self.minutes < 120:
            return str(Minutes(self.minutes))
        hours = round(self.minutes / 60)
        return n_("%(num)d hour", "%(num)d hours", hours)


def receive(inbound: Inbound) -> None:
    """Handle one message (the caller commits). Raises AlreadyHandled for a message another
    delivery stored meanwhile."""
    if _stored(inbound):
        return  # a redelivery: done already, nothing again
    user = _verified_holder(inbound.sender)
    if user is None:
        return  # nothing stored, nothing sent: no account oracle
    cfg = current_app.config
    command = parsing.parse(
        inbound.text, parsing.words(cfg["SMS_SOS_WORDS"]),
        parsing.words(cfg["SMS_CHECKIN_WORDS"]), parsing.words(cfg["SMS_CANCEL_WORDS"]))
    throttled = _over_limit(user)
    if throttled:
        reply = Reply("throttled", None)
        if command.kind == parsing.SOS:
            _sos(user, command, inbound, tell=False)  # a panic never fails
    else:
        reply = _act(user, command, inbound)
    _store(inbound, user, command.kind, reply.outcome)
    if reply.text is not None and notify.sms_enabled():
        notify.send_sms(user.phone, reply.text, "sms_reply", locale=user.locale,
                        tz=user.time_zone)


def _stored(inbound: Inbound) -> bool:
    return db.session.scalar(select(InboundSms.id).where(
        InboundSms.provider == inbound.provider,
        InboundSms.message_id == inbound.message_id)) is not None


def _verified_holder(sender: str) -> User | None:
    try:
        phone = normalize_phone(sender)
    except ValueError:
        return None  # a short code, an alphanumeric sender: no account has that
    user = user_by_phone(phone)
    if user is None or user.phone_verified_at is None:
        return None
    return user


def _over_limit(user: User) -> bool:
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["SMS_INBOUND_PER_PHONE_WINDOW_S"])
    count = db.session.scalar(select(func.count()).where(
        InboundSms.user_id == user.id, InboundSms.received_at > since))
    return count >= cfg["SMS_INBOUND_PER_PHONE_MAX"]


def _store(inbound: Inbound, user: User, command: str, outcome: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(InboundSms(
                provider=inbound.provider, message_id=inbound.message_id, user_id=user.id,
                command=command, outcome=outcome, received_at=utcnow()))
            db.session.flush()
    except IntegrityError as exc:
        raise AlreadyHandled() from exc


def _act(user: User, command: parsing.Command, inbound: Inbound) -> Reply:
    if command.kind == parsing.SOS:
        return _sos(user, command, inbound, tell=True)
    if command.kind == parsing.CHECK_IN:
        return _check_in(user, command.pin)
    if command.kind == parsing.EXTEND:
        return _extend(user, command.minutes, command.pin)
    if command.kind == parsing.CANCEL:
        return _cancel(user, command.pin)
    return _help()


# -- SOS ---------------------------------------------------------------------------------------


def _sos(user: User, command: parsing.Command, inbound: Inbound, *, tell: bool) -> Reply:
    """Raise her alert (or join her live one) at her last known location, or with none. Her
    guardians are told by push how old that location is (`alert_by_sms`)."""
    live = db.session.scalar(select(Alert.id).where(Alert.user_id == user.id,
                                                    Alert.status.in_(LIVE)))
    known = None if live is not None else last_known(
        user.id, current_app.config["SMS_SOS_LOCATION_MAX_AGE_S"])
    client_id = uuid.uuid5(SOS_NAMESPACE, f"{inbound.provider}:{inbound.message_id}")
    alert, _created = alerts.raise_alert(user, {
        "client_id": client_id, "trigger": "sms", "note": command.note,
        "location": known.as_location() if known else None})
    if not tell:
        return Reply("alert", None)
    _tell_guardians(user, alert)
    if alert.location_at is None:
        return Reply("alert", _l(
            "Received. Your trusted contacts are being told. We do not know where you are: "
            "if you can, call 102."))
    return Reply("alert", _l(
        "Received. Your trusted contacts are being told, with your last known location "
        "(%(time)s).", time=LocalTime(alert.location_at)))


def _tell_guardians(user: User, alert: Alert) -> None:
    now = utcnow()
    title = _l("%(name)s sent SOS by SMS", name=user.full_name)
    if alert.location_at is None:
        body = _l("Her phone has no data and we do not know where she is. Call her; if you "
                  "cannot reach her, call 102.")
    else:
        body = _l("Her phone has no data. Her last known location is from %(time)s "
                  "(%(age)s ago).", time=LocalTime(alert.location_at),
                  age=Age(alert.location_at, now))
    data = {"alert_id": alert.id, "lat": alert.lat, "lon": alert.lon,
            "location_at": alert.location_at.isoformat() if alert.location_at else None,
            "duress": "1" if alert.duress else "0"}
    notify.push_to_users(without_owner(alert, contacts.guardian_ids(user.id)),
                         "alert_by_sms", title, body, data, alert_id=alert.id)


# -- the safety timer --------------------------------------------------------------------------


def _check_in(user: User, pin: str) -> Reply:
    timer = timers.running(user)
    if timer is None:
        return _no_timer()
    try:
        timer, refusal = timers.check_in(user, timer.id, pin)
    except Invalid:
        return _no_pin()
    except Conflict:
        return _no_timer()  # it ended meanwhile
    if refusal is not None:
        return _refused(refusal)
    return Reply("checked_in", _l("Checked in. Your timer is stopped."))


def _extend(user: User, minutes: int, pin: str) -> Reply:
    """`+N`: the deadline N minutes later, within the API's rules (ExtendSchema: a deadline a
    minute to 24 hours from now). Needs her PIN (see timers.service.extend_with_pin)."""
    timer = timers.running(user)
    if timer is None:
        return _no_timer()
    due = max(timer.due_at, utcnow()) + timedelta(minutes=minutes)
    try:
        data = ExtendSchema().load({"due_at": due.isoformat()})
    except ValidationError:
        return Reply("too_late", _l(
            "A timer runs at most 24 hours from now. Your timer still ends at %(time)s.",
            time=LocalTime(timer.due_at)))
    try:
        timer, refusal = timers.extend_with_pin(user, timer.id, data, pin)
    except Invalid as exc:
        if exc.errors and "pin" in exc.errors:
            return _no_pin()
        return Reply("extended", _l("Your timer now ends at %(time)s.",
                                    time=LocalTime(timer.due_at)))  # extended meanwhile
    except Conflict:
        return _no_timer()
    if refusal is not None:
        return _refused(refusal)
    return Reply("extended", _l("Your timer now ends at %(time)s.",
                                time=LocalTime(timer.due_at)))


def _no_timer() -> Reply:
    return Reply("no_timer", _l("You have no running timer."))


# -- cancel ------------------------------------------------------------------------------------


def _cancel(user: User, pin: str) -> Reply:
    """Her live alert as her own phone sees it: after a cancel, real or with the duress PIN,
    she has none (the same answer either way)."""
    alert = db.session.scalar(select(Alert).where(
        Alert.user_id == user.id, Alert.status.in_(LIVE), Alert.shown_canceled_at.is_(None)))
    if alert is None:
        return _no_alert()
    try:
        outcome = alerts.cancel(user, alert.id, pin)
    except Invalid:
        return _no_pin()
    except Conflict:
        return _no_alert()
    if outcome.refusal is not None:
        return _refused(outcome.refusal)
    return Reply("canceled", _l("Your alert is canceled."))


def _no_alert() -> Reply:
    return Reply("no_alert", _l("You have no live alert."))


# -- answers -----------------------------------------------------------------------------------


def _refused(refusal: PinRefusal) -> Reply:
    if refusal.locked_until is not None:
        return Reply("locked", _l("Too many wrong PINs. Try again after %(time)s.",
                                  time=LocalTime(refusal.locked_until)))
    return Reply("wrong_pin", _n("Wrong PIN. %(num)d try left.", "Wrong PIN. %(num)d tries left.",
                                 refusal.attempts_left))


def _no_pin() -> Reply:
    return Reply("no_pin", _l("Set a PIN in the app first."))


def _help() -> Reply:
    cfg = current_app.config

    def first(setting: str) -> str:
        return cfg[setting].split(",")[0].strip()

    return Reply("help", _l(
        "Commands: %(sos)s to ask for help; %(ok)s and your PIN to check in; +30 and your PIN "
        "for 30 more minutes; %(cancel)s and your PIN to cancel your alert.",
        sos=first("SMS_SOS_WORDS"), ok=first("SMS_CHECKIN_WORDS"),
        cancel=first("SMS_CANCEL_WORDS")))


# -- housekeeping ------------------------------------------------------------------------------


def purge(keep_days: int) -> int:
    """Forget handled messages older than `keep_days` (a redelivery comes within minutes)."""
    result = db.session.execute(delete(InboundSms).where(
        InboundSms.received_at < utcnow() - timedelta(days=keep_days)))
    return result.rowcount or 0
