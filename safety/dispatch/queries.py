"""Dispatch, the read side: a responder's open offers, who may read an alert through its
dispatch (its responder, its organisation's admins), the dispatch as an alert shows it, and an
organisation's dispatches."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, select

from safety.accounts.models import User
from safety.alerts.models import Alert
from safety.dispatch import coming
from safety.dispatch.models import HELD, Dispatch, DispatchOffer
from safety.extensions import db
from safety.orgs import service as orgs
from safety.orgs.models import Organization
from safety.util import utcnow


@dataclass
class OpenOffer:
    """An offer open to a responder and the alert it is for (OfferSchema dumps it)."""

    offer: DispatchOffer
    alert: Alert


def open_offers(user: User) -> list[OpenOffer]:
    rows = db.session.execute(
        select(DispatchOffer, Alert).join(Dispatch, Dispatch.id == DispatchOffer.dispatch_id)
        .join(Alert, Alert.id == Dispatch.alert_id)
        .join(Organization, Organization.id == DispatchOffer.org_id).where(
            DispatchOffer.responder_id == user.id, DispatchOffer.status == "open",
            Dispatch.status == "offering", Organization.status == "active",
        ).order_by(DispatchOffer.created_at.desc())
    )
    return [OpenOffer(offer, alert) for offer, alert in rows]


def for_alert(alert: Alert) -> Dispatch | None:
    return db.session.scalar(select(Dispatch).where(Dispatch.alert_id == alert.id))


def _access_cutoff():
    """Responders and org admins read an alert until this long after it ended."""
    return utcnow() - timedelta(seconds=current_app.config["RESPONDER_ACCESS_AFTER_END_S"])


def viewer_role(user: User, alert: Alert) -> str | None:
    dispatch = for_alert(alert)
    if dispatch is None:
        return None
    if not alert.live and alert.ended_at is not None and alert.ended_at <= _access_cutoff():
        return None
    if dispatch.responder_id == user.id and dispatch.status in HELD + ("resolved",):
        return "responder"
    if dispatch.org_id and orgs.is_org_admin(user, dispatch.org_id):
        return "org_admin"
    return None


def alert_ids_held_by(user: User) -> Select:
    """Alerts `user` may read as their responder (the rule of `viewer_role`)."""
    return select(Dispatch.alert_id).join(Alert, Alert.id == Dispatch.alert_id).where(
        Dispatch.responder_id == user.id, Dispatch.status.in_(HELD + ("resolved",)),
        Alert.ended_at.is_(None) | (Alert.ended_at > _access_cutoff()))


def responder_ids_for(alert: Alert) -> list[uuid.UUID]:
    dispatch = for_alert(alert)
    if dispatch is None:
        return []
    ids = [dispatch.responder_id] if dispatch.responder_id else []
    ids += list(db.session.scalars(select(DispatchOffer.responder_id).where(
        DispatchOffer.dispatch_id == dispatch.id, DispatchOffer.status == "open")))
    return ids


@dataclass
class ResponderBrief:
    """Who comes, as a role may see it: her, her guardians and her SMS contacts get a first
    name (and the vehicle and badge their organisation gives; not SMS contacts); staff get the
    person too (`person`: id, full name, phone)."""

    first_name: str | None
    vehicle: str | None
    badge: str | None
    person: User | None


@dataclass
class DispatchBrief:
    """The dispatch as an alert shows it (alerts' DispatchBriefSchema dumps it): its status,
    times and responder, the organisation holding it, and where the responder is
    (`coming.Approach`, while they hold it)."""

    dispatch: Dispatch
    organization: Organization | None
    responder: ResponderBrief | None = None
    position: coming.Approach | None = None


STAFF_ROLES = ("responder", "org_admin", "admin")


def brief_for_alert(alert: Alert, role: str) -> DispatchBrief | None:
    """`role`: owner, guardian, responder, org_admin, admin, or `contact` (the tracking page of
    an SMS contact). Her and her guardians never get the responder's full name or phone: on
    her screen he could read them and call the responder in her name."""
    dispatch = for_alert(alert)
    return None if dispatch is None else brief_of(dispatch, alert, role)


def brief_of(dispatch: Dispatch, alert: Alert, role: str) -> DispatchBrief:
    """`brief_for_alert` of a dispatch already in hand."""
    org = db.session.get(Organization, dispatch.org_id) if dispatch.org_id else None
    brief = DispatchBrief(dispatch, org)
    if dispatch.responder is not None:
        member = orgs.responder_member(dispatch.org_id, dispatch.responder_id) \
            if role != "contact" else None
        brief.responder = ResponderBrief(
            first_name=coming.first_name(dispatch.responder.full_name),
            vehicle=member.vehicle if member else None, badge=member.badge if member else None,
            person=dispatch.responder if role in STAFF_ROLES else None)
        brief.position = coming.approach(dispatch, alert)
    return brief


def org_dispatches(user: User, org_id: uuid.UUID):
    org = orgs.get_org(user, org_id)
    offered = select(DispatchOffer.dispatch_id).where(DispatchOffer.org_id == org.id)
    return select(Dispatch).where((Dispatch.org_id == org.id) | Dispatch.id.in_(offered))


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass
class Durations:
    count: int
    median_s: float | None
    p90_s: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> Durations:
        return cls(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9))


@dataclass
class OrgStats:
    dispatches: int
    resolved: int
    time_to_accept: Durations
    time_to_arrive: Durations


def org_stats(user: User, org_id: uuid.UUID) -> OrgStats:
    """Time to accept and time to arrive of an organisation's dispatches (its admins)."""
    org = orgs.get_org(user, org_id)
    rows = list(db.session.scalars(select(Dispatch).where(Dispatch.org_id == org.id)))
    accept = [(d.accepted_at - d.created_at).total_seconds() for d in rows if d.accepted_at]
    arrive = [(d.on_scene_at - d.created_at).total_seconds() for d in rows if d.on_scene_at]
    return OrgStats(dispatches=len(rows), resolved=sum(1 for d in rows if d.status == "resolved"),
                    time_to_accept=Durations.of(accept), time_to_arrive=Durations.of(arrive))


class DispatchAccess:
    """Dispatch's answer to `safety.alerts.access.AlertAccess` (registered by the factory)."""

    def viewer_role(self, user: User, alert: Alert) -> str | None:
        return viewer_role(user, alert)

    def alert_ids_held_by(self, user: User) -> Select:
        return alert_ids_held_by(user)

    def responder_ids(self, alert: Alert) -> list[uuid.UUID]:
        return responder_ids_for(alert)

    def dispatch_view(self, alert: Alert, role: str) -> DispatchBrief | None:
        return brief_for_alert(alert, role)

    def new_dispatch_view(self, alert: Alert, role: str, added: list) -> DispatchBrief | None:
        dispatch = next((o for o in added if isinstance(o, Dispatch)
                         and o.alert_id == alert.id), None)
        return None if dispatch is None else brief_of(dispatch, alert, role)
