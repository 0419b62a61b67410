"""Dispatch: offer an alert to the nearest available responders of the organisations whose
coverage contains it; the first to accept wins; unanswered offers time out and move on
(safety/dispatch/jobs.py); the responder reports progress until the alert is resolved.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select, update

from safety import geo
from safety.accounts.models import User
from safety.accounts.service import admin_ids
from safety.alerts import commands as alerts
from safety.alerts.models import Alert, without_owner
from safety.contacts import service as contacts
from safety.dispatch import coming
from safety.dispatch.models import HELD, OPEN, Dispatch, DispatchOffer, ResponderState
from safety.dispatch.responders import available_responders, member_org
from safety.errors import Conflict, NotFound
from safety.extensions import db
from safety.i18n import Distance, Minutes, Text, _l
from safety.notify import outbox
from safety.notify import service as notify
from safety.orgs import service as orgs
from safety.orgs.models import Organization
from safety.util import new_id, utcnow


class _Partner(NamedTuple):
    """A partner whose coverage contains her, as a round needs it (columns, not the
    organisation: its coverage polygon stays in the database)."""

    id: uuid.UUID
    webhook_url: str | None
    webhook_secret: str | None


def _covering_orgs(alert: Alert) -> list[_Partner]:
    if alert.lat is None:
        return []  # raised without any known location (an SOS by SMS): nowhere to send anyone
    stmt = select(Organization.id, Organization.webhook_url, Organization.webhook_secret).where(
        Organization.status == "active",
        geo.contains_point(db.session, Organization.coverage, alert.lat, alert.lon),
    ).order_by(Organization.created_at, Organization.id)
    return [_Partner(*row) for row in db.session.execute(stmt)]


def _available_near(dispatch: Dispatch, alert: Alert, org_ids: list[uuid.UUID], radius: float,
                    limit: int) -> list[tuple[tuple[uuid.UUID, uuid.UUID], float]]:
    """((responder's user id, the partner they answer for), distance), nearest first. The
    partner is the first of `org_ids` (in their order) they are a responder of, looked up in
    the same query for just the rows it returns."""
    stmt = available_responders(org_ids, dispatch_id=dispatch.id,
                                exclude_user_id=alert.user_id)
    stmt = stmt.with_only_columns(ResponderState.user_id, member_org(org_ids).label("org_id"))
    return geo.near(db.session, stmt, ResponderState.location, alert.lat, alert.lon, radius,
                    limit=limit)


def start(alert: Alert) -> Dispatch:
    """Called in the panic's transaction. The dispatch is inserted with its first round's
    offers (next_round's flush), not before: one INSERT, no UPDATE of its round."""
    dispatch = Dispatch(id=new_id(), alert_id=alert.id, status="offering", round=0,
                        radius_m=current_app.config["OFFER_RADIUS_M"])
    db.session.add(dispatch)
    next_round(dispatch, alert)
    return dispatch


def next_round(dispatch: Dispatch, alert: Alert) -> None:
    cfg = current_app.config
    covering = _covering_orgs(alert)
    if not covering:
        _unassigned(dispatch, alert, _l("no partner organisation covers this place"))
        return
    org_ids = [o.id for o in covering]
    partners = {o.id: o for o in covering}
    radius = dispatch.radius_m
    found = _available_near(dispatch, alert, org_ids, radius, cfg["OFFER_BATCH"])
    while not found and radius < cfg["OFFER_MAX_RADIUS_M"]:
        radius = min(cfg["OFFER_MAX_RADIUS_M"], radius * 2)
        found = _available_near(dispatch, alert, org_ids, radius, cfg["OFFER_BATCH"])
    if not found:
        _unassigned(dispatch, alert, _l("no responder is available"), org_ids)
        return
    dispatch.round += 1
    dispatch.radius_m = radius
    dispatch.status = "offering"
    now = utcnow()
    expires = now + timedelta(seconds=cfg["OFFER_TIMEOUT_S"])
    pushes, offers = [], []
    for (user_id, org_id), distance in found:
        offers.append({"id": new_id(), "dispatch_id": dispatch.id,
                       "responder_id": user_id, "org_id": org_id,
                       "round": dispatch.round, "distance_m": distance, "status": "open",
                       "created_at": now, "expires_at": expires})
        pushes.append((
            user_id, _l("Alarm: a woman needs help nearby"),
            _l("%(distance)s away. Open to accept.", distance=Distance(distance)),
            {"dispatch_id": dispatch.id, "alert_id": alert.id, "lat": alert.lat,
             "lon": alert.lon, "distance_m": round(distance),
             "duress": "1" if alert.duress else "0"},
        ))
        _webhook(partners[org_id], "dispatch.offered", dispatch, alert)
    notify.push_each(pushes, "dispatch_offer", alert_id=alert.id)
    outbox.enqueue("dispatch_offer_timeout", "timer", {"round": dispatch.round},
                   alert_id=alert.id, due_at=expires,
                   dedupe_key=f"offer-timeout:{dispatch.id}:{dispatch.round}")
    db.session.flush()  # the dispatch first: the offers name it
    # as rows, one INSERT for them all (no ORM object per offer: nothing here reads them back)
    db.session.execute(DispatchOffer.__table__.insert(), offers)


def _unassigned(dispatch: Dispatch, alert: Alert, why: Text,
                org_ids: list[uuid.UUID] | None = None) -> None:
    dispatch.status = "unassigned"
    if not alerts.flag_unassigned(alert):
        return  # already told
    notify.push_to_users(
        without_owner(alert, admin_ids() + orgs.org_admin_ids(org_ids or [])),
        "alert_unassigned",
        _l("UNASSIGNED alert: %(name)s", name=alert.owner.full_name),
        _l("Nobody could be dispatched (%(reason)s). Call her and the police (102).",
           reason=why),
        {"alert_id": alert.id, "lat": alert.lat, "lon": alert.lon}, alert_id=alert.id,
    )


def _my_offer(user: User, dispatch_id: uuid.UUID) -> DispatchOffer:
    offer = db.session.scalar(select(DispatchOffer).where(
        DispatchOffer.dispatch_id == dispatch_id, DispatchOffer.responder_id == user.id))
    if offer is None:
        raise NotFound(_l("No such dispatch offer."))
    return offer


def accept(user: User, dispatch_id: uuid.UUID) -> Dispatch:
    """First accept wins: one conditional UPDATE decides, whatever the concurrency."""
    offer = _my_offer(user, dispatch_id)
    if offer.status in ("declined", "withdrawn"):
        raise Conflict(_l("This offer is no longer open to you."))
    org = db.session.get(Organization, offer.org_id)
    if org is None or org.status != "active":
        # An offer made before the organisation was suspended: it may no longer take alerts.
        raise Conflict(_l("Your organisation is suspended: this offer is no longer open to "
                          "you."))
    holding = db.session.scalar(select(Dispatch.id).where(
        Dispatch.responder_id == user.id, Dispatch.status.in_(HELD)))
    if holding is not None:
        raise Conflict(_l("You are holding another dispatch: finish it (or report unable) "
                          "first."))
    now = utcnow()
    won = db.session.execute(
        update(Dispatch)
        .where(Dispatch.id == dispatch_id, Dispatch.status.in_(OPEN))
        .values(status="accepted", responder_id=user.id, org_id=offer.org_id, accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise Conflict(_l("Another responder has already accepted this dispatch."))
    dispatch = db.session.get(Dispatch, dispatch_id, populate_existing=True)
    alert = db.session.get(Alert, dispatch.alert_id)
    if not alert.live:
        raise Conflict(_l("This alert has ended."))
    offer.status = "accepted"
    offer.responded_at = now
    for other in db.session.scalars(select(DispatchOffer).where(
            DispatchOffer.dispatch_id == dispatch.id, DispatchOffer.status == "open",
            DispatchOffer.id != offer.id)):
        other.status = "withdrawn"
        other.responded_at = now
    outbox.cancel_pending(alert.id, ("dispatch_offer_timeout",))
    alerts.mark_dispatched(alert, now)
    who = _who(user, org)
    _tell_people(alert, dispatch, "dispatch_accepted",
                 (_l("Help is coming"), _l("%(name)s from %(org)s accepted your alert.", **who)),
                 (_l("Help is coming for %(her)s", her=alert.owner.full_name),
                  _l("%(name)s from %(org)s accepted her alert.", **who)))
    org_webhook(org.id, "dispatch.accepted", dispatch, alert)
    db.session.flush()
    return dispatch


def decline(user: User, dispatch_id: uuid.UUID, reason: str | None) -> DispatchOffer:
    offer = _my_offer(user, dispatch_id)
    if offer.status != "open":
        raise Conflict(_l("This offer is no longer open."))
    offer.status = "declined"
    offer.reason = reason
    offer.responded_at = utcnow()
    db.session.flush()
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.id == dispatch_id)
                                 .with_for_update(of=Dispatch))
    still_open = db.session.scalar(select(DispatchOffer.id).where(
        DispatchOffer.dispatch_id == dispatch.id, DispatchOffer.round == dispatch.round,
        DispatchOffer.status == "open"))
    if dispatch.status == "offering" and still_open is None:
        # Everyone in this round said no: move on now rather than wait for the timeout.
        alert = db.session.get(Alert, dispatch.alert_id)
        outbox.cancel_pending(alert.id, ("dispatch_offer_timeout",))
        next_round(dispatch, alert)
    return offer


# A dispatch's status as a person reads it (in the 409 of a step it cannot take).
STATUS_WORDS = {
    # TRANSLATORS: a dispatch's state, in "A dispatch that is %(current)s cannot become
    # %(next)s." (and likewise the states below)
    "offering": _l("being offered"),
    "accepted": _l("accepted"),
    "en_route": _l("en route"),
    "on_scene": _l("on scene"),
    "resolved": _l("resolved"),
    "canceled": _l("canceled"),
    "unassigned": _l("unassigned"),
    "unable": _l("unable to come"),
}

TRANSITIONS = {
    "en_route": ("accepted",),
    "on_scene": ("accepted", "en_route"),
    "resolved": ("accepted", "en_route", "on_scene"),
    "unable": ("accepted", "en_route", "on_scene"),
}


def set_status(user: User, dispatch_id: uuid.UUID, status: str, note: str | None) -> Dispatch:
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.id == dispatch_id)
                                 .with_for_update(of=Dispatch))
    if dispatch is None or dispatch.responder_id != user.id:
        raise NotFound(_l("No such dispatch."))
    if dispatch.status not in TRANSITIONS[status]:
        raise Conflict(_l("A dispatch that is %(current)s cannot become %(next)s.",
                          current=STATUS_WORDS.get(dispatch.status, dispatch.status),
                          next=STATUS_WORDS.get(status, status)))
    alert = db.session.get(Alert, dispatch.alert_id)
    now = utcnow()
    if note:
        dispatch.note = note
    if status == "unable":
        offer = _my_offer(user, dispatch.id)
        offer.status = "withdrawn"
        offer.reason = note or "unable"
        dispatch.status = "offering"
        dispatch.responder_id = None
        dispatch.org_id = None
        dispatch.accepted_at = None
        dispatch.en_route_at = None
        dispatch.on_scene_at = None
        coming.forget(dispatch)
        alerts.back_to_active(alert, now)
        _tell_people(alert, dispatch, "dispatch_unable",
                     (_l("Your responder cannot come"), _l("We are finding someone else.")),
                     (_l("The responder for %(her)s cannot come", her=alert.owner.full_name),
                      _l("We are finding someone else.")))
        next_round(dispatch, alert)
        return dispatch
    dispatch.status = status
    org_id = dispatch.org_id
    who = _who(user, db.session.get(Organization, org_id) if org_id else None)
    her = alert.owner.full_name
    if status == "en_route":
        dispatch.en_route_at = now
        alerts.mark_responding(alert, now)
        near = coming.approach(dispatch, alert)
        if near is not None and near.eta_s is not None:
            body = _l("About %(minutes)s away (%(distance)s).",
                      minutes=Minutes(near.eta_minutes), distance=Distance(near.distance_m))
        else:
            body = _l("%(name)s from %(org)s has set off.", **who)
        _tell_people(alert, dispatch, "dispatch_en_route",
                     (_l("%(name)s is on the way", **who), body),
                     (_l("%(name)s is on the way to %(her)s", her=her, **who), body), near)
        coming.watch(dispatch)
    elif status == "on_scene":
        dispatch.on_scene_at = now
        alerts.mark_responding(alert, now)
        _tell_people(alert, dispatch, "dispatch_on_scene",
                     (_l("%(name)s has arrived", **who), _l("Your responder has reached you.")),
                     (_l("%(name)s has reached %(her)s", her=her, **who),
                      _l("The responder is on scene.")))
    elif status == "resolved":
        dispatch.resolved_at = now
        # her guardians hear it from the alert's end ("… is safe: resolved")
        _tell_people(alert, dispatch, "dispatch_resolved",
                     (_l("Your alert is resolved"),
                      _l("%(name)s from %(org)s marked it resolved.", **who)), None)
        if alert.live:
            alerts.end(alert, "resolved", now)
    if status != "en_route":
        outbox.cancel_pending(alert.id, (coming.CHECK_KIND,))
    if status == "resolved":
        coming.forget(dispatch)
    if org_id:
        org_webhook(org_id, f"dispatch.{status}", dispatch, alert)
    db.session.flush()
    return dispatch


def on_alert_raised(_app, *, alert: Alert) -> None:
    """Receives `alerts.events.raised`: offer the new alert, in the panic's transaction."""
    start(alert)


def on_alert_ended(_app, *, alert: Alert) -> None:
    """Receives `alerts.events.ended`."""
    alert_ended(alert)


def alert_ended(alert: Alert) -> None:
    """The alert ended (canceled or resolved): no more offer timeouts; withdraw what is still
    offered; a canceled alert cancels its dispatch and stands its responder down."""
    outbox.cancel_pending(alert.id, ("dispatch_offer_timeout",))
    dispatch = db.session.scalar(select(Dispatch).where(Dispatch.alert_id == alert.id))
    if dispatch is None or dispatch.status not in OPEN + HELD:
        return
    now = utcnow()
    holder = dispatch.responder_id
    if alert.status == "canceled":
        dispatch.status = "canceled"
        dispatch.resolved_at = now
        coming.forget(dispatch)
    for offer in db.session.scalars(select(DispatchOffer).where(
            DispatchOffer.dispatch_id == dispatch.id, DispatchOffer.status == "open")):
        offer.status = "withdrawn"
        offer.responded_at = now
    if holder and alert.status == "canceled":
        notify.push_to_users([holder], "dispatch_canceled", _l("Alert canceled"),
                             _l("She canceled her alert with her PIN. Stand down."),
                             {"dispatch_id": dispatch.id, "alert_id": alert.id},
                             alert_id=alert.id)


def _who(responder: User, org: Organization | None) -> dict[str, Text]:
    """How she and her guardians are told who comes: a first name and the company."""
    return {"name": coming.first_name(responder.full_name) or _l("A responder"),
            "org": org.name if org is not None else _l("the security company")}


def _tell_people(alert: Alert, dispatch: Dispatch, kind: str, hers: tuple[Text, Text],
                 theirs: tuple[Text, Text] | None,
                 near: coming.Approach | None = None) -> None:
    """A step of the dispatch, pushed to her (unless a duress cancel hid the alert from her
    phone: then it learns nothing) and to her guardians (`theirs`; None: they hear of it
    otherwise)."""
    data = {"alert_id": alert.id, "dispatch_id": dispatch.id, "status": dispatch.status}
    if near is not None:
        data.update(distance_m=round(near.distance_m), eta_s=near.eta_s)
    if theirs is not None:
        notify.push_to_users(without_owner(alert, contacts.guardian_ids(alert.user_id)), kind,
                             *theirs, data, alert_id=alert.id)
    if alert.shown_canceled_at is None:
        notify.push_to_users([alert.user_id], kind, *hers, data, alert_id=alert.id)


def org_webhook(org_id: uuid.UUID, event: str, dispatch: Dispatch, alert: Alert) -> None:
    _webhook(db.session.get(Organization, org_id), event, dispatch, alert)


def _webhook(org: Organization | _Partner | None, event: str, dispatch: Dispatch,
             alert: Alert) -> None:
    if org is None or not org.webhook_url or not org.webhook_secret:
        return
    notify.send_webhook(org.webhook_url, org.webhook_secret, event, {
        "dispatch_id": str(dispatch.id), "alert_id": str(alert.id), "status": dispatch.status,
        "lat": alert.lat, "lon": alert.lon, "duress": alert.duress,
        "responder_id": str(dispatch.responder_id) if dispatch.responder_id else None,
    }, alert_id=alert.id)
