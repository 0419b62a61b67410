from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow


class InboundSms(db.Model):
    """One message a verified phone sent to the service, by the provider's message id: a
    redelivery finds it and does nothing again. Neither the text (it may hold her PIN) nor the
    number is kept: the account, what the message asked and what the reply said (a duress PIN
    is recorded as what it looked like: a check-in, a cancel). Messages from numbers without a
    verified account are not stored at all. Deleted after SMS_INBOUND_KEEP_DAYS."""

    __tablename__ = "inbound_sms"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    command: Mapped[str] = mapped_column(String(12))  # sos, check_in, extend, cancel, help
    outcome: Mapped[str] = mapped_column(String(20))  # the reply it got, or "throttled"
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("provider", "message_id", name="uq_inbound_sms_provider_message"),
        Index("ix_inbound_sms_user_received", "user_id", "received_at"),
        Index("ix_inbound_sms_received", "received_at"),
    )
