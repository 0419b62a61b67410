"""Tracking links: the SMS link /t/<token> a contact without the app follows her by."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from flask import current_app
from sqlalchemy import select

from safety.alerts.models import Alert, TrackingLink
from safety.contacts.models import Contact
from safety.extensions import db
from safety.notify import outbox
from safety.util import utcnow


def create_tracking_link(alert: Alert, contact_id: uuid.UUID | None) -> str:
    token = secrets.token_urlsafe(24)
    db.session.add(TrackingLink(token_hash=hash_token(token), alert_id=alert.id,
                                contact_id=contact_id))
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{token}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_for_contact(_app, *, contact: Contact) -> None:
    """Receives `contacts.events.cut_off`: the holder of this contact's number stops following
    her at once. Every tracking link sent to it is revoked (not merely left to expire), and SMS
    to it about her alerts not yet sent are canceled."""
    now = utcnow()
    for link in db.session.scalars(select(TrackingLink).where(
            TrackingLink.contact_id == contact.id, TrackingLink.revoked_at.is_(None))):
        link.revoked_at = now
    outbox.cancel_sms_to(contact.phone, select(Alert.id).where(Alert.user_id == contact.owner_id))
