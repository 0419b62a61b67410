from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safety.accounts.models import User
from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow


class Contact(db.Model):
    """A trusted contact. Its `status` is the guardian invitation to whoever holds `phone`:
    pending until that person (registered now or later) accepts or declines."""

    __tablename__ = "contacts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    relation: Mapped[str | None] = mapped_column(String(60))
    # The language of the SMS this contact gets while they have no account (one who has an
    # account reads in the account's language). Set from hers when she gives none.
    locale: Mapped[str] = mapped_column(String(10), default="kk", server_default="kk")
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|accepted|declined
    guardian_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    guardian: Mapped[User | None] = relationship(foreign_keys=[guardian_id], lazy="select")

    @property
    def counts_as_guardian(self) -> bool:
        """Accepted by an account that proved it holds this contact's number."""
        g = self.guardian
        return (self.status == "accepted" and g is not None and g.phone == self.phone
                and g.phone_verified_at is not None)

    __table_args__ = (
        UniqueConstraint("owner_id", "phone", name="uq_contacts_owner_phone"),
        Index("ix_contacts_phone", "phone"),
        Index("ix_contacts_guardian_id", "guardian_id"),
    )
