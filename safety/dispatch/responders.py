"""Responders: on and off duty, where they are, and which of them are available."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import ScalarSelect, Select, exists, select

from safety import geo
from safety.accounts.models import User
from safety.dispatch.models import HELD, Dispatch, DispatchOffer, ResponderState
from safety.errors import Invalid
from safety.extensions import db
from safety.i18n import _l
from safety.orgs.models import Organization, OrgMember
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


def member_org(org_ids: list[uuid.UUID]) -> ScalarSelect:
    """SQL, for a row of responder_states: the partner among `org_ids` its user is a
    responder of, the oldest if several (NULL: none)."""
    return (select(OrgMember.org_id).join(Organization, Organization.id == OrgMember.org_id)
            .where(OrgMember.user_id == ResponderState.user_id, OrgMember.org_id.in_(org_ids),
                   OrgMember.role == "responder")
            .order_by(Organization.created_at, Organization.id).limit(1)
            .correlate(ResponderState).scalar_subquery())


def available_responders(org_ids: list[uuid.UUID], *, dispatch_id: uuid.UUID | None = None,
                         exclude_user_id: uuid.UUID | None = None) -> Select:
    """On duty, located recently, a responder of one of `org_ids`, not holding a dispatch,
    not already offered this one. Correlated subqueries, so each candidate the spatial index
    yields is checked by index, and nothing is computed for the 100k that are far away.

    Membership is `member_org(...) IS NOT NULL`, not an EXISTS: the SQLite the app runs
    (3.51.1, pysqlite3-binary's; the stdlib's 3.40 never does this) turns an EXISTS that is a
    top-level AND term into a join ("SEARCH org_members EXISTS USING INDEX" in EXPLAIN QUERY
    PLAN), and where that join reaches a unique index (the key (org_id, user_id, role))
    through an IN list it yields the row once per matching list value: a responder of two of
    `org_ids` twice — two offers to one responder, refused by the unique constraint, and the
    panic with them. (3.51.2's notes fix "multiple problems" in that optimization.)"""
    fresh_after = utcnow() - timedelta(seconds=current_app.config["RESPONDER_STALE_S"])
    who = ResponderState.user_id
    busy = exists().where(Dispatch.responder_id == who, Dispatch.status.in_(HELD))
    stmt = select(ResponderState).where(
        ResponderState.on_duty.is_(True), ResponderState.location_at >= fresh_after,
        member_org(org_ids).is_not(None), ~busy,
    )
    if dispatch_id is not None:
        stmt = stmt.where(~exists().where(DispatchOffer.dispatch_id == dispatch_id,
                                          DispatchOffer.responder_id == who))
    if exclude_user_id is not None:
        stmt = stmt.where(who != exclude_user_id)
    return stmt
