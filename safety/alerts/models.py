from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safety.accounts.models import User
from safety.extensions import db
from safety.phone_state import PhoneStateColumns
from safety.util import UTCDateTime, new_id, utcnow

LIVE = ("active", "dispatched", "responding")
LIVE_SQL = "status IN ('active', 'dispatched', 'responding')"


class Alert(PhoneStateColumns, db.Model):
    """A panic. `status` is the truth responders see. After a duress cancel the owner's view
    says canceled (`shown_canceled_at`) while the alert stays live, flagged `duress`. Her
    phone's heartbeats during the alert: `PhoneStateColumns` (safety/phone_state.py)."""

    __tablename__ = "alerts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column()
    trigger: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="active")
    duress: Mapped[bool] = mapped_column(Boolean, default=False)
    unassigned: Mapped[bool] = mapped_column(Boolean, default=False)
    # raised by a duress check-in of a safety timer: never shown on her own phone
    silent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    battery_pct: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # None: raised without any known location (an SOS by SMS from someone never located)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the phone's own text for location_at when its clock was not believed (util.phone_time)
    location_reported_at: Mapped[str | None] = mapped_column(String(64))
    shown_location_reported_at: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shown_canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where she was when it was canceled on her screen: her own view keeps showing this
    # (exactly as after a real cancel) while responders follow her on.
    shown_lat: Mapped[float | None] = mapped_column(Float)
    shown_lon: Mapped[float | None] = mapped_column(Float)
    shown_accuracy_m: Mapped[float | None] = mapped_column(Float)
    shown_location_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a short number (1-999) for staff and monitoring stations, unique among live alerts
    number: Mapped[int | None] = mapped_column(Integer)
    cancel_failures: Mapped[int] = mapped_column(Integer, default=0)
    cancel_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("user_id", "client_id", name="uq_alerts_user_client"),
        # One live alert per person, enforced by the database, not by luck.
        Index("uq_alerts_one_live", "user_id", unique=True,
              postgresql_where=text(LIVE_SQL), sqlite_where=text(LIVE_SQL)),
        Index("uq_alerts_live_number", "number", unique=True,
              postgresql_where=text(LIVE_SQL), sqlite_where=text(LIVE_SQL)),
        Index("ix_alerts_status_ended", "status", "ended_at"),
        Index("ix_alerts_user_created", "user_id", "created_at"),
    )

    @property
    def live(self) -> bool:
        return self.status in LIVE


def without_owner(alert: Alert, user_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Staff pushes about an alert (duress, escalation, unassigned, missed) never reach its
    owner's phone, even when she is an admin herself: after a duress cancel they would tell."""
    return [uid for uid in user_ids if uid != alert.user_id]


class AlertLocation(db.Model):
    __tablename__ = "alert_locations"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the phone's own text for recorded_at when its clock was not believed (util.phone_time)
    reported_recorded_at: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("alert_id", "recorded_at", name="uq_alert_locations_alert_recorded"),
    )

    @property
    def clock_adjusted(self) -> bool:
        return self.reported_recorded_at is not None


class AlertAck(db.Model):
    __tablename__ = "alert_acks"

    alert_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    guardian_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    message: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    guardian: Mapped[User] = relationship(lazy="joined")


class TrackingLink(db.Model):
    """The SMS link /t/<token> for a contact without the app. Only the token's hash is kept."""

    __tablename__ = "tracking_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # set when the contact is removed or gets another number: the link is dead at once
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_tracking_links_alert_id", "alert_id"),
        Index("ix_tracking_links_contact_id", "contact_id"),
    )
