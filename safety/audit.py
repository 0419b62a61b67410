"""The audit trail of administrative actions: who did what to which object, before and after.

One table for every kind of object (`object_type`, `object_id`), written in the caller's
transaction by `record()`, so an action and its audit row commit together or not at all.
Values are stored as JSON; secrets are never passed in (callers redact them first).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Select, String, select
from sqlalchemy.orm import Mapped, mapped_column

from safety.extensions import db
from safety.util import UTCDateTime, new_id, utcnow

REDACTED = "<redacted>"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id", "created_at"),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record(actor, action: str, obj_type: str, obj_id: Any, changes: dict) -> AuditEvent:
    """Add an audit event to the current transaction. `actor` is a User (or None for the
    system); `changes` is usually {field: {"before": ..., "after": ...}}."""
    event = AuditEvent(actor_id=actor.id if actor is not None else None, action=action,
                       object_type=obj_type, object_id=str(obj_id), changes=_jsonable(changes),
                       created_at=utcnow())
    db.session.add(event)
    db.session.flush()
    return event


def diff(before: dict, after: dict, secret: tuple[str, ...] = ()) -> dict:
    """{field: {"before", "after"}} for the fields whose value changed; the values of `secret`
    fields are replaced by a marker (set or not, changed or not: never the value)."""
    out = {}
    for key, new in after.items():
        old = before.get(key)
        if old == new:
            continue
        if key in secret:
            old = REDACTED if old is not None else None
            new = REDACTED if new is not None else None
        out[key] = {"before": old, "after": new}
    return out


def events_for(obj_type: str, obj_id: Any) -> Select:
    return select(AuditEvent).where(AuditEvent.object_type == obj_type,
                                    AuditEvent.object_id == str(obj_id))
