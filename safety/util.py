"""Small shared pieces: UTC time, a timezone-safe DateTime type, keyset pagination."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import DateTime, Select, and_, or_
from sqlalchemy.types import TypeDecorator

from safety.errors import Invalid

CLOCK = "safety_clock"  # app.extensions key


class Clock:
    """An app's idea of "now": real UTC time plus an offset that tests move forward (escalation,
    expiry, retention on a controllable clock). The app factory puts one in
    `app.extensions["safety_clock"]`; nothing outside the tests moves it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        self.offset = timedelta()


def utcnow() -> datetime:
    """Now, by the current app's clock; real time outside an app context. Everything that asks
    "what time is it" for a rule goes through here."""
    if has_app_context():
        clock = current_app.extensions.get(CLOCK)
        if clock is not None:
            return clock.now()
    return datetime.now(UTC)


def phone_time(reported, received_at: datetime) -> tuple[datetime, str | None]:
    """Whether to believe a time from her phone's clock (a fields.ReportedTime, or None).

    Returns (the time to store, the phone's text when it was not believed). A phone's time is
    believed when it lies within [received_at - PHONE_CLOCK_BEHIND_S, received_at +
    PHONE_CLOCK_AHEAD_S]; otherwise (a dead clock in 1970, a year-9999 clock, a day that does
    not exist) the server's receive time stands in for it."""
    if reported is None:
        return received_at, None
    cfg = current_app.config
    at = reported.at
    if at is None or at > received_at + timedelta(seconds=cfg["PHONE_CLOCK_AHEAD_S"]) \
            or at < received_at - timedelta(seconds=cfg["PHONE_CLOCK_BEHIND_S"]):
        return received_at, reported.raw
    return at, None


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (no time zones) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


CURSOR_PATTERN = r"^[A-Za-z0-9_.-]{1,300}$"


def _cursor_signer():
    from itsdangerous import URLSafeSerializer  # noqa: PLC0415

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="page-cursor")


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque, signed cursor: a client can hand back only what this server gave out."""
    return _cursor_signer().dumps(
        [v.isoformat() if isinstance(v, datetime) else str(v) for v in values])


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """(created_at in UTC, id) from a cursor; anything else (garbled, forged, from another
    server) is a 422, never a 500."""
    from itsdangerous import BadData  # noqa: PLC0415

    try:
        values = _cursor_signer().loads(cursor)
        if not isinstance(values, list) or len(values) != 2 or \
                not all(isinstance(v, str) for v in values):
            raise ValueError
        at = datetime.fromisoformat(values[0])
        if at.tzinfo is None:
            raise ValueError
        return at.astimezone(UTC), uuid.UUID(values[1])
    except (BadData, ValueError, TypeError, OverflowError) as exc:
        raise Invalid("cursor", "Not a cursor this server gave out.") from exc


def paginate(session, stmt: Select, created_col, id_col, limit: int, cursor: str | None) -> dict:
    """Newest first keyset pagination on (created_at, id)."""
    if cursor:
        at, ident = decode_cursor(cursor)
        stmt = stmt.where(or_(created_col < at, and_(created_col == at, id_col < ident)))
    rows = list(session.scalars(stmt.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            [getattr(last, created_col.key), getattr(last, id_col.key)]
        )
    return {"items": rows, "next_cursor": next_cursor}
