from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safety import geo
from safety.accounts.models import User
from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow

HELD = ("accepted", "en_route", "on_scene")
OPEN = ("offering", "unassigned")


class ResponderState(db.Model):
    __tablename__ = "responder_states"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    location = mapped_column(geo.point_type(), nullable=True)
    location_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dispatch(db.Model):
    """One per alert. status: offering -> accepted -> en_route -> on_scene -> resolved;
    unassigned (nobody left to ask; a late accept still wins); unable (back to offering);
    canceled (the alert was canceled)."""

    __tablename__ = "dispatches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    alert_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(12), default="offering")
    round: Mapped[int] = mapped_column(Integer, default=0)
    radius_m: Mapped[float] = mapped_column(Float)
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    responder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    en_route_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    on_scene_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    # Where its responder is, while they hold it (POST /responder/dispatches/{id}/location;
    # safety/dispatch/coming.py): the latest fix only, forgotten when the dispatch ends.
    responder_lat: Mapped[float | None] = mapped_column(Float)
    responder_lon: Mapped[float | None] = mapped_column(Float)
    responder_accuracy_m: Mapped[float | None] = mapped_column(Float)
    responder_location_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the phone's own text for responder_location_at when its clock was not believed
    responder_location_reported_at: Mapped[str | None] = mapped_column(String(64))
    responder_location_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # when the organisation's admins were told its position went stale en route (once)
    position_stale_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    responder: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_dispatches_responder_status", "responder_id", "status"),
        Index("ix_dispatches_org_created", "org_id", "created_at"),
        Index("ix_dispatches_created", "created_at"),  # /metrics: the acceptance window
    )


class DispatchOffer(db.Model):
    __tablename__ = "dispatch_offers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    dispatch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispatches.id", ondelete="CASCADE"))
    responder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10), default="open")
    # open | accepted | declined | expired | withdrawn
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    dispatch: Mapped[Dispatch] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("dispatch_id", "responder_id", name="uq_offers_dispatch_responder"),
        Index("ix_offers_responder_status", "responder_id", "status"),
    )
