"""The dispatches a responder holds or held: `GET /responder/dispatches`."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, select

from safety.accounts.models import User
from safety.dispatch.models import HELD, Dispatch
from safety.util import utcnow


def held_by(user: User) -> Select:
    """Current and recent: the dispatches `user` holds now (accepted, en route, on scene) and
    the ones they held to the end (resolved, or canceled by her) that ended less than
    RESPONDER_ACCESS_AFTER_END_S ago, the window in which they may still read the alert. A
    dispatch they gave back (`unable`) is no longer theirs, and is not listed."""
    ended_after = utcnow() - timedelta(
        seconds=current_app.config["RESPONDER_ACCESS_AFTER_END_S"])
    return select(Dispatch).where(
        Dispatch.responder_id == user.id,
        Dispatch.status.in_(HELD) | (Dispatch.resolved_at > ended_after),
    )
