"""Small shared pieces: UTC time (the app's clock), phone times, a timezone-safe DateTime type.
Keyset pagination is in safety/pagination.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

CLOCK = "safety_clock"  # app.extensions key


class Clock:
    """An app's idea of "now": real UTC time plus an offset that tests move forward (escalation,
    expiry, retention on a controllable clock). The app factory puts one in
    `app.extensions["safety_clock"]`; nothing outside the tests moves it."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        return (self.frozen or datetime.now(UTC)) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def freeze(self) -> None:
        """Stop real time from passing: only `advance` moves "now" (tests of timing that a
        loaded machine's slowness must not shift)."""
        self.frozen = datetime.now(UTC)

    def reset(self) -> None:
        self.offset = timedelta()
        self.frozen = None


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
