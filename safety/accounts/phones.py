"""Proving a phone number: one-time codes sent by SMS.

A code is 6 random digits (`secrets`). Only HMAC-SHA256(SECRET_KEY, purpose|phone|account|code)
is stored, so a copy of the database does not give live codes away (and 10^6 guesses offline
need the key). A code lives PHONE_CODE_TTL_S, allows PHONE_CODE_MAX_TRIES tries (then it is
dead), and is used once; asking for a new one ends the previous one. Codes per number are
limited in the database (so the limit holds across processes and client addresses): at most
PHONE_CODES_PER_NUMBER_15MIN in any 15 minutes and PHONE_CODES_PER_NUMBER_DAY in any 24 hours;
codes asked by one account (change of number) at most PHONE_CODES_PER_ACCOUNT_DAY a day.

Whether the number has an account never changes the answer nor the SMS: the same code goes out
either way. That an account holds the number is told only to someone who then proves, with
the code, that they hold the number.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, text, update

from safety.accounts.models import PhoneCode, User
from safety.errors import Invalid, TooMany
from safety.extensions import db
from safety.i18n import _l, _n, render
from safety.notify import outbox
from safety.util import utcnow

PURPOSES = ("register", "change_phone", "verify")
REDACTED = "Safety code: ****** (removed from our records once sent)."
KEEP_ROWS = timedelta(days=2)  # longer than the widest limit window


@dataclass
class CodeSent:
    phone: str
    purpose: str
    expires_in_s: int


def wrong_code() -> Invalid:
    return Invalid("code", _l("The code is wrong or has expired. Ask for a new code if you "
                              "tried it several times."))


def _digest(phone: str, purpose: str, user_id: uuid.UUID | None, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}|{phone}|{user_id or ''}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _serialise(phone: str) -> None:
    """One code request per number at a time, so concurrent requests cannot both pass the
    limit. SQLite's BEGIN IMMEDIATE already serialises every writer."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                           {"key": f"phone-code:{phone}"})


def _limit(where, span: timedelta, limit: int, now: datetime, detail) -> None:
    recent = list(db.session.scalars(
        select(PhoneCode.created_at).where(where, PhoneCode.created_at > now - span)
        .order_by(PhoneCode.created_at.desc()).limit(limit)
    ))
    if limit <= 0 or len(recent) >= limit:
        # the oldest of the last `limit` codes leaves the window first
        free_at = (recent[-1] + span) if recent else now + span
        wait = max(1, math.ceil((free_at - now).total_seconds()))
        raise TooMany(detail, headers={"Retry-After": str(wait)})


def _throttle(phone: str, user_id: uuid.UUID | None, now: datetime) -> None:
    cfg = current_app.config
    number = _l("Too many codes were asked for this number. Try again later.")
    _limit(PhoneCode.phone == phone, timedelta(minutes=15),
           cfg["PHONE_CODES_PER_NUMBER_15MIN"], now, number)
    _limit(PhoneCode.phone == phone, timedelta(days=1), cfg["PHONE_CODES_PER_NUMBER_DAY"], now,
           number)
    if user_id is not None:
        _limit(PhoneCode.user_id == user_id, timedelta(days=1),
               cfg["PHONE_CODES_PER_ACCOUNT_DAY"], now,
               _l("Too many codes were asked for from this account today. Try again later."))


def _owner(user_id: uuid.UUID | None):
    return PhoneCode.user_id.is_(None) if user_id is None else PhoneCode.user_id == user_id


def request_code(phone: str, purpose: str, user: User | None = None,
                 locale: str | None = None) -> CodeSent:
    """A new code for `phone`, sent by SMS through the outbox (in this transaction), written in
    `locale` (the request's: never the language of an account that holds the number, which
    would tell whoever asked that it has one)."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    user_id = user.id if user is not None else None
    now = utcnow()
    _serialise(phone)
    db.session.execute(delete(PhoneCode).where(PhoneCode.created_at < now - KEEP_ROWS))
    _throttle(phone, user_id, now)
    ended = list(db.session.scalars(
        select(PhoneCode.id).where(PhoneCode.phone == phone, PhoneCode.purpose == purpose,
                                   _owner(user_id), PhoneCode.used_at.is_(None),
                                   PhoneCode.expires_at > now)
    ))
    if ended:
        db.session.execute(update(PhoneCode).where(PhoneCode.id.in_(ended))
                           .values(expires_at=now).execution_options(synchronize_session=False))
        outbox.cancel_secret_jobs([f"phone-code:{i}" for i in ended])
    ttl = current_app.config["PHONE_CODE_TTL_S"]
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneCode(phone=phone, purpose=purpose, user_id=user_id,
                    code_hash=_digest(phone, purpose, user_id, code), created_at=now,
                    expires_at=now + timedelta(seconds=ttl))
    db.session.add(row)
    db.session.flush()
    minutes = max(1, ttl // 60)
    text = _n("Safety code: %(code)s. It expires in %(num)d minute. Never tell it to anyone: "
              "nobody from Safety will ever ask you for it.",
              "Safety code: %(code)s. It expires in %(num)d minutes. Never tell it to anyone: "
              "nobody from Safety will ever ask you for it.", minutes, code=code)
    outbox.enqueue(
        "phone_code", "sms",
        {"phone": phone, "text": render(text, locale),
         "redacted": REDACTED, "not_after": row.expires_at.isoformat()},
        recipient=phone, dedupe_key=f"phone-code:{row.id}",
    )
    return CodeSent(phone=phone, purpose=purpose, expires_in_s=ttl)


def redeem(phone: str, purpose: str, code: str, user_id: uuid.UUID | None = None) -> bool:
    """True when `code` is the live code for (phone, purpose, account); it is then used up.
    Every try counts, right or wrong: the caller must commit even when this says False."""
    now = utcnow()
    tries = current_app.config["PHONE_CODE_MAX_TRIES"]
    row = db.session.scalar(
        select(PhoneCode).where(
            PhoneCode.phone == phone, PhoneCode.purpose == purpose, _owner(user_id),
            PhoneCode.used_at.is_(None), PhoneCode.expires_at > now, PhoneCode.attempts < tries,
        ).order_by(PhoneCode.created_at.desc()).limit(1)
    )
    if row is None:
        return False
    # count the try in one conditional UPDATE: concurrent tries cannot exceed the limit
    live = (PhoneCode.id == row.id) & PhoneCode.used_at.is_(None)
    counted = db.session.execute(
        update(PhoneCode).where(live, PhoneCode.attempts < tries)
        .values(attempts=PhoneCode.attempts + 1).execution_options(synchronize_session=False)
    ).rowcount
    if counted != 1 or not hmac.compare_digest(row.code_hash,
                                               _digest(phone, purpose, user_id, code)):
        return False
    return db.session.execute(
        update(PhoneCode).where(live).values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
