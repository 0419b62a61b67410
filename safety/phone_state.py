"""Her phone's state while something watches over her: what it last reported (battery,
charging, when) during a running safety timer or a live alert, and the "her phone is going
dark" warnings it caused. Alerts and safety timers both carry these columns
(`PhoneStateColumns`); `safety.heartbeats` writes them, and the views show them to her
guardians (`report` and `PhoneStateSchema`), never to her.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marshmallow import Schema, fields
from sqlalchemy import Boolean, Integer, SmallInteger, text
from sqlalchemy.orm import Mapped, mapped_column

from safety.util import UTCDateTime, utcnow


class PhoneStateColumns:
    """Columns of a row her phone reports to (an alert, a safety timer)."""

    # what the last heartbeat said, and when it was received (the server's clock)
    phone_battery_pct: Mapped[int | None] = mapped_column(SmallInteger)
    phone_charging: Mapped[bool | None] = mapped_column(Boolean)
    phone_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A warning that is out, until it re-arms: the battery back at the low level plus the
    # hysteresis; heartbeats coming again.
    phone_low_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    phone_dark_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the first warning of any kind about this row (her guardians may read a timer from then on)
    phone_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the silence check: how many were scheduled (the current one's number), and when the
    # pending one is due (None: none pending)
    phone_checks: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    phone_check_due: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass
class PhoneReport:
    """Her phone as her guardians (and staff on her alert) see it (PhoneStateSchema)."""

    battery_pct: int | None
    charging: bool | None
    last_heartbeat_at: datetime
    heartbeat_age_s: int
    battery_low: bool
    silent: bool


def report(row: PhoneStateColumns) -> PhoneReport | None:
    """What her phone last reported to `row`; None when it never reported a heartbeat."""
    if row.phone_seen_at is None:
        return None
    return PhoneReport(
        battery_pct=row.phone_battery_pct, charging=row.phone_charging,
        last_heartbeat_at=row.phone_seen_at,
        heartbeat_age_s=max(0, int((utcnow() - row.phone_seen_at).total_seconds())),
        battery_low=row.phone_low_warned_at is not None,
        silent=row.phone_dark_warned_at is not None,
    )


class PhoneStateSchema(Schema):
    """Dumps a `PhoneReport`."""

    battery_pct = fields.Integer(allow_none=True, metadata={
        "description": "Battery level in the last heartbeat, 0 to 100."})
    charging = fields.Boolean(allow_none=True)
    last_heartbeat_at = fields.AwareDateTime(metadata={
        "description": "When the server received her phone's last heartbeat."})
    heartbeat_age_s = fields.Integer(metadata={
        "description": "Seconds since then, when this answer was made."})
    battery_low = fields.Boolean(metadata={
        "description": "A low-battery warning went out and the battery has not recovered."})
    silent = fields.Boolean(metadata={
        "description": "A warning that her phone stopped reporting went out, and it has not "
                       "reported since."})
