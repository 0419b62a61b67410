from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow

ROLES = ("user", "responder", "org_admin", "admin")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="kk")
    time_zone: Mapped[str] = mapped_column(String(40), default="Asia/Almaty",
                                           server_default="Asia/Almaty")
    # Pushes to her show neutral words on the lock screen; the real texts travel in the data.
    discreet_notifications: Mapped[bool] = mapped_column(Boolean, default=False,
                                                         server_default=false())
    # Her SMS contacts' tracking page offers "Call her" with her number (she chooses; off).
    share_phone_with_contacts: Mapped[bool] = mapped_column(Boolean, default=False,
                                                            server_default=false())
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    duress_pin_hash: Mapped[str | None] = mapped_column(String(200))
    # When the holder of `phone` last proved it with an SMS code; None: never (accounts made
    # before verification existed) -- such an account has no guardian or org rights.
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # PINs chosen at a PIN change that was "authorised" with the duress PIN: they act as duress
    # PINs wherever a PIN is asked (see docs/security.md, "PINs, duress and her phone").
    decoy_pin_hash: Mapped[str | None] = mapped_column(String(200))
    decoy_duress_pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_change_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_change_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.role_rows)


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class PhoneCode(db.Model):
    """A one-time SMS code that proves someone holds `phone`. Only an HMAC of the code is kept.

    purpose: register (no account yet: user_id is None) | change_phone (to the new number) |
    verify (an account's own number). A code is live while unused, unexpired and under its
    tries; asking again ends the live code of the same (phone, purpose, account).
    """

    __tablename__ = "phone_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_phone_codes_phone_created", "phone", "created_at"),
        Index("ix_phone_codes_user_created", "user_id", "created_at"),
        Index("ix_phone_codes_created", "created_at"),
    )


class AuthSession(db.Model):
    """One login: its access and refresh tokens carry the session id; revoking it revokes both."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_auth_sessions_user_id", "user_id"),)


class AuthThrottle(db.Model):
    """Failed password checks at one gate for one account, across client addresses and
    processes: `login` per phone number (known or not, so the lock tells nothing about who has
    an account), `current_password` per user. The key is an HMAC of gate and subject."""

    __tablename__ = "auth_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    gate: Mapped[str] = mapped_column(String(20))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locks: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_auth_throttles_updated_at", "updated_at"),)
