"""Silent replies: short messages in an alert's timeline between her, her guardians and the
responder holding the dispatch (safety/messages/service.py has the rules)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safety.accounts.models import User
from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow

TEXT_MAX = 500  # characters of a free-text message, after surrounding whitespace is dropped


class AlertMessage(db.Model):
    """One message: a quick reply (`code`, rendered in each reader's language) or free `text`,
    never both. `held`: sent while her phone shows the alert canceled after a duress cancel;
    never shown or pushed to her (when she is the sender, it was typed on her phone after the
    duress cancel: it may not be her)."""

    __tablename__ = "alert_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    sender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # what the sender was to the alert when sending: owner, guardian or responder
    sender_role: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    # made by the sender's phone once per message; a retry with it is the same message
    client_id: Mapped[uuid.UUID | None] = mapped_column()
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sender: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("(code IS NULL) <> (text IS NULL)", name="ck_alert_messages_one_kind"),
        UniqueConstraint("alert_id", "sender_id", "client_id", name="uq_alert_messages_client"),
        Index("ix_alert_messages_alert_created", "alert_id", "created_at"),
        Index("ix_alert_messages_sender_created", "alert_id", "sender_id", "created_at"),
    )
