from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safety import geo
from safety.accounts.models import User
from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow

ORG_KINDS = ("security", "police", "crisis_center", "ngo")
MEMBER_ROLES = ("responder", "org_admin")
VEHICLE_MAX = 60
BADGE_MAX = 30


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="active")
    coverage = mapped_column(geo.area_type(), nullable=False)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OrgMember(db.Model):
    __tablename__ = "org_members"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(10), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A responder's car and badge as the organisation's admins give them: she and her
    # guardians see them while this responder comes to her (PATCH /orgs/{id}/members/{id}).
    vehicle: Mapped[str | None] = mapped_column(String(VEHICLE_MAX))
    badge: Mapped[str | None] = mapped_column(String(BADGE_MAX))

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (Index("ix_org_members_user_id", "user_id"),)


class OrgInvitation(db.Model):
    """An invitation to hold `role` in an organisation, addressed to a phone number. The role
    is granted when the verified holder of that number accepts; whether the number has an
    account is never told to the one who invites.

    status: pending -> accepted | declined. Inviting again restarts it as pending."""

    __tablename__ = "org_invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(  # who answered
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org: Mapped[Organization] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("org_id", "phone", "role", name="uq_org_invitations_org_phone_role"),
        Index("ix_org_invitations_phone", "phone"),
    )
