"""Responders: on and off duty, where they are, and which of them are available."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, exists, select

from safety import geo
from safety.accounts.models import User
from safety.dispatch.models import HELD, Dispatch, DispatchOffer, ResponderState
from safety.errors import Invalid
from safety.extensions import db
from safety.i18n import _l
from safety.orgs.models import OrgMember
from safety.util import phone_time, utcnow


def _state(user: User) -> ResponderState:
    state = db.session.get(ResponderState, user.id)
    if state is None:
        state = ResponderState(user_id=user.id, on_duty=False)
        db.session.add(state)
    return state


def set_duty(user: User, on_duty: bool, location: dict | None) -> ResponderState:
    state = _state(user)
    if location is not None:
        _set_location(state, location)
    if on_duty and state.location_at is None:
        raise Invalid("location", _l("Send your location to go on duty."))
    state.on_duty = on_duty
    state.updated_at = utcnow()
    db.session.flush()
    return state


def update_location(user: User, location: dict) -> ResponderState:
    state = _state(user)
    _set_location(state, location)
    db.session.flush()
    return state


def _set_location(state: ResponderState, location: dict) -> None:
    state.location = geo.point(location["lat"], location["lon"])
    now = utcnow()
    state.location_at = phone_time(location.get("recorded_at"), now)[0]
    state.updated_at = now


def available_responders(org_ids: list[uuid.UUID], *, dispatch_id: uuid.UUID | None = None,
                         exclude_user_id: uuid.UUID | None = None) -> Select:
    """On duty, located recently, a responder of one of `org_ids`, not holding a dispatch,
    not already offered this one. Correlated EXISTS, so each candidate the spatial index
    yields is checked by index, and nothing is computed for the 100k that are far away."""
    fresh_after = utcnow() - timedelta(seconds=current_app.config["RESPONDER_STALE_S"])
    who = ResponderState.user_id
    member = exists().where(OrgMember.user_id == who, OrgMember.org_id.in_(org_ids),
                            OrgMember.role == "responder")
    busy = exists().where(Dispatch.responder_id == who, Dispatch.status.in_(HELD))
    stmt = select(ResponderState).where(
        ResponderState.on_duty.is_(True), ResponderState.location_at >= fresh_after,
        member, ~busy,
    )
    if dispatch_id is not None:
        stmt = stmt.where(~exists().where(DispatchOffer.dispatch_id == dispatch_id,
                                          DispatchOffer.responder_id == who))
    if exclude_user_id is not None:
        stmt = stmt.where(who != exclude_user_id)
    return stmt
