"""Dispatch at the operator's desk (the web console): which alerts an operator may see and how
much of each, and what he may do to their dispatch — offer it to a responder he chooses, offer
it again, close it as a false alarm, add a note. Every action is audited with the operator.

An operator is a platform admin (`admin`: every alert) or an org admin (`org_admin`, the
console's dispatcher: the API has no other role for the desk). An org admin sees

- as the **holder**, the alerts whose dispatch his organisation holds (a responder of his
  accepted it), while live and RESPONDER_ACCESS_AFTER_END_S after they ended, as the API shows
  them to him: with her name and phone;
- in his **area**, the live alerts nobody holds yet (offering, unassigned) that lie inside the
  coverage of one of his active organisations, or that were offered to his responders: where
  and since when, never who she is;
- nothing else: not another organisation's dispatch, not an alert outside his area, not an
  alert of his area after it ended (404, as if it did not exist).

Nobody sees her own alert at the desk, platform admins included: after a duress cancel her
console would tell whoever reads her screen what her phone hides.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import lazyload

from safety import audit, geo
from safety.accounts.models import User
from safety.alerts import commands as alerts
from safety.alerts.models import LIVE, Alert
from safety.dispatch.models import HELD, OPEN, Dispatch, DispatchOffer, ResponderState
from safety.dispatch.offers import next_round, org_webhook
from safety.dispatch.responders import available_responders
from safety.errors import Conflict, Forbidden, Invalid, NotFound
from safety.extensions import db
from safety.i18n import Distance, _l
from safety.notify import outbox
from safety.notify import service as notify
from safety.orgs.models import Organization, OrgMember
from safety.util import utcnow

OPERATOR_ROLES = ("org_admin", "admin")
ADMIN, HOLDER, AREA = "admin", "holder", "area"
NOTE_MAX = 1000
REASON_MAX = 500


@dataclass(frozen=True)
class Desk:
    """Who sits at the desk: a platform admin, or the admin of `org_ids`."""

    user: User
    admin: bool
    org_ids: tuple[uuid.UUID, ...]
    active_org_ids: tuple[uuid.UUID, ...]

    @property
    def operator(self) -> bool:
        return self.admin or bool(self.org_ids)


def desk_for(user: User) -> Desk:
    rows = db.session.execute(
        select(Organization.id, Organization.status)
        .join(OrgMember, OrgMember.org_id == Organization.id)
        .where(OrgMember.user_id == user.id, OrgMember.role == "org_admin")
        .order_by(Organization.name)).all()
    return Desk(user=user, admin=user.has_role("admin"),
                org_ids=tuple(r.id for r in rows),
                active_org_ids=tuple(r.id for r in rows if r.status == "active"))


def desk_orgs(desk: Desk) -> list[Organization]:
    """The organisations the desk works for (a platform admin: all of them)."""
    stmt = select(Organization).order_by(Organization.name)
    if not desk.admin:
        stmt = stmt.where(Organization.id.in_(desk.org_ids))
    return list(db.session.scalars(stmt))


def _access_cutoff() -> datetime:
    return utcnow() - timedelta(seconds=current_app.config["RESPONDER_ACCESS_AFTER_END_S"])


def _in_area(desk: Desk):
    """SQL: the alert (its current position) lies in the coverage of one of the desk's active
    organisations. An EXISTS only under an OR (as in live_alerts): as a top-level AND term
    SQLite 3.51.1 would join it through the organisations' key and the IN list and yield the
    alert once per covering organisation (see responders.available_responders)."""
    return exists(select(Organization.id).where(
        Organization.id.in_(desk.active_org_ids),
        geo.covers_lat_lon(db.session, Organization.coverage, Alert.lat, Alert.lon)))


def _offered_to(desk: Desk):
    return exists().where(DispatchOffer.dispatch_id == Dispatch.id,
                          DispatchOffer.org_id.in_(desk.org_ids))


def live_alerts(desk: Desk) -> list[tuple[Alert, Dispatch | None, str]]:
    """The live alerts on the desk's board, oldest first, each with its dispatch and how the
    desk sees it (admin, holder or area)."""
    # Polled every second by every open board: no eager loads (her account, the responder's),
    # which the caller asks for only where the desk may see them.
    stmt = (select(Alert, Dispatch).outerjoin(Dispatch, Dispatch.alert_id == Alert.id)
            .options(lazyload(Alert.owner), lazyload(Dispatch.responder))
            .where(Alert.status.in_(LIVE), Alert.user_id != desk.user.id)
            .order_by(Alert.created_at, Alert.id))
    if not desk.admin:
        if not desk.org_ids:
            return []
        stmt = stmt.where(or_(
            Dispatch.org_id.in_(desk.org_ids),
            and_(Dispatch.org_id.is_(None), or_(_offered_to(desk), _in_area(desk)))))
    out = []
    for alert, dispatch in db.session.execute(stmt):
        if desk.admin:
            out.append((alert, dispatch, ADMIN))
        else:
            holder = dispatch is not None and dispatch.org_id in desk.org_ids
            out.append((alert, dispatch, HOLDER if holder else AREA))
    return out


def view_of(desk: Desk, alert: Alert, dispatch: Dispatch | None) -> str | None:
    """How the desk sees `alert`: admin, holder, area; None: not at all."""
    if alert.user_id == desk.user.id:
        return None  # her own: her phone's view is the only one she gets
    if desk.admin:
        return ADMIN
    if not desk.org_ids:
        return None
    if dispatch is not None and dispatch.org_id in desk.org_ids:
        if alert.live or (alert.ended_at is not None and alert.ended_at > _access_cutoff()):
            return HOLDER
        return None
    if not alert.live or (dispatch is not None and dispatch.org_id is not None):
        return None
    if dispatch is not None and db.session.scalar(select(DispatchOffer.id).where(
            DispatchOffer.dispatch_id == dispatch.id,
            DispatchOffer.org_id.in_(desk.org_ids)).limit(1)) is not None:
        return AREA
    covering = geo.containing(
        db.session, select(Organization).where(Organization.id.in_(desk.active_org_ids)),
        Organization.coverage, alert.lat, alert.lon)
    return AREA if covering else None


def get_for(desk: Desk, alert_id: uuid.UUID, *, lock: bool = False
            ) -> tuple[Alert, Dispatch | None, str]:
    """The alert, its dispatch and the desk's view of it; 404 when the desk may not see it.
    `lock`: the dispatch row is locked for an action (FOR UPDATE)."""
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(_l("No such alert."))
    stmt = select(Dispatch).where(Dispatch.alert_id == alert.id)
    if lock:
        stmt = stmt.with_for_update(of=Dispatch).execution_options(populate_existing=True)
    dispatch = db.session.scalar(stmt)
    view = view_of(desk, alert, dispatch)
    if view is None:
        raise NotFound(_l("No such alert."))
    return alert, dispatch, view


def acting_org(desk: Desk, alert: Alert, dispatch: Dispatch | None) -> uuid.UUID | None:
    """The organisation an org admin acts for on this alert (None for a platform admin): the
    holder, else the first of his that was offered it or covers her."""
    if desk.admin and not desk.org_ids:
        return None
    if dispatch is not None and dispatch.org_id in desk.org_ids:
        return dispatch.org_id
    if dispatch is not None:
        offered = db.session.scalar(select(DispatchOffer.org_id).where(
            DispatchOffer.dispatch_id == dispatch.id, DispatchOffer.org_id.in_(desk.org_ids))
            .order_by(DispatchOffer.created_at).limit(1))
        if offered is not None:
            return offered
    covering = geo.containing(
        db.session, select(Organization).where(Organization.id.in_(desk.active_org_ids)),
        Organization.coverage, alert.lat, alert.lon)
    return covering[0].id if covering else None


# -- responders at the desk ------------------------------------------------------------------


@dataclass
class Candidate:
    """A responder the desk may offer an alert to: available now, of one of its orgs."""

    user: User
    org: Organization
    distance_m: float


def _offer_org_ids(desk: Desk) -> list[uuid.UUID]:
    if desk.admin:
        return list(db.session.scalars(
            select(Organization.id).where(Organization.status == "active")))
    return list(desk.active_org_ids)


def candidates(desk: Desk, alert: Alert, dispatch: Dispatch | None) -> list[Candidate]:
    """Responders of the desk's active organisations who could take `alert` now (on duty,
    located recently, holding nothing, no open offer for it), nearest first."""
    org_ids = _offer_org_ids(desk)
    if dispatch is None or not org_ids:
        return []
    stmt = available_responders(org_ids, exclude_user_id=alert.user_id).where(
        ~exists().where(DispatchOffer.dispatch_id == dispatch.id,
                        DispatchOffer.responder_id == ResponderState.user_id,
                        DispatchOffer.status == "open"))
    dist = geo.distance_expr(db.session, ResponderState.location, alert.lat, alert.lon)
    rows = db.session.execute(stmt.add_columns(dist.label("d")).order_by(dist).limit(50)).all()
    members = _member_orgs(org_ids, [state.user_id for state, _ in rows])
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_([state.user_id for state, _ in rows])))}
    out = []
    for state, distance in rows:
        org = members.get(state.user_id)
        if org is not None and state.user_id in users:
            out.append(Candidate(users[state.user_id], org, float(distance)))
    return out


def _member_orgs(org_ids: list[uuid.UUID], user_ids: list[uuid.UUID]
                 ) -> dict[uuid.UUID, Organization]:
    """Each responder's organisation among `org_ids` (the first by name)."""
    if not user_ids:
        return {}
    out: dict[uuid.UUID, Organization] = {}
    for user_id, org in db.session.execute(
            select(OrgMember.user_id, Organization)
            .join(Organization, Organization.id == OrgMember.org_id)
            .where(OrgMember.user_id.in_(user_ids), OrgMember.org_id.in_(org_ids),
                   OrgMember.role == "responder").order_by(Organization.name)):
        out.setdefault(user_id, org)
    return out


# -- actions ---------------------------------------------------------------------------------


def _waiting(dispatch: Dispatch | None) -> Dispatch:
    if dispatch is None or dispatch.status not in OPEN:
        status = dispatch.status if dispatch is not None else "none"
        raise Conflict(_l("This alert's dispatch is not waiting for a responder (%(status)s).",
                          status=status))
    return dispatch


def assign(operator: User, alert_id: uuid.UUID, responder_id: uuid.UUID) -> DispatchOffer:
    """Offer the alert to a responder the operator chose (an available responder of one of his
    active organisations): a round of its own with one offer, which the responder accepts
    through the API like any other. Offers still open from earlier rounds stay open."""
    desk = desk_for(operator)
    alert, dispatch, _view = get_for(desk, alert_id, lock=True)
    dispatch = _waiting(dispatch)
    if not alert.live:
        raise Conflict(_l("This alert has ended."))
    chosen = next((c for c in candidates(desk, alert, dispatch) if c.user.id == responder_id),
                  None)
    if chosen is None:
        raise Invalid("responder_id", _l("Choose a responder of your organisation who is on "
                                         "duty, located recently and free."))
    now = utcnow()
    expires = now + timedelta(seconds=current_app.config["OFFER_TIMEOUT_S"])
    dispatch.round += 1
    dispatch.status = "offering"
    offer = db.session.scalar(select(DispatchOffer).where(
        DispatchOffer.dispatch_id == dispatch.id, DispatchOffer.responder_id == responder_id))
    before = offer.status if offer is not None else None
    if offer is None:  # one row per responder and dispatch: an earlier answer is reopened
        offer = DispatchOffer(dispatch_id=dispatch.id, responder_id=responder_id)
        db.session.add(offer)
    offer.org_id, offer.round, offer.distance_m = chosen.org.id, dispatch.round, chosen.distance_m
    offer.status, offer.reason, offer.responded_at = "open", None, None
    offer.created_at, offer.expires_at = now, expires
    notify.push_each([(
        responder_id, _l("A dispatcher asks you to help a woman nearby"),
        _l("%(distance)s away. Open to accept.", distance=Distance(chosen.distance_m)),
        {"dispatch_id": dispatch.id, "alert_id": alert.id, "lat": alert.lat, "lon": alert.lon,
         "distance_m": round(chosen.distance_m), "duress": "1" if alert.duress else "0"},
    )], "dispatch_offer", alert_id=alert.id)
    org_webhook(chosen.org.id, "dispatch.offered", dispatch, alert)
    outbox.enqueue("dispatch_offer_timeout", "timer", {"round": dispatch.round},
                   alert_id=alert.id, due_at=expires,
                   dedupe_key=f"offer-timeout:{dispatch.id}:{dispatch.round}")
    audit.record(operator, "dispatch.assigned", "alert", alert.id, {
        "dispatch_id": dispatch.id, "responder_id": responder_id, "org_id": chosen.org.id,
        "round": dispatch.round, "earlier_offer": before,
        "acting_org_id": acting_org(desk, alert, dispatch)})
    db.session.flush()
    return offer


def reoffer(operator: User, alert_id: uuid.UUID) -> Dispatch:
    """Start a new automatic round now, from the first radius: the nearest available
    responders not asked yet (someone may have come on duty). Offers still open stay open.
    The dispatch stays unassigned when nobody new is available."""
    desk = desk_for(operator)
    alert, dispatch, _view = get_for(desk, alert_id, lock=True)
    dispatch = _waiting(dispatch)
    if not alert.live:
        raise Conflict(_l("This alert has ended."))
    before = (dispatch.status, dispatch.round)
    outbox.cancel_pending(alert.id, ("dispatch_offer_timeout",))
    dispatch.radius_m = current_app.config["OFFER_RADIUS_M"]
    next_round(dispatch, alert)
    audit.record(operator, "dispatch.reoffered", "alert", alert.id, {
        "dispatch_id": dispatch.id, "before": {"status": before[0], "round": before[1]},
        "after": {"status": dispatch.status, "round": dispatch.round},
        "acting_org_id": acting_org(desk, alert, dispatch)})
    db.session.flush()
    return dispatch


def false_alarm(operator: User, alert_id: uuid.UUID, reason: str) -> Alert:
    """Close a live alert as a false alarm: the organisation holding its dispatch, or a platform
    admin. Never a duress alert: she may have been forced to say it was nothing, and the man
    forcing her may have a friend at a partner company; only the responder on scene ends it."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _l("Say why this is a false alarm."))
    if len(reason) > REASON_MAX:
        raise Invalid("reason", _l("At most %(n)s characters.", n=REASON_MAX))
    desk = desk_for(operator)
    alert, dispatch, view = get_for(desk, alert_id, lock=True)
    if view == AREA:
        raise Forbidden(_l("Only the organisation holding the dispatch (or a platform "
                           "administrator) may close this alert."))
    if not alert.live:
        raise Conflict(_l("This alert has already ended (%(status)s).", status=alert.status))
    if alert.duress:
        raise Conflict(_l("A duress alert cannot be closed from the console: she may have "
                          "been forced. Only the responder on scene resolves it."))
    now = utcnow()
    told = []
    before = dispatch.status if dispatch is not None else None
    if dispatch is not None:
        told = [o.responder_id for o in db.session.scalars(select(DispatchOffer).where(
            DispatchOffer.dispatch_id == dispatch.id, DispatchOffer.status == "open"))]
        if dispatch.responder_id and dispatch.status in HELD:
            told.append(dispatch.responder_id)
    alerts.end(alert, "resolved", now)  # withdraws open offers, stops the timers
    if dispatch is not None and dispatch.status in OPEN + HELD:
        dispatch.status = "resolved"
        dispatch.resolved_at = now
        dispatch.note = f"False alarm: {reason}"[:1000]
        if dispatch.org_id:
            org_webhook(dispatch.org_id, "dispatch.resolved", dispatch, alert)
    notify.push_to_users(
        [uid for uid in told if uid != alert.user_id], "dispatch_false_alarm",
        _l("Stand down: false alarm"),
        _l("The dispatcher closed this alert as a false alarm."),
        {"alert_id": alert.id, "dispatch_id": dispatch.id if dispatch else ""},
        alert_id=alert.id)
    audit.record(operator, "alert.false_alarm", "alert", alert.id, {
        "reason": reason, "dispatch_status": before,
        "acting_org_id": acting_org(desk, alert, dispatch)})
    db.session.flush()
    return alert


def add_note(operator: User, alert_id: uuid.UUID, text: str) -> audit.AuditEvent:
    """An operator's note on an alert (kept in the audit log). Seen by platform admins and by
    the admins of the organisation the operator acted for."""
    text = (text or "").strip()
    if not text:
        raise Invalid("text", _l("Write the note."))
    if len(text) > NOTE_MAX:
        raise Invalid("text", _l("At most %(n)s characters.", n=NOTE_MAX))
    desk = desk_for(operator)
    alert, dispatch, _view = get_for(desk, alert_id)
    return audit.record(operator, "alert.note", "alert", alert.id, {
        "text": text, "acting_org_id": acting_org(desk, alert, dispatch)})
