"""Page 4, responders: who of the desk's organisations is on duty, where they last were and how
long ago, the dispatch each holds now, and each one's history of offers and dispatches (times
and outcomes; her name only where the desk may see the alert)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from safety import geo
from safety.accounts.models import User
from safety.alerts.models import Alert
from safety.dispatch.desk import Desk, view_of
from safety.dispatch.models import HELD, Dispatch, DispatchOffer, ResponderState
from safety.errors import NotFound
from safety.extensions import db
from safety.i18n import _l
from safety.orgs.models import Organization, OrgMember
from safety.util import utcnow

HISTORY_MAX = 100


@dataclass
class ResponderRow:
    id: uuid.UUID
    name: str
    phone: str
    orgs: list[str]
    on_duty: bool
    lat: float | None
    lon: float | None
    location_at: datetime | None
    age_s: float | None
    fresh: bool
    current: Dispatch | None = None
    current_visible: bool = False


@dataclass
class HistoryRow:
    offer: DispatchOffer
    dispatch: Dispatch
    alert_visible: bool
    org: str
    time_to_answer_s: float | None


@dataclass
class ResponderDetail:
    row: ResponderRow
    history: list[HistoryRow] = field(default_factory=list)


def _members(desk: Desk, user_id: uuid.UUID | None = None):
    stmt = (select(User, Organization.name)
            .join(OrgMember, OrgMember.user_id == User.id)
            .join(Organization, Organization.id == OrgMember.org_id)
            .where(OrgMember.role == "responder").order_by(User.full_name, Organization.name))
    if not desk.admin:
        stmt = stmt.where(OrgMember.org_id.in_(desk.org_ids))
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    return db.session.execute(stmt).all()


def roster(desk: Desk, user_id: uuid.UUID | None = None) -> list[ResponderRow]:
    now = utcnow()
    stale_s = current_app.config["RESPONDER_STALE_S"]
    users: dict[uuid.UUID, User] = {}
    orgs: dict[uuid.UUID, list[str]] = {}
    for user, org in _members(desk, user_id):
        users[user.id] = user
        orgs.setdefault(user.id, []).append(org)
    if not users:
        return []
    states = {s.user_id: s for s in db.session.scalars(
        select(ResponderState).where(ResponderState.user_id.in_(list(users))))}
    held = {d.responder_id: d for d in db.session.scalars(select(Dispatch).where(
        Dispatch.responder_id.in_(list(users)), Dispatch.status.in_(HELD)))}
    rows = []
    for uid, user in users.items():
        state = states.get(uid)
        point = geo.to_geojson(state.location) if state is not None else None
        at = state.location_at if state is not None else None
        age = max(0.0, (now - at).total_seconds()) if at else None
        current = held.get(uid)
        visible = False
        if current is not None:
            alert = db.session.get(Alert, current.alert_id)
            visible = alert is not None and view_of(desk, alert, current) is not None
        rows.append(ResponderRow(
            id=uid, name=user.full_name, phone=user.phone, orgs=orgs[uid],
            on_duty=bool(state and state.on_duty),
            lat=point["coordinates"][1] if point else None,
            lon=point["coordinates"][0] if point else None,
            location_at=at, age_s=age, fresh=age is not None and age <= stale_s,
            current=current, current_visible=visible))
    rows.sort(key=lambda r: (not r.on_duty, r.current is None, r.name))
    return rows


def detail(desk: Desk, user_id: uuid.UUID) -> ResponderDetail:
    """One responder of the desk's organisations and the offers those organisations made him,
    newest first; 404 for anyone else."""
    rows = roster(desk, user_id)
    if not rows:
        raise NotFound(_l("No such responder."))
    stmt = (select(DispatchOffer, Dispatch, Organization.name)
            .join(Dispatch, Dispatch.id == DispatchOffer.dispatch_id)
            .join(Organization, Organization.id == DispatchOffer.org_id)
            .where(DispatchOffer.responder_id == user_id)
            .order_by(DispatchOffer.created_at.desc()).limit(HISTORY_MAX))
    if not desk.admin:
        stmt = stmt.where(DispatchOffer.org_id.in_(desk.org_ids))
    history = []
    for offer, dispatch, org in db.session.execute(stmt):
        alert = db.session.get(Alert, dispatch.alert_id)
        answered = (offer.responded_at - offer.created_at).total_seconds() \
            if offer.responded_at and offer.status in ("accepted", "declined") else None
        history.append(HistoryRow(
            offer=offer, dispatch=dispatch, org=org, time_to_answer_s=answered,
            alert_visible=alert is not None and view_of(desk, alert, dispatch) is not None))
    return ResponderDetail(rows[0], history)
