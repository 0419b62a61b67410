"""Page 1, the live board: the live alerts a desk may see and the responders on duty, as plain
values (read in one short transaction; the template only formats them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from safety import geo
from safety.accounts.models import User
from safety.accounts.service import full_names
from safety.dispatch.desk import AREA, HOLDER, Desk, desk_orgs, live_alerts
from safety.dispatch.models import HELD, Dispatch, DispatchOffer, ResponderState
from safety.extensions import db
from safety.notify.models import OutboxJob
from safety.orgs.models import Organization, OrgMember
from safety.util import utcnow


@dataclass
class BoardAlert:
    id: uuid.UUID
    view: str  # admin | holder | area (safety.dispatch.desk)
    created_at: datetime
    age_s: float
    trigger: str
    duress: bool
    silent: bool
    unassigned: bool
    escalated: bool
    status: str  # the alert's: active, dispatched, responding
    dispatch: str  # none, offering, unassigned, accepted, en_route, on_scene
    round: int
    open_offers: int
    responder: str | None  # who holds it (his own organisation's people, or any for admins)
    org: str | None  # the organisation holding it
    lat: float
    lon: float
    location_at: datetime
    name: str | None = None  # hers: only for the organisation holding the dispatch

    @property
    def attention(self) -> bool:
        """Stands out and sounds: nobody could be found, the escalation ran, or a duress
        alert nobody has accepted yet."""
        waiting = self.dispatch in ("none", "offering", "unassigned")
        return waiting and (self.unassigned or self.escalated or self.duress)

    def map_point(self) -> dict:
        return {"id": str(self.id), "lat": self.lat, "lon": self.lon, "duress": self.duress,
                "attention": self.attention, "dispatch": self.dispatch}


@dataclass
class ResponderDot:
    id: uuid.UUID
    name: str
    org: str
    lat: float
    lon: float
    location_at: datetime
    age_s: float
    fresh: bool
    busy: bool

    def map_point(self) -> dict:
        return {"id": str(self.id), "name": self.name, "lat": self.lat, "lon": self.lon,
                "fresh": self.fresh, "busy": self.busy, "age_s": round(self.age_s)}


@dataclass
class Board:
    alerts: list[BoardAlert]
    responders: list[ResponderDot]
    now: datetime
    areas: list[dict] = field(default_factory=list)

    @property
    def attention(self) -> int:
        return sum(1 for a in self.alerts if a.attention)

    def map_data(self) -> dict:
        return {"alerts": [a.map_point() for a in self.alerts],
                "responders": [r.map_point() for r in self.responders],
                "attention": self.attention}


def _escalated(alert_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Alerts whose escalation timer ran (sent, not skipped): nobody answered in time."""
    if not alert_ids:
        return set()
    rows = db.session.execute(select(OutboxJob.alert_id, OutboxJob.result).where(
        OutboxJob.alert_id.in_(alert_ids), OutboxJob.kind == "alert_escalate",
        OutboxJob.status == "sent"))
    return {alert_id for alert_id, result in rows if result and "round" in result}


def _open_offers(dispatch_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    out: dict[uuid.UUID, int] = {}
    if dispatch_ids:
        for did in db.session.scalars(select(DispatchOffer.dispatch_id).where(
                DispatchOffer.dispatch_id.in_(dispatch_ids), DispatchOffer.status == "open")):
            out[did] = out.get(did, 0) + 1
    return out


def board(desk: Desk, *, with_areas: bool = False) -> Board:
    now = utcnow()
    rows = live_alerts(desk)
    escalated = _escalated([a.id for a, _d, _v in rows])
    offers = _open_offers([d.id for _a, d, _v in rows if d is not None])
    seen = [v != AREA for _a, _d, v in rows]
    names = full_names(
        [d.responder_id for (_a, d, _v), ok in zip(rows, seen, strict=True)
         if ok and d is not None and d.responder_id and d.status in HELD]
        + [a.user_id for a, _d, v in rows if v == HOLDER])
    org_names = dict(db.session.execute(select(Organization.id, Organization.name)).all()) \
        if rows else {}
    alerts = []
    for alert, dispatch, view in rows:
        held = dispatch is not None and dispatch.status in HELD and view != AREA
        alerts.append(BoardAlert(
            id=alert.id, view=view, created_at=alert.created_at,
            age_s=max(0.0, (now - alert.created_at).total_seconds()), trigger=alert.trigger,
            duress=alert.duress, silent=alert.silent, unassigned=alert.unassigned,
            escalated=alert.id in escalated and alert.status == "active", status=alert.status,
            dispatch=dispatch.status if dispatch is not None else "none",
            round=dispatch.round if dispatch is not None else 0,
            open_offers=offers.get(dispatch.id, 0) if dispatch is not None else 0,
            responder=names.get(dispatch.responder_id) if held else None,
            org=org_names.get(dispatch.org_id) if dispatch is not None and view != AREA
            else None,
            lat=alert.lat, lon=alert.lon, location_at=alert.location_at,
            name=names.get(alert.user_id) if view == HOLDER else None,
        ))
    result = Board(alerts=alerts, responders=on_duty(desk, now), now=now)
    if with_areas:
        result.areas = [{"name": o.name, "geojson": geo.to_geojson(o.coverage)}
                        for o in desk_orgs(desk) if o.status == "active"]
    return result


def on_duty(desk: Desk, now: datetime | None = None) -> list[ResponderDot]:
    """The desk's responders on duty with a known position, freshest first."""
    now = now or utcnow()
    stale_s = current_app.config["RESPONDER_STALE_S"]
    stmt = (select(ResponderState.user_id, ResponderState.location_at,
                   func.ST_Y(ResponderState.location), func.ST_X(ResponderState.location),
                   User.full_name, Organization.name)
            .join(User, User.id == ResponderState.user_id)
            .join(OrgMember, (OrgMember.user_id == User.id) & (OrgMember.role == "responder"))
            .join(Organization, Organization.id == OrgMember.org_id)
            .where(ResponderState.on_duty.is_(True), ResponderState.location_at.is_not(None))
            .order_by(ResponderState.location_at.desc()))
    if not desk.admin:
        stmt = stmt.where(OrgMember.org_id.in_(desk.org_ids))
    busy = set(db.session.scalars(select(Dispatch.responder_id).where(
        Dispatch.status.in_(HELD), Dispatch.responder_id.is_not(None))))
    seen: set[uuid.UUID] = set()
    dots = []
    for user_id, location_at, lat, lon, name, org in db.session.execute(stmt):
        if user_id in seen or lat is None:
            continue
        seen.add(user_id)
        age = max(0.0, (now - location_at).total_seconds())
        dots.append(ResponderDot(
            id=user_id, name=name, org=org, lat=float(lat), lon=float(lon),
            location_at=location_at, age_s=age, fresh=age <= stale_s, busy=user_id in busy))
    return dots
