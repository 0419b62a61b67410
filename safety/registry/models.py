from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow

CATEGORIES = ("domestic_violence_administrative", "protective_order",
              "domestic_violence_criminal", "sexual_offense")
LEGAL_BASES = ("court_decision", "subject_consent")
PURPOSES = ("new_partner", "dating", "family", "roommate", "caregiver", "other")


class RegistryEntry(db.Model):
    __tablename__ = "registry_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    full_name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300))  # sorted word keys, space-separated
    birth_date: Mapped[date] = mapped_column(Date)
    iin: Mapped[str | None] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    decided_on: Mapped[date] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(300))
    case_reference: Mapped[str | None] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(20))
    consent_reference: Mapped[str | None] = mapped_column(String(200))
    expires_on: Mapped[date] = mapped_column(Date)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_registry_entries_iin", "iin"),
        Index("ix_registry_entries_birth_date", "birth_date"),
        Index("ix_registry_entries_phone", "phone"),
        Index("ix_registry_entries_dedupe_key", "dedupe_key"),
        Index("ix_registry_entries_created", "created_at", "id"),
    )


class RegistryNameKey(db.Model):
    """One row per word key of an entry's name: finds candidates when no birth date is known."""

    __tablename__ = "registry_name_keys"

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registry_entries.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)

    __table_args__ = (Index("ix_registry_name_keys_key", "key"),)


class RegistryAudit(db.Model):
    """Who changed which entry, how, when."""

    __tablename__ = "registry_audit"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))  # create | update | delete | import
    entry_id: Mapped[uuid.UUID | None] = mapped_column()
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_registry_audit_created", "created_at", "id"),)


class RegistryCheck(db.Model):
    """A person's check: what she asked, why, what she was told."""

    __tablename__ = "registry_checks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(300))
    birth_date: Mapped[date | None] = mapped_column(Date)
    iin: Mapped[str | None] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(20))
    match_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_registry_checks_user_created", "user_id", "created_at"),
        Index("ix_registry_checks_created", "created_at", "id"),
    )
