"""Small shared pieces: UTC time, a timezone-safe DateTime type, keyset pagination."""

from __future__ import annotations

import base64
import json
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


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != 2:
            raise ValueError
        return values
    except (ValueError, TypeError) as exc:
        raise Invalid("cursor", "Not a cursor this server gave out.") from exc


def paginate(session, stmt: Select, created_col, id_col, limit: int, cursor: str | None) -> dict:
    """Newest first keyset pagination on (created_at, id)."""
    if cursor:
        at_raw, id_raw = decode_cursor(cursor)
        try:
            at = datetime.fromisoformat(at_raw)
            ident = uuid.UUID(id_raw)
        except ValueError as exc:
            raise Invalid("cursor", "Not a cursor this server gave out.") from exc
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
