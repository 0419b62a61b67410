"""Tracking links: the SMS link /t/<token> a contact without the app follows her by."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from flask import current_app

from safety.alerts.models import Alert, TrackingLink
from safety.extensions import db


def create_tracking_link(alert: Alert, contact_id: uuid.UUID | None) -> str:
    token = secrets.token_urlsafe(24)
    db.session.add(TrackingLink(token_hash=hash_token(token), alert_id=alert.id,
                                contact_id=contact_id))
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{token}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
