"""Page 2, one alert: where she is (the trail for the organisation holding the dispatch and
platform admins; the latest position only for an organisation that sees it in its area), who
she is (her name and phone: only for the organisation holding the dispatch), the timeline, and
what the desk may do now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from safety.alerts.models import Alert, AlertLocation
from safety.console.timeline import Event, timeline
from safety.dispatch.desk import (
    AREA,
    HOLDER,
    Candidate,
    Desk,
    candidates,
    get_for,
)
from safety.dispatch.models import HELD, OPEN, Dispatch
from safety.extensions import db
from safety.orgs.models import Organization
from safety.util import utcnow

TRAIL_MAX = 2000


@dataclass
class AlertPage:
    alert: Alert
    dispatch: Dispatch | None
    view: str
    age_s: float
    org: Organization | None  # holding the dispatch
    responder: str | None
    name: str | None
    phone: str | None
    trail: list[dict]
    events: list[Event]
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.alert.live

    @property
    def waiting(self) -> bool:
        return self.live and self.dispatch is not None and self.dispatch.status in OPEN

    @property
    def can_assign(self) -> bool:
        return self.waiting

    @property
    def can_false_alarm(self) -> bool:
        return self.live and self.view != AREA and not self.alert.duress

    @property
    def phone_hidden_for_duress(self) -> bool:
        return self.view == HOLDER and self.alert.duress

    def map_data(self) -> dict:
        return {"alert": {"lat": self.alert.lat, "lon": self.alert.lon,
                          "duress": self.alert.duress},
                "trail": self.trail}


def page(desk: Desk, alert_id: uuid.UUID) -> AlertPage:
    alert, dispatch, view = get_for(desk, alert_id)
    trail: list[dict] = []
    if view != AREA:
        rows = db.session.execute(
            select(AlertLocation.lat, AlertLocation.lon, AlertLocation.recorded_at)
            .where(AlertLocation.alert_id == alert.id)
            .order_by(AlertLocation.recorded_at.desc()).limit(TRAIL_MAX)).all()
        trail = [{"lat": lat, "lon": lon, "at": at.isoformat()}
                 for lat, lon, at in reversed(rows)]
    org = db.session.get(Organization, dispatch.org_id) \
        if dispatch is not None and dispatch.org_id and view != AREA else None
    responder = None
    if dispatch is not None and dispatch.responder is not None and view != AREA and \
            dispatch.status in HELD + ("resolved",):
        responder = dispatch.responder.full_name
    holder = view == HOLDER
    result = AlertPage(
        alert=alert, dispatch=dispatch, view=view,
        age_s=max(0.0, ((alert.ended_at or utcnow()) - alert.created_at).total_seconds()),
        org=org, responder=responder,
        name=alert.owner.full_name if holder else None,
        # Under duress her phone may be in his hand: a call or a text would tell him.
        phone=alert.owner.phone if holder and not alert.duress else None,
        trail=trail, events=timeline(desk, alert, dispatch, view),
    )
    if result.can_assign:
        result.candidates = candidates(desk, alert, dispatch)
    return result


